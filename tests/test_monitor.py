"""Label-free monitoring: drift, CBPE estimates and their value, on data with known truth."""

from __future__ import annotations

import json
import math
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bizml_nb.core.errors import BizmlError, BizmlWarning, RegistryError
from bizml_nb.core.registry import BusinessMetric, Link, Registry
from bizml_nb.interfaces.datasets import ClassifierDrift, classifier_drift
from bizml_nb.monitor import (
    MONITOR_MIME,
    ColumnSummary,
    MonitorError,
    MonitorResult,
    Reference,
)
from bizml_nb.monitor.chunks import split
from bizml_nb.monitor.histograms import numeric_bins

if TYPE_CHECKING:
    from pathlib import Path

FEATURES = ["x0", "x1", "x2", "x3", "x4", "x5", "segment"]
CHUNK = 5_000
VALUE_MATRIX = ((0.0, -5.0), (-100.0, 40.0))  # TN, FP / FN, TP per case
CASES = 2_000_000.0


def fit(data: ClassifierDrift, **kwargs: Any) -> Reference:
    return Reference.fit(
        data.reference,
        features=FEATURES,
        prediction="prediction",
        proba="proba",
        target="target",
        **kwargs,
    )


@pytest.fixture(scope="module")
def covariate() -> ClassifierDrift:
    return classifier_drift(50_000, 100_000, drift="covariate", n_shifted=2, seed=0)


@pytest.fixture(scope="module")
def covariate_ref(covariate: ClassifierDrift) -> Reference:
    return fit(covariate)


@pytest.fixture(scope="module")
def covariate_result(covariate: ClassifierDrift, covariate_ref: Reference) -> MonitorResult:
    link = Link(
        "confusion",
        "loss_avoided",
        kind="confusion",
        params={"value_matrix": VALUE_MATRIX, "cases_per_year": CASES},
    )
    return covariate_ref.check(covariate.analysis, chunk_size=CHUNK, value=link)


@pytest.fixture(scope="module")
def small() -> ClassifierDrift:
    return classifier_drift(4_000, 6_000, n_features=6, drift="covariate", seed=3)


@pytest.fixture(scope="module")
def small_ref(small: ClassifierDrift) -> Reference:
    return fit(small)


# --------------------------------------------------------------------------- correctness


def test_covariate_shift_estimates_track_realised_accuracy_and_f1(
    covariate_result: MonitorResult,
) -> None:
    """P(x) moves, P(y|x) stays: estimates per 5,000-row chunk within 0.02 of the realised."""
    late = slice(10, None)
    for metric in ("accuracy", "f1", "roc_auc"):
        est = covariate_result.performance[metric]
        assert not np.isnan(est.realised).any()
        assert np.abs(est.estimate - est.realised).max() < 0.02, metric
    f1 = covariate_result.performance["f1"]
    # The shift really moves performance, and the estimate follows it.
    assert f1.realised[late].mean() - f1.realised[:10].mean() > 0.03
    assert f1.estimate[late].mean() - f1.estimate[:10].mean() > 0.03
    assert f1.alerts[late].all()
    assert not f1.alerts[:10].any()


def test_drift_alerts_fire_on_the_shifted_features_only(covariate_result: MonitorResult) -> None:
    """Alerts on x0 and x1 in the shifted chunks; under 5% of chunks on the other features."""
    js = covariate_result.drift["jensen_shannon"]
    columns = list(covariate_result.columns)
    for name in ("x0", "x1"):
        j = columns.index(name)
        assert js.alerts[10:, j].all()
        assert not js.alerts[:10, j].any()
    others = [columns.index(c) for c in ("x2", "x3", "x4", "x5", "segment")]
    assert js.alerts[:, others].mean() < 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_false_alert_rate_without_drift_is_under_five_percent(seed: int) -> None:
    """No drift at all: fewer than 5% of chunk-column pairs alert, and no metric alerts."""
    data = classifier_drift(30_000, 100_000, drift="none", seed=seed)
    result = fit(data).check(data.analysis, chunk_size=CHUNK)
    assert result.drift["jensen_shannon"].alerts.mean() < 0.05
    assert not any(est.alerts.any() for est in result.performance.values())


