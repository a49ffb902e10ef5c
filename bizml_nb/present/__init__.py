"""What people see: cards (one card protocol), tables, charts, the report and the widgets."""
