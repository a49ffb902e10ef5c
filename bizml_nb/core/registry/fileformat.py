"""What a bizml.toml is called and which keys its [project] table holds."""

from __future__ import annotations

FILENAME = "bizml.toml"
FORMAT_VERSION = 1

PROJECT_KEYS = (
    "name",
    "currency",
    "format",
    "min_annual_value",
    "compute_cost_per_hour",
    "eng_cost_per_hour",
    "calibrate",
)
SETTING_KEYS = ("min_annual_value", "compute_cost_per_hour", "eng_cost_per_hour")
#: ``calibrate = true``: cards apply the haircut learned from observed runs. Written
#: only when on (off removes it), so a file that never turned it on reads as before.
CALIBRATE_KEY = "calibrate"