def test_concept_drift_is_missed_by_the_estimate_and_shown_by_labels() -> None:
    """P(y|x) changes, P(x) does not: realised accuracy falls, the estimate stays put."""
    data = classifier_drift(50_000, 100_000, drift="concept", n_shifted=1, seed=0)
    result = fit(data).check(data.analysis, chunk_size=CHUNK)
    acc = result.performance["accuracy"]
    late = slice(10, None)
    assert acc.realised[late].max() < acc.reference - 0.2  # the model got much worse
    assert np.abs(acc.estimate - acc.reference).max() < 0.02  # the estimate did not notice
    assert not acc.alerts.any()
    assert result.drift["jensen_shannon"].alerts.mean() < 0.05  # and the inputs look the same
    # The gap is visible only where labels are: the card and the docs say so.
    text = result.text()
    assert "cannot see concept drift" in text
    assert "largest gap accuracy 0.3" in text


def test_docs_say_plainly_that_concept_drift_is_invisible() -> None:
    from bizml_nb import monitor

    doc = monitor.__doc__ or ""
    assert "What the estimates cannot see: concept drift." in doc
    assert "the estimate stays flat, and performance drops unseen" in " ".join(doc.split())


def test_business_value_is_the_confusion_link_on_the_expected_matrix_by_hand(
    covariate: ClassifierDrift, covariate_ref: Reference, covariate_result: MonitorResult
) -> None:
    value = covariate_result.value
    assert value is not None
    ref_frame = covariate.reference
    ref_counts = np.array(
        [
            ((ref_frame.target == 0) & (ref_frame.prediction == 0)).sum(),
            ((ref_frame.target == 0) & (ref_frame.prediction == 1)).sum(),
            ((ref_frame.target == 1) & (ref_frame.prediction == 0)).sum(),
            ((ref_frame.target == 1) & (ref_frame.prediction == 1)).sum(),
        ]
    )
    (v_tn, v_fp), (v_fn, v_tp) = VALUE_MATRIX
    ref_per_prediction = (ref_counts @ [v_tn, v_fp, v_fn, v_tp]) / ref_counts.sum()
    assert value.reference_per_prediction == pytest.approx(ref_per_prediction, rel=1e-12)
    for i in (0, 7, 19):
        chunk = covariate.analysis.iloc[i * CHUNK : (i + 1) * CHUNK]
        p = covariate_ref.calibrate(chunk["proba"].to_numpy())
        yhat = chunk["prediction"].to_numpy() == 1
        tp, fp = p[yhat].sum(), (1 - p[yhat]).sum()
        fn, tn = p[~yhat].sum(), (1 - p[~yhat]).sum()
        np.testing.assert_allclose(covariate_result.expected[i], [tn, fp, fn, tp], rtol=1e-9)
        total = v_tn * tn + v_fp * fp + v_fn * fn + v_tp * tp
        per_prediction = total / len(chunk)
        assert value.per_prediction[i] == pytest.approx(per_prediction, rel=1e-9)
        assert value.per_year[i] == pytest.approx(per_prediction * CASES, rel=1e-9)
        assert value.change_per_year[i] == pytest.approx(
            (per_prediction - ref_per_prediction) * CASES, rel=1e-9
        )
        # Given the inputs, a predicted positive is worth FP + (TP - FP) y: a Bernoulli sum.
        var = (v_tp - v_fp) ** 2 * (p[yhat] * (1 - p[yhat])).sum() + (v_fn - v_tn) ** 2 * (
            p[~yhat] * (1 - p[~yhat])
        ).sum()
        assert value.sampling_error[i] == pytest.approx(math.sqrt(var) / len(chunk), rel=1e-9)


def test_value_from_a_registry_kpi_equals_the_link_itself(
    covariate: ClassifierDrift, covariate_ref: Reference, covariate_result: MonitorResult
) -> None:
    link = Link(
        "confusion",
        "loss_avoided",
        kind="confusion",
        params={"value_matrix": VALUE_MATRIX, "cases_per_year": CASES},
    )
    kpi = BusinessMetric("loss_avoided", unit="EUR", direction="higher")
    registry = Registry(currency="EUR", metrics={"loss_avoided": kpi}, links=(link,))
    analysis = covariate.analysis.iloc[: 4 * CHUNK]
    result = covariate_ref.check(analysis, chunk_size=CHUNK, value=registry, kpi="loss_avoided")
    assert result.value is not None
    assert covariate_result.value is not None
    np.testing.assert_allclose(result.value.per_year, covariate_result.value.per_year[:4])
    assert result.value.pricing.currency == "EUR"
    assert "€" in result.text()
    direct = covariate_ref.check(
        analysis, chunk_size=CHUNK, value={"value_matrix": VALUE_MATRIX, "cases_per_year": CASES}
    )
    assert direct.value is not None
    np.testing.assert_allclose(direct.value.per_year, result.value.per_year)


