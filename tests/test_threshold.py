"""The threshold worth the most money, checked against scikit-learn's TunedThresholdClassifierCV."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import confusion_matrix, make_scorer
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from bizml_nb.core.predictions import build
from bizml_nb.core.registry import Link
from bizml_nb.impact.links import Skip
from bizml_nb.impact.threshold import best_threshold, scan

GAIN = np.array([[0.0, -20.0], [-100.0, 0.0]])  # rows: true class; columns: predicted
LINK = Link(
    "confusion",
    "fraud_value",
    "confusion",
    {"value_matrix": ((0.0, -20.0), (-100.0, 0.0)), "cases_per_year": 5e6},
)


def business_gain(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sum(confusion_matrix(y_true, y_pred, labels=[0, 1]) * GAIN))


@pytest.fixture(scope="module")
def scored() -> tuple[LogisticRegression, np.ndarray, np.ndarray]:
    X, y = make_classification(
        n_samples=20_000, n_features=20, n_informative=4, n_redundant=2,
        n_clusters_per_class=1, weights=[0.97], flip_y=0.0, class_sep=0.4, random_state=7,
    )  # fmt: skip
    X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.5, stratify=y, random_state=7)
    model = LogisticRegression(max_iter=1000).fit(X_fit, y_fit)
    return model, X_test, y_test


def test_the_same_threshold_as_tuned_threshold_classifier_cv(
    scored: tuple[LogisticRegression, np.ndarray, np.ndarray],
) -> None:
    from sklearn.frozen import FrozenEstimator

    model, X, y = scored
    proba = model.predict_proba(X)[:, 1]
    result = best_threshold(LINK, build(y, (proba >= 0.5).astype(int), proba=proba))
    # scikit-learn on the same rows and the same fitted model: a grid of 1,000 thresholds
    tuned = TunedThresholdClassifierCV(
        FrozenEstimator(model),
        scoring=make_scorer(business_gain),
        thresholds=np.linspace(0, 1, 1001),
        cv=[(np.arange(len(y)), np.arange(len(y)))],
        refit=False,
    ).fit(X, y)
    assert result.threshold == pytest.approx(tuned.best_threshold_, abs=2e-3)
    # the value there is at least the gain scikit-learn's grid reaches (per case, times
    # cases a year): the scan tries every distinct score, the grid 1,001 points
    sklearn_value = tuned.best_score_ / len(y) * 5e6
    assert sklearn_value <= result.value_per_year.mid <= sklearn_value * (1 - 0.005)
    low, high = result.threshold_range
    assert low <= result.threshold <= high
    assert result.gain_per_year.low > 0  # better than flagging at 0.5, surely


def test_the_scan_is_the_value_of_each_threshold_worked_by_hand() -> None:
    # scores 0.9 (fraud), 0.8 (legit), 0.4 (fraud), 0.4 (legit), 0.1 (legit)
    y = np.array([1, 0, 1, 0, 0])
    proba = np.array([0.9, 0.8, 0.4, 0.4, 0.1])
    result = scan(LINK, build(y, np.zeros(5, dtype=int), proba=proba))
    # flag none: 2 missed frauds = -200; >= 0.9: -100; >= 0.8: -120; >= 0.4: -40;
    # >= 0.1: -60; per case over 5
    assert result.per_case.tolist() == pytest.approx([-40.0, -20.0, -24.0, -8.0, -12.0])
    assert result.thresholds[1:].tolist() == [0.9, 0.8, 0.4, 0.1]
    assert result.thresholds[result.best] == 0.4


def test_no_proba_is_one_message() -> None:
    with pytest.raises(Skip, match="no proba"):
        best_threshold(LINK, build([0, 1], [0, 1]))
