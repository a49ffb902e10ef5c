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
)
SETTING_KEYS = ("min_annual_value", "compute_cost_per_hour", "eng_cost_per_hour")