def test_value_from_a_project(
    small: ClassifierDrift, small_ref: Reference, project_dir: Path
) -> None:
    from bizml_nb.projects.project import Project

    project = Project.at(project_dir)
    project.init("fraud", currency="USD")
    project.metric("loss_avoided", unit="USD", direction="higher")
    project.link("confusion", "loss_avoided", value_matrix=VALUE_MATRIX, cases_per_year=CASES)
    result = small_ref.check(small.analysis, chunks=3, value=project, kpi="loss_avoided")
    assert result.value is not None
    assert result.value.pricing.label == "confusion link -> loss_avoided"
    with pytest.raises(RegistryError, match="no business metric 'loss_avoid'"):
        small_ref.check(small.analysis, chunks=3, value=project, kpi="loss_avoid")


def test_value_needs_nothing_of_a_project_but_its_registry(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    """The monitor reads ``value.registry``; it never needs the project type itself."""
    from types import SimpleNamespace

    link = Link(
        "confusion",
        "loss_avoided",
        kind="confusion",
        params={"value_matrix": VALUE_MATRIX, "cases_per_year": CASES},
    )
    kpi = BusinessMetric("loss_avoided", unit="GBP", direction="higher")
    registry = Registry(currency="GBP", metrics={"loss_avoided": kpi}, links=(link,))
    held = small_ref.check(
        small.analysis, chunks=3, value=SimpleNamespace(registry=registry), kpi="loss_avoided"
    )
    direct = small_ref.check(small.analysis, chunks=3, value=registry, kpi="loss_avoided")
    assert held.value is not None
    assert direct.value is not None
    assert held.value.pricing == direct.value.pricing
    assert held.value.pricing.currency == "GBP"
    np.testing.assert_array_equal(held.value.per_year, direct.value.per_year)
    with pytest.raises(MonitorError, match="not SimpleNamespace"):
        small_ref.check(small.analysis, chunks=3, value=SimpleNamespace(registry="x"), kpi="k")


def test_realised_metrics_fall_within_the_sampling_band(covariate_result: MonitorResult) -> None:
    """The +-3 SE band holds the realised value in (nearly) every chunk; SE by hand."""
    for metric in ("accuracy", "precision", "recall", "f1", "roc_auc"):
        est = covariate_result.performance[metric]
        low, high = est.band
        inside = (est.realised >= low) & (est.realised <= high)
        assert inside.mean() >= 0.95, metric
        z = np.abs(est.estimate - est.realised) / est.sampling_error
        assert 0.5 < z.mean() < 1.3, metric  # standard errors of the right size


def test_accuracy_sampling_error_is_the_poisson_binomial_closed_form(
    covariate: ClassifierDrift, covariate_ref: Reference, covariate_result: MonitorResult
) -> None:
    chunk = covariate.analysis.iloc[:CHUNK]
    p = covariate_ref.calibrate(chunk["proba"].to_numpy())
    expected = math.sqrt(float((p * (1 - p)).sum())) / CHUNK
    got = covariate_result.performance["accuracy"].sampling_error[0]
    assert got == pytest.approx(expected, rel=1e-9)


def test_estimates_match_a_brute_force_cbpe(small: ClassifierDrift, small_ref: Reference) -> None:
    """Accuracy, F1 and ROC AUC from the expected confusion matrix and curve, by hand."""
    result = small_ref.check(small.analysis, chunk_size=2_000)
    chunk = small.analysis.iloc[2_000:4_000]
    s = chunk["proba"].to_numpy()
    p = small_ref.calibrate(s)
    yhat = chunk["prediction"].to_numpy() == 1
    tp, fp, fn = p[yhat].sum(), (1 - p[yhat]).sum(), p[~yhat].sum()
    assert result.performance["accuracy"].estimate[1] == pytest.approx(
        (tp + (1 - p[~yhat]).sum()) / len(p)
    )
    assert result.performance["f1"].estimate[1] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    # Expected AUC: P(score of a positive > score of a negative) with p as soft labels.
    diff = s[:, None] - s[None, :]
    pairs = p[:, None] * (1 - p[None, :])
    np.fill_diagonal(pairs, 0.0)
    auc = (pairs * ((diff > 0) + 0.5 * (diff == 0))).sum() / (
        p.sum() * (1 - p).sum() - (p * (1 - p)).sum()
    )
    assert result.performance["roc_auc"].estimate[1] == pytest.approx(auc, abs=2e-4)


def test_calibration_is_skipped_when_the_reference_auc_is_near_one() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2_000)
    proba = np.where(y == 1, rng.uniform(0.8, 0.9, 2_000), rng.uniform(0.1, 0.2, 2_000))
    frame = pd.DataFrame({"x": rng.normal(size=2_000), "proba": proba, "target": y})
    ref = Reference.fit(frame, features=["x"], proba="proba", target="target")
    assert not ref.calibrated
    assert "0.999" in ref.calibration["reason"]
    overconfident = fit(classifier_drift(20_000, 10, seed=1))
    assert overconfident.calibrated
    assert overconfident.calibration["ece_calibrated"] < overconfident.calibration["ece_raw"]


