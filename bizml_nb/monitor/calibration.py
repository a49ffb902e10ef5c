"""The calibration map: isotonic recalibration of the reference's probabilities.

NannyML's rule: the map is fitted only if it lowers the expected calibration error
(10 equal-count bins, over 10 stratified 90/10 splits) and the reference ROC AUC is
below 0.999. It is kept in the reference as its breakpoints (``x``, ``y``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.monitor.constants import (
    CALIBRATION_SEED,
    CALIBRATION_SPLITS,
    ECE_BINS,
    MAX_AUC_FOR_CALIBRATION,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy.typing as npt

    from bizml_nb.monitor.constants import FloatArray, IntArray


def fit_calibration(scores: FloatArray, y: IntArray) -> dict[str, Any]:
    """NannyML's rule: isotonic calibration where it lowers the ECE (and AUC < 0.999)."""
    import numpy as np
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedShuffleSplit

    auc = float(roc_auc_score(y, scores))
    record: dict[str, Any] = {"isotonic": False, "reference_auc": auc}
    if auc >= MAX_AUC_FOR_CALIBRATION:
        record["reason"] = f"reference ROC AUC {auc:.4f} >= {MAX_AUC_FOR_CALIBRATION}"
        return record
    splits = StratifiedShuffleSplit(
        n_splits=CALIBRATION_SPLITS, test_size=0.1, random_state=CALIBRATION_SEED
    )
    truth, raw, calibrated = [], [], []
    for train, test in splits.split(scores.reshape(-1, 1), y):
        model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        model.fit(scores[train], y[train])
        truth.append(y[test])
        raw.append(scores[test])
        calibrated.append(np.asarray(model.predict(scores[test]), dtype=np.float64))
    y_test = np.concatenate(truth)
    ece_raw = ece(y_test, np.concatenate(raw))
    ece_cal = ece(y_test, np.concatenate(calibrated))
    record.update(ece_raw=ece_raw, ece_calibrated=ece_cal)
    if not ece_cal < ece_raw:
        record["reason"] = "isotonic calibration did not lower the expected calibration error"
        return record
    model = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    model.fit(scores, y)
    record.update(
        isotonic=True,
        x=[float(v) for v in model.X_thresholds_],
        y=[float(v) for v in model.y_thresholds_],
    )
    return record


def ece(y: IntArray, p: FloatArray, bins: int = ECE_BINS) -> float:
    """Expected calibration error over ``bins`` equal-count bins of p."""
    import numpy as np

    order = np.argsort(p, kind="stable")
    total = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            total += len(part) / len(p) * abs(float(p[part].mean()) - float(y[part].mean()))
    return total


def calibrate(calibration: Mapping[str, Any], proba: npt.ArrayLike) -> FloatArray:
    """``proba`` through the map of :func:`fit_calibration` (a copy when it has none)."""
    import numpy as np

    values = np.asarray(proba, dtype=np.float64)
    if not calibration.get("isotonic"):
        return values.copy()
    x = np.asarray(calibration["x"], dtype=np.float64)
    y = np.asarray(calibration["y"], dtype=np.float64)
    return np.interp(values, x, y)
