"""The sources of truth: the KPI registry (bizml.toml), the run ledger (SQLite), the run
record's schema, errors, units and safe file writes. Imports nothing of bizml_nb outside core."""