# --------------------------------------------------------------------------- statistics


def test_jensen_shannon_matches_nannymls_definition(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    """Doane bins of the reference plus one bin for values out of its range; base 2."""
    from scipy.spatial.distance import jensenshannon

    result = small_ref.check(small.analysis, chunks=3)
    ref_x = small.reference["x0"].to_numpy()
    edges = np.histogram_bin_edges(ref_x, bins="doane")
    ref_p = np.append(np.histogram(ref_x, bins=edges)[0] / len(ref_x), 0.0)
    chunk = small.analysis["x0"].to_numpy()[4_000:]
    cur = np.histogram(chunk, bins=edges)[0] / len(chunk)
    cur = np.append(cur, 1 - cur.sum())
    expected = jensenshannon(ref_p, cur, base=2)
    j = result.columns.index("x0")
    assert result.drift["jensen_shannon"].values[2, j] == pytest.approx(expected, rel=1e-9)


def test_ks_and_wasserstein_from_histograms_agree_with_scipy_on_raw_rows(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    from scipy.stats import ks_2samp, wasserstein_distance

    methods = ["kolmogorov_smirnov", "wasserstein"]
    result = small_ref.check(small.analysis, chunks=2, methods=methods)
    ref_x = small.reference["x1"].to_numpy()
    j = result.columns.index("x1")
    for i, chunk in enumerate(np.array_split(small.analysis["x1"].to_numpy(), 2)):
        ks = result.drift["kolmogorov_smirnov"].values[i, j]
        assert ks == pytest.approx(ks_2samp(ref_x, chunk).statistic, abs=2e-3)
        w = result.drift["wasserstein"].values[i, j]
        assert w == pytest.approx(wasserstein_distance(ref_x, chunk), rel=0.02, abs=2e-3)
    assert np.isnan(result.drift["wasserstein"].values[:, result.columns.index("segment")]).all()


def test_psi_and_chi2_and_fixed_thresholds(small: ClassifierDrift, small_ref: Reference) -> None:
    result = small_ref.check(small.analysis, chunks=3, methods=["psi", "chi2"], thresholds="fixed")
    psi = result.drift["psi"]
    assert np.all(psi.thresholds == 0.25)
    chi2 = result.drift["chi2"]
    assert chi2.p_values is not None
    seg = result.columns.index("segment")
    assert np.all(chi2.thresholds[:, seg] == 0.05)
    assert np.isnan(chi2.values[:, result.columns.index("x0")]).all()  # categorical only
    assert (chi2.alerts[:, seg] == (chi2.p_values[:, seg] < 0.05)).all()
    custom = small_ref.check(small.analysis, chunks=3, thresholds={"jensen_shannon": 0.5})
    assert not custom.drift["jensen_shannon"].alerts.any()


INTERIOR_EDGES = np.linspace(-2.0, 2.0, 9)[1:-1]


def _off_edge(v: float) -> bool:
    return bool(np.abs(INTERIOR_EDGES - v).min() > 1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-5, 5, allow_nan=False).filter(_off_edge),
            st.sampled_from([math.nan, math.inf, -math.inf, -2.0, 2.0, 0.25]),
        ),
        min_size=1,
        max_size=300,
    ),
    st.integers(1, 3),
)
def test_numeric_bins_count_every_value_once(values: list[float], chunks: int) -> None:
    """In range by bin (as np.histogram), outside the range, or missing: never lost.

    (A value within rounding of an interior edge may land on either side of it.)
    """
    edges = np.linspace(-2.0, 2.0, 9)
    summary = ColumnSummary("x", "numeric", "feature", 10, 0, (1,) * 8, edges=tuple(edges))
    x = np.array(values)
    chunking = split(len(x), None, min(chunks, len(x)))
    bins = numeric_bins([summary], [x], chunking)[0]
    totals = bins.sum(axis=0)
    assert bins.sum() == len(x)
    assert totals[-1] == np.isnan(x).sum()
    inside = x[(x >= -2.0) & (x <= 2.0)]
    assert totals[-2] == len(x) - len(inside) - np.isnan(x).sum()
    np.testing.assert_array_equal(totals[:-2], np.histogram(inside, bins=edges)[0])


