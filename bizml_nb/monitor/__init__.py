"""Label-free monitoring of a binary classifier: drift, estimated performance, and its value.

Fit a :class:`Reference` once on a labelled reference period (not the training
set), keep it beside the ledger as JSON, and check later unlabelled data against
it, chunk by chunk::

    reference = Reference.fit(ref_df, features=["x0", "x1", "segment"],
                              prediction="prediction", proba="proba", target="target")
    reference.save("monitor/reference.json")
    result = Reference.load("monitor/reference.json").check(
        prod_df, chunk_size=5_000, value=project, kpi="fraud_value")
    result            # a card: drift alerts, estimated metrics, money per year
    result.to_frame() # one row per chunk and statistic
    result.plot()

What a reference keeps: summaries only, never rows. Per numeric column the
histogram on NumPy's ``doane`` bins, a histogram on up to 1,000 reference
quantiles (for Kolmogorov-Smirnov and Wasserstein) and mean, std, min and max;
per categorical column the category frequencies; the calibration map; and the
statistics of each reference chunk (10 chunks by default). Its size depends on
the number of columns, not of rows, and so does the memory ``check`` needs beside
the data it checks.

Drift (per chunk and column, against the whole reference):

- ``jensen_shannon`` (default): Jensen-Shannon distance, base 2
  (``scipy.spatial.distance.jensenshannon``) on the doane bins plus one bin for
  values outside the reference range (numeric), or on the categories plus one
  bin for categories never seen in the reference;
- ``psi``: population stability index on the same bins (empty bins floored at 1e-4);
- ``kolmogorov_smirnov`` and ``wasserstein`` (numeric): on the reference quantile
  histogram, as NannyML does above 10,000 reference rows; Wasserstein adds the
  exact distance of values beyond the reference range;
- ``chi2`` (categorical): ``scipy.stats.chi2_contingency`` of the chunk's counts
  against the reference's; an alert when p < 0.05.

Alerts, ``thresholds="std"`` (default): a statistic above mean + 3 std of the same
statistic over the reference chunks. Unlike NannyML, the threshold is rescaled to
each chunk's size: a reference chunk is compared with a reference that contains
it (variance of a difference of shares (1/m - 1/n)) and a chunk of N new rows
with one that does not (1/N + 1/n); the distances scale with the square root of
that ratio (PSI with the ratio itself). ``thresholds="fixed"``: JS 0.1, KS 0.1,
PSI 0.25 (0.1 to 0.25 is "moderate" drift, shown but not alerted), Wasserstein
0.1 reference standard deviations; or a mapping of method to threshold.

Performance without labels (confidence-based performance estimation, CBPE, as in
NannyML): the reference's probabilities are calibrated with
``sklearn.isotonic.IsotonicRegression(out_of_bounds="clip")`` only if that lowers
the expected calibration error (10 equal-count bins, over 10 stratified 90/10
splits) and the reference ROC AUC is below 0.999. With calibrated p and predicted
class y_hat, the expected confusion matrix of a chunk is TP = sum(p | y_hat=1),
FP = sum(1-p | y_hat=1), FN = sum(p | y_hat=0), TN = sum(1-p | y_hat=0); accuracy,
precision, recall and F1 follow from it; ROC AUC from the expected ROC curve
(rows sorted by the model's own score, weighted by p). Alerts: an estimate
outside the reference chunks' realised mean +- 3 std (std rescaled to the
chunk's size).

Sampling error: conditional on a chunk's inputs each label is an independent
Bernoulli(p), so the realised confusion counts are Poisson-binomial. The
standard error shown is that of the realised metric around the estimate:
exact for accuracy and precision (sqrt(sum p(1-p)) / n), the delta method for
recall, F1 and business value, Hanley and McNeil (1982) for ROC AUC with the
expected class counts. The band is +-3 standard errors (as NannyML draws it).
It leaves out the error of the calibration map itself (small for a reference of
tens of thousands of rows).

**What the estimates cannot see: concept drift.** CBPE assumes P(y | x) is
the same as in the reference. If the relation between inputs and outcome
changes (fraudsters change tactics, a policy changes who churns), the model's
probabilities stay confident, the estimate stays flat, and performance drops
unseen. Only labels show it: pass the target column when labels arrive and
compare the realised metrics with the estimates (``realised`` in the frame and
the card). Drift alerts on the features are a hint, not a substitute.

Business value: through the registry's ``confusion`` link for the target KPI
(or a value matrix and cases per year given directly): value per prediction =
sum(value_matrix * expected counts) / n, per year = that times
``cases_per_year``, and the change against the reference's realised value per
prediction, in money per year.

Where each part is: :mod:`~bizml_nb.monitor.reference` (fitting, saving, loading),
:mod:`~bizml_nb.monitor.analysis` (the check), :mod:`~bizml_nb.monitor.inputs`,
:mod:`~bizml_nb.monitor.chunks`, :mod:`~bizml_nb.monitor.summaries`,
:mod:`~bizml_nb.monitor.histograms`, :mod:`~bizml_nb.monitor.drift`,
:mod:`~bizml_nb.monitor.calibration`, :mod:`~bizml_nb.monitor.cbpe`,
:mod:`~bizml_nb.monitor.pricing`, :mod:`~bizml_nb.monitor.result` (the result and its
table), :mod:`~bizml_nb.monitor.card`, :mod:`~bizml_nb.monitor.charts`,
:mod:`~bizml_nb.monitor.frames` (``%bizml monitor``'s one call) and
:mod:`~bizml_nb.monitor.constants`. Nothing heavy is imported until it is used.
"""

from __future__ import annotations

from bizml_nb.monitor.cbpe import Estimate
from bizml_nb.monitor.constants import (
    BAND_Z,
    CALIBRATION_SEED,
    CALIBRATION_SPLITS,
    CATEGORICAL_ONLY,
    DEFAULT_METHODS,
    ECE_BINS,
    FIXED_THRESHOLDS,
    FORMAT,
    FORMAT_VERSION,
    MAX_AUC_FOR_CALIBRATION,
    MAX_CATEGORIES,
    METHODS,
    METRIC_WORDS,
    METRICS,
    MIN_CHUNK_ROWS,
    MONITOR_MIME,
    NUMERIC_ONLY,
    PSI_FLOOR,
    PSI_MODERATE,
    QUANTILES,
    RECORD_FORMAT,
    REFERENCE_CHUNKS,
    STD_MULTIPLIER,
    Kind,
    MonitorError,
    Role,
    Thresholds,
)
from bizml_nb.monitor.drift import Drift
from bizml_nb.monitor.frames import monitor_frames
from bizml_nb.monitor.histograms import BLOCK_COLUMNS
from bizml_nb.monitor.pricing import Pricing, Value
from bizml_nb.monitor.reference import Reference
from bizml_nb.monitor.result import MonitorResult
from bizml_nb.monitor.summaries import ColumnSummary

__all__ = [
    "BAND_Z",
    "BLOCK_COLUMNS",
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
    "ColumnSummary",
    "Drift",
    "Estimate",
    "Kind",
    "MonitorError",
    "MonitorResult",
    "Pricing",
    "Reference",
    "Role",
    "Thresholds",
    "Value",
    "monitor_frames",
]
