"""The monitor's fixed vocabulary: drift methods, metrics, default numbers, its error.

Every part of :mod:`bizml_nb.monitor` reads these; none of them imports anything heavy.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.intp]
    BoolArray = npt.NDArray[np.bool_]

FORMAT = "bizml.monitor.reference"
FORMAT_VERSION = 1
RECORD_FORMAT = "bizml.monitor"
MONITOR_MIME = "application/vnd.bizml.monitor+json"
METHODS = ("jensen_shannon", "kolmogorov_smirnov", "psi", "wasserstein", "chi2")
DEFAULT_METHODS = ("jensen_shannon",)
NUMERIC_ONLY = ("kolmogorov_smirnov", "wasserstein")
CATEGORICAL_ONLY = ("chi2",)
METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
METRIC_WORDS = {
    "accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "roc_auc": "ROC AUC",
}
FIXED_THRESHOLDS = {
    "jensen_shannon": 0.1,
    "kolmogorov_smirnov": 0.1,
    "psi": 0.25,
    "wasserstein": 0.1,  # in reference standard deviations
    "chi2": 0.05,  # p-value: an alert below it
}
PSI_MODERATE = 0.1
PSI_FLOOR = 1e-4
STD_MULTIPLIER = 3.0
BAND_Z = 3.0
MIN_CHUNK_ROWS = 100
REFERENCE_CHUNKS = 10
QUANTILES = 1_000
MAX_CATEGORIES = 1_000
ECE_BINS = 10
CALIBRATION_SPLITS = 10
CALIBRATION_SEED = 42
MAX_AUC_FOR_CALIBRATION = 0.999
# The ROC AUC of a checked chunk ranks scores on a grid of 1/AUC_RESOLUTION in log-odds
# (scores closer than that count as tied), so that an engine sums per grid cell instead
# of sorting every row; see cbpe.score_bins.
AUC_RESOLUTION = 1024

Kind = Literal["numeric", "categorical"]
Role = Literal["feature", "proba", "prediction"]
Thresholds = Literal["std", "fixed"]


class MonitorError(BizmlError):
    """A reference, or the data checked against it, is not valid."""


def json_float(value: float) -> float | None:
    """A number for JSON: None for NaN and infinities."""
    return None if value is None or not math.isfinite(value) else float(value)


def opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


__all__ = [
    "AUC_RESOLUTION",
    "BAND_Z",
    "CALIBRATION_SEED",
    "CALIBRATION_SPLITS",
    "CATEGORICAL_ONLY",
    "DEFAULT_METHODS",
    "ECE_BINS",
    "FIXED_THRESHOLDS",
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_AUC_FOR_CALIBRATION",
    "MAX_CATEGORIES",
    "METHODS",
    "METRICS",
    "METRIC_WORDS",
    "MIN_CHUNK_ROWS",
    "MONITOR_MIME",
    "NUMERIC_ONLY",
    "PSI_FLOOR",
    "PSI_MODERATE",
    "QUANTILES",
    "RECORD_FORMAT",
    "REFERENCE_CHUNKS",
    "STD_MULTIPLIER",
    "Kind",
    "MonitorError",
    "Role",
    "Thresholds",
    "json_float",
    "opt_float",
]