# --------------------------------------------------------------------------- chunks


def test_chunking_by_size_count_and_time_column(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    by_size = small_ref.check(small.analysis, chunk_size=2_500)
    assert list(by_size.rows) == [2_500, 2_500, 1_000]
    assert by_size.chunks == ("[0:2499]", "[2500:4999]", "[5000:5999]")
    by_count = small_ref.check(small.analysis, chunks=4)
    assert list(by_count.rows) == [1_500] * 4
    frame = small.analysis.assign(day=small.analysis["timestamp"].dt.strftime("%Y-%m-%d"))
    by_day = small_ref.check(frame, by="day")
    assert by_day.chunks == ("2026-01-01", "2026-01-02")  # 5,000 rows a day from the reference on
    by_period = small_ref.check(small.analysis, by="timestamp", freq="D")
    assert by_period.chunks == by_day.chunks
    np.testing.assert_allclose(
        by_period.performance["f1"].estimate, by_day.performance["f1"].estimate
    )


def test_shuffled_rows_grouped_by_time_give_the_same_result(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    ordered = small_ref.check(small.analysis, by="timestamp", freq="D")
    shuffled = small_ref.check(
        small.analysis.sample(frac=1.0, random_state=1), by="timestamp", freq="D"
    )
    assert shuffled.starts == (None, None)
    for metric in ("accuracy", "roc_auc"):
        np.testing.assert_allclose(
            shuffled.performance[metric].estimate, ordered.performance[metric].estimate, rtol=1e-12
        )
    np.testing.assert_allclose(
        shuffled.drift["jensen_shannon"].values, ordered.drift["jensen_shannon"].values, rtol=1e-12
    )


def test_thresholds_scale_with_chunk_size(small: ClassifierDrift, small_ref: Reference) -> None:
    """Smaller chunks are noisier: their alert thresholds are wider."""
    result = small_ref.check(small.analysis, chunk_size=2_500)
    js = result.drift["jensen_shannon"].thresholds
    assert (js[2] > js[0]).all()  # the last chunk has 1,000 rows
    acc = result.performance["accuracy"]
    assert acc.upper[2] - acc.lower[2] > acc.upper[0] - acc.lower[0]


def test_realised_metrics_only_where_labels_are_present(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    frame = small.analysis.copy()
    frame["target"] = frame["target"].astype(float)
    frame.loc[3_000:, "target"] = np.nan
    result = small_ref.check(frame, chunks=3)
    assert list(result.labelled) == [2_000, 1_000, 0]
    acc = result.performance["accuracy"]
    assert not np.isnan(acc.realised[:2]).any()
    assert np.isnan(acc.realised[2])
    half = frame.iloc[2_000:3_000]
    assert acc.realised[1] == pytest.approx((half.prediction == half.target).mean())
    assert "labels in 2 of 3 chunks" in result.text()


# --------------------------------------------------------------------------- keeping


def test_save_and_load_round_trip_gives_the_same_result(
    small: ClassifierDrift, small_ref: Reference, tmp_path: Path
) -> None:
    path = small_ref.save(tmp_path / "monitor" / "reference.json")
    loaded = Reference.load(path)
    assert loaded == small_ref
    a = small_ref.check(small.analysis, chunks=3, methods=["jensen_shannon", "wasserstein"])
    b = loaded.check(small.analysis, chunks=3, methods=["jensen_shannon", "wasserstein"])
    assert a.text() == b.text()
    np.testing.assert_array_equal(a.drift["wasserstein"].values, b.drift["wasserstein"].values)
    record = json.loads(path.read_text())
    assert record["format"] == "bizml.monitor.reference"
    assert record["version"] == 1


def test_reference_keeps_summaries_not_rows(tmp_path: Path) -> None:
    """The JSON does not grow with the reference's rows, and holds none of its values."""
    data = classifier_drift(40_000, 10, n_features=3, seed=5)
    sizes = []
    for rows in (4_000, 40_000):
        frame = data.reference.iloc[:rows]
        ref = Reference.fit(
            frame,
            features=["x0", "x1", "x2", "segment"],
            prediction="prediction",
            proba="proba",
            target="target",
        )
        sizes.append(ref.save(tmp_path / f"r{rows}.json").stat().st_size)
    assert sizes[1] < 1.3 * sizes[0]
    assert sizes[1] < 250_000
    text = (tmp_path / "r40000.json").read_text()
    assert repr(float(data.reference["x2"].iloc[12_345])) not in text


def test_reference_from_a_newer_version_is_refused(small_ref: Reference, tmp_path: Path) -> None:
    record = small_ref.to_record()
    record["version"] = 99
    record["written_by"] = "bizml_nb 9.0"
    path = tmp_path / "future.json"
    path.write_text(json.dumps(record))
    with pytest.raises(MonitorError, match=r"newer bizml_nb \(bizml_nb 9.0, reference format 99"):
        Reference.load(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not valid JSON"),
        ('{"format": "other"}', "is not a bizml monitor reference"),
        ('{"format": "bizml.monitor.reference", "version": 1}', "is damaged"),
    ],
)
def test_broken_reference_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(MonitorError, match=message):
        Reference.load(path)
    with pytest.raises(MonitorError, match="does not exist"):
        Reference.load(tmp_path / "missing.json")


# --------------------------------------------------------------------------- bad input


def test_missing_columns_are_named(small: ClassifierDrift, small_ref: Reference) -> None:
    with pytest.raises(MonitorError, match=r"lacks the columns 'x9', 'x8'"):
        Reference.fit(small.reference, features=["x0", "x9", "x8"], proba="proba", target="target")
    with pytest.raises(
        MonitorError, match=r"lacks the column 'x3' \(did you mean 'x2'\?\)|lacks the column 'x3'"
    ):
        small_ref.check(small.analysis.drop(columns=["x3"]))
    with pytest.raises(MonitorError, match="lacks the column 'proba'"):
        small_ref.check(small.analysis.drop(columns=["proba"]))


def test_probabilities_outside_zero_one_are_refused(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    frame = small.analysis.copy()
    frame.loc[10, "proba"] = 1.7
    with pytest.raises(MonitorError, match=r"holds 1.7, outside \[0, 1\]"):
        small_ref.check(frame)
    frame.loc[10, "proba"] = np.nan
    with pytest.raises(MonitorError, match="1 missing values"):
        small_ref.check(frame)


def test_nan_in_predictions_is_refused(small: ClassifierDrift, small_ref: Reference) -> None:
    frame = small.analysis.copy()
    frame["prediction"] = frame["prediction"].astype(float)
    frame.loc[[5, 9], "prediction"] = np.nan
    with pytest.raises(
        MonitorError,
        match=r"prediction column 'prediction' has 2 missing values \(first at row 5\)",
    ):
        small_ref.check(frame)
    frame = small.analysis.assign(prediction=small.analysis["prediction"] * 2)
    with pytest.raises(MonitorError, match="must hold the classes 0 and 1"):
        small_ref.check(frame)


def test_single_class_reference_is_refused(small: ClassifierDrift) -> None:
    frame = small.reference.assign(target=1)
    with pytest.raises(MonitorError, match="holds only class 1"):
        Reference.fit(
            frame, features=["x0"], prediction="prediction", proba="proba", target="target"
        )


def test_small_chunks_are_warned(small: ClassifierDrift, small_ref: Reference) -> None:
    with pytest.warns(BizmlWarning, match="fewer than 100 rows"):
        result = small_ref.check(small.analysis.iloc[:250], chunk_size=100)
    assert list(result.rows) == [100, 100, 50]
    assert any("fewer than 100 rows" in note for note in result.notes)


def test_unseen_categories_are_counted_not_crashed_on(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    frame = small.analysis.copy()
    frame["segment"] = frame["segment"].astype(object)
    frame.loc[:99, "segment"] = "brand-new"
    frame.loc[100:109, "segment"] = None
    result = small_ref.check(frame, chunks=2, methods=["jensen_shannon", "chi2"])
    seg = result.columns.index("segment")
    assert list(result.outside[:, seg]) == [100, 0]
    assert list(result.missing[:, seg]) == [10, 0]
    assert "segment 100 values never seen in the reference" in result.text()
    assert result.drift["jensen_shannon"].alerts[0, seg]


def test_other_bad_arguments_raise_one_clear_error(
    small: ClassifierDrift, small_ref: Reference
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"chunk_size": 0}, "chunk_size must be a positive whole number"),
        ({"chunk_size": 10, "chunks": 2}, "not both"),
        ({"methods": ["jenson_shannon"]}, "did you mean 'jensen_shannon'"),
        ({"thresholds": "loose"}, "thresholds must be 'std', 'fixed'"),
        ({"by": "timestamp", "chunks": 2}, "not several"),
        ({"freq": "D"}, "freq needs by=COLUMN"),
        ({"kpi": "loss"}, "kpi is given without value"),
        ({"value": {"value_matrix": [[0, 1], [2, 3]]}}, "value lacks 'cases_per_year'"),
        ({"value": Link("auc", "k", params={"elasticity": 1.0})}, "needs a confusion link"),
    ]
    for kwargs, message in cases:
        with pytest.raises(MonitorError, match=message):
            small_ref.check(small.analysis, **kwargs)
    with pytest.raises(MonitorError, match="must be a pandas DataFrame"):
        small_ref.check(small.analysis.to_numpy())  # type: ignore[arg-type]
    registry = Registry(metrics={"loss": BusinessMetric("loss", unit="USD", direction="higher")})
    with pytest.raises(MonitorError, match="no confusion link into 'loss'"):
        small_ref.check(small.analysis, value=registry, kpi="loss")
    assert issubclass(MonitorError, BizmlError)


def test_prediction_defaults_to_the_threshold_on_proba(small: ClassifierDrift) -> None:
    ref = Reference.fit(small.reference, features=["x0"], proba="proba", target="target")
    with_column = Reference.fit(
        small.reference, features=["x0"], proba="proba", target="target", prediction="prediction"
    )
    a = ref.check(small.analysis.drop(columns=["prediction"]), chunks=2)
    b = with_column.check(small.analysis, chunks=2)
    np.testing.assert_allclose(a.expected, b.expected)


# --------------------------------------------------------------------------- output


def test_to_frame_has_one_row_per_chunk_and_statistic(covariate_result: MonitorResult) -> None:
    frame = covariate_result.to_frame()
    assert set(frame["kind"]) == {"drift", "performance", "value"}
    assert len(frame[frame.kind == "performance"]) == 20 * 5
    assert len(frame[frame.kind == "drift"]) == 20 * 9
    perf = covariate_result.to_frame("performance")
    acc = perf[perf.column == "accuracy"]
    np.testing.assert_allclose(acc["value"], covariate_result.performance["accuracy"].estimate)
    assert acc["alert"].dtype == bool
    assert {"band_low", "band_high", "realised", "threshold_low", "threshold_high"} <= set(perf)
    with pytest.raises(MonitorError, match="kind must be one of"):
        covariate_result.to_frame("drfit")


def test_plot_marks_estimates_band_realised_and_alerts(covariate_result: MonitorResult) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = covariate_result.plot()
    axes = fig.axes
    assert len(axes) == 5  # accuracy, F1, ROC AUC, value, drift
    labels = [t.get_text() for t in axes[1].get_legend().get_texts()]
    assert {"estimated", "realised", "alert", "estimate +- 3 SE"} <= set(labels)
    value_labels = [t.get_text() for t in axes[3].get_legend().get_texts()]
    assert "90% range" in value_labels  # money ranges are 90%, as on the card
    assert "x0" in [t.get_text() for t in axes[-1].get_legend().get_texts()]
    plt.close(fig)


def test_card_is_deterministic_escaped_and_carries_a_json_record(
    small: ClassifierDrift,
) -> None:
    frame = small.reference.rename(columns={"x0": "<b>x0</b>"})
    ref = Reference.fit(
        frame, features=["<b>x0</b>", "x1"], prediction="prediction", proba="proba", target="target"
    )
    analysis = small.analysis.rename(columns={"x0": "<b>x0</b>"})
    first = ref.check(analysis, chunks=3)
    again = ref.check(analysis, chunks=3)
    bundle = first._repr_mimebundle_()
    assert bundle["text/plain"] == again._repr_mimebundle_()["text/plain"]
    assert "0x7f" not in bundle["text/plain"]
    assert bundle["text/plain"].startswith("Monitor  3 chunks of 2,000 rows, 6,000 rows")
    assert "&lt;b&gt;x0&lt;/b&gt;" in bundle["text/html"]
    assert "<b>x0</b>" not in bundle["text/html"]
    record = bundle[MONITOR_MIME]
    json.dumps(record, allow_nan=False)
    assert record["format"] == "bizml.monitor"
    assert len(record["chunks"]) == 3
    assert set(record["performance"]) == {"accuracy", "precision", "recall", "f1", "roc_auc"}


def test_card_html_has_one_row_per_text_line_in_the_common_card_structure(
    covariate_result: MonitorResult,
) -> None:
    from html.parser import HTMLParser

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.divs: list[str] = []
            self.cells: list[tuple[str, str]] = []
            self._td: str | None = None
            self._text: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            classes = dict(attrs).get("class") or ""
            if tag == "div":
                self.divs.append(classes)
            if tag == "td":
                self._td, self._text = classes, []

        def handle_endtag(self, tag: str) -> None:
            if tag == "td" and self._td is not None:
                self.cells.append((self._td, "".join(self._text)))
                self._td = None

        def handle_data(self, data: str) -> None:
            if self._td is not None:
                self._text.append(data)

    parser = Cells()
    parser.feed(covariate_result.html())
    assert parser.divs[:2] == ["bizml-card bizml-monitor", "bizml-card-title"]
    lines = covariate_result.text().splitlines()[1:]
    assert len(parser.cells) == len(lines)
    for (classes, text), line in zip(parser.cells, lines, strict=True):
        label, _, shown = line.strip().partition(" ")
        assert classes == f"bizml-{label.lower()}"
        assert text == shown.strip()


def test_importing_the_monitor_loads_nothing_heavy() -> None:
    """numpy, pandas, scipy, scikit-learn and matplotlib load only when a function needs them."""
    import subprocess
    import sys

    code = (
        "import sys, bizml_nb.monitor; heavy = ('numpy', 'pandas', 'scipy', 'sklearn', "
        "'matplotlib', 'tomlkit'); print(sorted(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_card_text_reads_well(covariate_result: MonitorResult) -> None:
    text = covariate_result.text()
    lines = text.splitlines()
    assert (
        lines[0] == "Monitor  20 chunks of 5,000 rows, 100,000 rows against a reference of 50,000"
    )
    assert any(line.startswith("  Drift       jensen_shannon: alerts in ") for line in lines)
    assert "x0 (10), x1 (10)" in text
    assert any(line.startswith("  Value       last chunk about $") for line in lines)
    assert "vs the reference (confusion link -> loss_avoided)" in text


def _leaves(value: Any) -> list[Any]:
    """Every scalar a reference holds, through its dataclasses, sequences and mappings."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [x for f in dataclasses.fields(value) for x in _leaves(getattr(value, f.name))]
    if isinstance(value, tuple | list):
        return [x for item in value for x in _leaves(item)]
    if isinstance(value, dict | MappingProxyType):
        return [x for k, item in value.items() for x in [k, *_leaves(item)]]
    return [value]


def test_check_does_not_keep_or_need_the_reference_rows(
    covariate: ClassifierDrift, covariate_ref: Reference, covariate_result: MonitorResult
) -> None:
    """The reference holds only plain numbers and names; rebuilt from JSON, it checks the same.

    Keep: every value the fitted reference holds, however deep, is a Python str, int, float,
    bool or None: no DataFrame, Series or array that could be (or point at) the rows.
    Need: a reference rebuilt from its JSON text alone, with no way back to the 50,000
    reference rows, gives the very same check of the analysis data (drift, estimates, value).
    """
    kinds = {type(leaf) for leaf in _leaves(covariate_ref)}
    assert kinds <= {str, int, float, bool, type(None)}, kinds
    text = json.dumps(covariate_ref.to_record(), allow_nan=False)
    rebuilt = Reference.from_record(json.loads(text))
    link = Link(
        "confusion",
        "loss_avoided",
        kind="confusion",
        params={"value_matrix": VALUE_MATRIX, "cases_per_year": CASES},
    )
    again = rebuilt.check(covariate.analysis, chunk_size=CHUNK, value=link)
    assert again.record() == covariate_result.record()
    assert again.text() == covariate_result.text()
