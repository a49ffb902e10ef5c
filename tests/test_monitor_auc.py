"""The ROC AUC of a checked chunk ranks scores by their cell of 1/1024 in log-odds."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from bizml_nb.monitor import Reference
from bizml_nb.monitor.cbpe import curve_auc, realised_auc, score_bins
from bizml_nb.monitor.chunks import split
from bizml_nb.monitor.constants import AUC_RESOLUTION


def test_a_score_lands_in_the_cell_of_its_log_odds() -> None:
    assert AUC_RESOLUTION == 1024
    # ln(0.75 / 0.25) = ln 3 = 1.0986..., x 1024 = 1124.97...; ln(0.25 / 0.75) = -ln 3
    cells = score_bins(np.array([0.5, 0.75, 0.25, 0.0, 1.0]))
    assert cells.tolist() == [0, 1124, -1125, -(2**62), 2**62]
    assert cells.dtype == np.int64


def test_scores_in_one_cell_count_as_tied_and_others_keep_their_order() -> None:
    # 0.5 and 0.5001 are 0.0004 apart in log-odds: one cell of 1/1024 (0.00098)
    same = np.array([0.5, 0.5001])
    assert score_bins(same)[0] == score_bins(same)[1]
    labels = np.array([0.0, 1.0])
    assert curve_auc(same, labels) == 1.0  # exact scores: the positive ranks first
    assert curve_auc(score_bins(same), labels) == 0.5  # one cell: a tie, half a pair
    apart = np.array([0.3, 0.7])
    assert curve_auc(score_bins(apart), labels) == 1.0


def test_the_cells_move_the_realised_auc_far_less_than_its_sampling_error() -> None:
    rng = np.random.default_rng(3)
    n = 10_000
    z = rng.normal(0.0, 1.0, n)
    scores = 1.0 / (1.0 + np.exp(-z))
    y = (rng.random(n) < scores).astype(np.intp)
    chunking = split(n, 5_000, None)
    binned = realised_auc(scores, y, chunking, binned=True)
    exact = realised_auc(scores, y, chunking)
    for i, seg in enumerate(chunking.segments()):
        assert exact[i] == pytest.approx(roc_auc_score(y[seg], scores[seg]), abs=1e-15)
        assert abs(binned[i] - exact[i]) < 2e-5
        assert binned[i] != exact[i]  # the cells are used


def test_a_check_reports_the_binned_realised_auc_of_each_chunk() -> None:
    rng = np.random.default_rng(11)

    def frame(n: int) -> pd.DataFrame:
        x = rng.normal(size=n)
        proba = 1.0 / (1.0 + np.exp(-1.5 * x))
        return pd.DataFrame(
            {
                "x": x,
                "proba": proba,
                "prediction": (proba >= 0.5).astype(int),
                "target": (rng.random(n) < proba).astype(int),
            }
        )

    reference = Reference.fit(
        frame(4_000), features=["x"], proba="proba", prediction="prediction", target="target"
    )
    analysis = frame(3_000)
    result = reference.check(analysis, chunk_size=1_000)
    realised = result.performance["roc_auc"].realised
    for i in range(3):
        part = analysis.iloc[i * 1_000 : (i + 1) * 1_000]
        order = np.argsort(part["proba"].to_numpy(), kind="stable")
        s = part["proba"].to_numpy()[order]
        y = part["target"].to_numpy()[order].astype(float)
        cells = np.floor(np.log(s / (1.0 - s)) * 1024.0)  # the cells, worked out here
        pos = pd.Series(y).groupby(cells).sum().to_numpy()[::-1]
        neg = pd.Series(1.0 - y).groupby(cells).sum().to_numpy()[::-1]
        area = float(np.sum(neg * (np.cumsum(pos) - 0.5 * pos)))
        assert realised[i] == pytest.approx(area / (pos.sum() * neg.sum()), rel=1e-12)
        assert not math.isclose(realised[i], roc_auc_score(y, s), rel_tol=1e-12, abs_tol=0.0)
