# %% [markdown]
# # Is the model still working? Monitoring for silent failure
#
# A deployed model **fails silently**: when the world changes, it keeps returning
# predictions, nothing crashes and no error is raised, but more of those predictions are
# wrong. Whether they are right is known only when the true outcomes (the labels) arrive,
# weeks or months later, if at all. Until then, the cost of a degraded model is paid without
# anyone seeing it.
#
# This notebook checks a recent period of a binary classifier's predictions against a
# labelled reference period, **without labels**, and answers three questions:
#
# 1. **Have the inputs changed?** Drift alerts, column by column and chunk by chunk.
# 2. **Is the model still as accurate?** An estimate of its accuracy made without labels.
# 3. **What is the difference worth a year?** Through a value for each kind of right and
#    wrong prediction.
#
# With no files given it runs on generated data with a known truth (`drift`: covariate
# shift or concept drift). To check your own model, make a copy with
# `bizml new silent_failure_monitoring my_check.ipynb -p reference_path ref.csv
# -p analysis_path recent.csv`, then `bizml run my_check.ipynb`. The values in the
# parameters cell are **illustrations**: replace them with your own.

# %% tags=["parameters"]
# fmt: off
# Parameters: edit them here, or pass them with `bizml new silent_failure_monitoring OUT.ipynb -p NAME VALUE`.
# Every default is an ILLUSTRATION, not a measurement.
reference_path: str = ""  # CSV of a labelled reference period the model was not trained on (empty: generated data)
analysis_path: str = ""  # CSV of the later period to check, labels optional (empty: generated data)
drift: str = "covariate"  # the generated case only: "covariate" (inputs move), "concept" (their meaning moves) or "none"
proba_column: str = "proba"  # column with the model's probability of the positive class
prediction_column: str = "prediction"  # column with the model's predicted class (0/1)
label_column: str = "target"  # column with the true class (0/1), once it is known
chunk_size: int = 5000  # rows per chunk: each chunk is checked on its own
tn_value: float = 0.0  # value of a true negative: a case correctly left alone
fp_value: float = -20.0  # value of a false positive: acting on a false alarm
fn_value: float = -100.0  # value of a false negative: a case the model missed
tp_value: float = 60.0  # value of a true positive: a case caught and acted on
cases_per_year: float = 1_000_000.0  # predictions the model makes in a year
currency: str = "USD"  # currency code of the values above
# fmt: on

# %% [markdown]
# ## The data
#
# - **Reference period**: a stretch of data, with labels, on which the model was known to
#   work, and which it was not trained on. It sets what "normal" looks like.
# - **Analysis period**: the recent data to check, in chunks of `chunk_size` rows. Labels
#   are not needed.
#
# Every column other than the probability, the predicted class, the label and dates is
# treated as an input of the model. In the generated case the analysis period's labels exist
# (the truth is known) but are **held back** from the check, as they would be in production;
# they are used only at the end, to show what the check could and could not see.

# %%
# Load the data and check the parameters
import contextlib
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from bizml_nb.core import units
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.interfaces.notebook_helpers import money_in, record_figure
from bizml_nb.monitor import MONITOR_MIME, MonitorResult, Reference
from bizml_nb.present.analyses import monitoring

monitoring.check_parameters({name: globals()[name] for name in monitoring.PARAMETERS})


def read(path: str) -> pd.DataFrame:
    """A CSV file, with text columns that hold dates read as dates."""
    frame = pd.read_csv(path)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        with contextlib.suppress(ValueError, TypeError):
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    return frame


money = money_in(currency)


generated = not reference_path
if generated:  # both paths or neither: checked above
    case = classifier_drift(drift=drift)
    reference_data, analysis_data = case.reference, case.analysis
    source = f"generated data ({drift} drift from analysis row {case.drift_from:,})"
    checked = analysis_data.drop(columns=[label_column])  # labels held back, as in production
else:
    reference_data, analysis_data = read(reference_path), read(analysis_path)
    source = "the files given"
    checked = analysis_data
roles = {proba_column, prediction_column, label_column}
features = [
    column
    for column in reference_data.columns
    if column not in roles and not pd.api.types.is_datetime64_any_dtype(reference_data[column])
]
labels_given = (
    not generated
    and label_column in analysis_data.columns
    and bool(analysis_data[label_column].notna().any())
)
print(f"Data: {source}")
print(f"Reference: {len(reference_data):,} rows with labels; analysis: {len(analysis_data):,} rows")
print(f"Inputs of the model ({len(features)}): {', '.join(features)}")
print(
    "Labels in the analysis period: "
    + ("given, and used" if labels_given else "none used (the check is label-free)")
)

# %% [markdown]
# ## The check
#
# The reference is summarised once (histograms and rates, no rows are kept), then each chunk
# of the analysis period is compared with it:
#
# - **Drift alerts**: a chunk's distribution of a column is further from the reference than
#   the reference's own chunks ever were (more than 3 standard deviations above their mean).
#   An alert says the inputs changed, not that the model got worse. At that threshold an
#   isolated alert now and then is expected by chance; an alert that recurs is not.
# - **Estimated performance without labels** (confidence-based performance estimation, as in
#   NannyML): the model's probabilities, calibrated on the reference, say how often it should
#   be right in each chunk. The band around the estimate is its sampling error (+-3 standard
#   errors).
# - **Value**: the estimated counts of each kind of right and wrong prediction, times their
#   values, per prediction and per year, against the reference, with its 90% range (estimate
#   +-1.645 standard errors; every money range in bizml_nb is 90%).
#
# The card below is the monitor's summary.

# %%
reference = Reference.fit(
    reference_data,
    features=features,
    proba=proba_column,
    target=label_column,
    prediction=prediction_column,
)
pricing = {
    "value_matrix": [[tn_value, fp_value], [fn_value, tp_value]],
    "cases_per_year": cases_per_year,
}
result = reference.check(checked, chunk_size=chunk_size, value=pricing, currency=currency)
# the card as text and HTML: the decision record below is this notebook's one monitor record
display({"text/plain": result.text(), "text/html": result.html()}, raw=True)

# %% [markdown]
# ## Chunk by chunk
#
# The chart shows the estimates with their band and any alerts, chunk by chunk; the table,
# the columns with drift alerts and the estimated value of each chunk.

# %%
figure = result.plot()
plt.close(figure)
display(figure)

k = len(result.chunks)
sustained_at = min(k, max(2, math.ceil(0.15 * k)))  # alerts in this many chunks: not chance
drift_alerts = result.drift["jensen_shannon"].alerts  # chunks x columns
alerts_per_column = dict(
    zip(result.columns, (int(n) for n in drift_alerts.sum(axis=0)), strict=True)
)
sustained = [c for c, n in alerts_per_column.items() if n >= sustained_at]
isolated = [c for c, n in alerts_per_column.items() if 0 < n < sustained_at]
assert result.value is not None  # the check was given the value of each outcome
value = result.value
table = pd.DataFrame(
    {
        "chunk": list(result.chunks),
        "columns with drift alerts": [
            ", ".join(c for c, hit in zip(result.columns, row, strict=True) if hit)
            for row in drift_alerts
        ],
        "estimated accuracy": np.round(result.performance["accuracy"].estimate, 3),
        "estimated value a year": [money(v) for v in value.per_year],
        "change a year vs the reference": [money(v, signed=True) for v in value.change_per_year],
        "change, 90% low": [money(v, signed=True) for v in value.change_range()[0]],
        "change, 90% high": [money(v, signed=True) for v in value.change_range()[1]],
    }
).set_index("chunk")
table

# %% [markdown]
# ## What the estimate cannot see: concept drift
#
# The estimate of accuracy without labels rests on one assumption, stated by NannyML for the
# method it implements (confidence-based performance estimation): **no concept drift**, that
# is, the relation between the inputs and the outcome, P(y | x), is the same as in the
# reference. It holds when only the mix of inputs moves (covariate shift). When the same
# inputs start to mean a different outcome (fraudsters change tactics, a policy changes who
# churns), the model stays just as confident, **the estimate stays flat while the real
# accuracy falls**, and the inputs may show no drift at all. Only labels reveal it: compare
# the realised performance with the estimate whenever labels arrive.
#
# In the generated case the labels that were held back are now used to show the truth.

# %%
recent = slice(k - max(1, k // 4), k)  # the latest quarter of the chunks


def recent_change(
    per_prediction: np.ndarray, errors: np.ndarray | None = None
) -> tuple[float, float]:
    """Mean change per year over the recent chunks against the reference, and its standard error."""
    change = float(np.nanmean(per_prediction[recent]) - value.reference_per_prediction)
    se = (
        math.nan
        if errors is None
        else float(np.sqrt(np.nansum(errors[recent] ** 2)) / len(errors[recent]))
    )
    return change * cases_per_year, se * cases_per_year


estimated_change, estimated_se = recent_change(value.per_prediction, value.sampling_error)
accuracy = result.performance["accuracy"]
estimated_accuracy = float(np.mean(accuracy.estimate[recent]))
reference_accuracy = float(accuracy.reference)

truth: MonitorResult | None
realised_accuracy: float | None = None  # known when the labels are
realised_change: float | None = None
if generated:
    truth = reference.check(analysis_data, chunk_size=chunk_size, value=pricing, currency=currency)
elif labels_given:
    truth = result
else:
    truth = None
if truth is not None:
    truth_value = truth.value
    assert truth_value is not None
    realised_accuracy = float(np.nanmean(truth.performance["accuracy"].realised[recent]))
    realised_change, _ = recent_change(truth_value.realised_per_prediction)
    comparison = pd.DataFrame(
        {
            "estimated accuracy": np.round(truth.performance["accuracy"].estimate, 3),
            "realised accuracy": np.round(truth.performance["accuracy"].realised, 3),
            "estimated change a year": [money(v, signed=True) for v in truth_value.change_per_year],
            "estimated, 90% low": [money(v, signed=True) for v in truth_value.change_range()[0]],
            "estimated, 90% high": [money(v, signed=True) for v in truth_value.change_range()[1]],
            "realised change a year": [
                money(v, signed=True) for v in truth_value.realised_change_per_year
            ],
        },
        index=pd.Index(truth.chunks, name="chunk"),
    )
    display(comparison)
    print(
        f"Latest {recent.stop - recent.start} chunks: estimated accuracy {estimated_accuracy:.3f}, "
        f"realised {realised_accuracy:.3f} (reference {reference_accuracy:.3f})."
    )
else:
    print("No labels for the analysis period: the realised performance is not known yet.")

# %% [markdown]
# ## Decision summary
#
# - **retrain** (or review the model): the label-free estimate, or the labels where there are
#   any, show a loss of value in the latest quarter of the chunks larger than its sampling
#   error (3 standard errors);
# - **investigate**: no loss is estimated, but some inputs or the predictions drift in several
#   chunks: find out why, and check the estimate against labels as soon as they arrive
#   (the estimate cannot see concept drift);
# - **no action**: no sustained drift and no estimated loss. Keep collecting labels: concept
#   drift would not show here.
#
# The cell also records the key figures as JSON (`application/vnd.bizml.monitor+json`), which
# `bizml run` and reports read back.

# %% tags=["decision-summary"]
estimated_loss = estimated_change + 3 * estimated_se < 0
realised_loss = labels_given and realised_change is not None and realised_change < 0
if estimated_loss or realised_loss:
    decision = "retrain"
    reason = (
        "the labels show a loss of value"
        if realised_loss and not estimated_loss
        else "the label-free estimate shows a loss of value"
    )
elif sustained:
    decision = "investigate"
    reason = "inputs or predictions drift, but no loss of value is estimated"
else:
    decision = "no action"
    reason = "no sustained drift and no estimated loss of value"

reference_per_year = value.reference_per_prediction * cases_per_year
lines = [
    f"Decision: {decision} ({reason}).",
    f"Data: {source}; {k} chunks of up to {chunk_size:,} rows against a reference of "
    f"{reference.rows:,}.",
    "Drift: "
    + (
        f"sustained alerts (in {sustained_at} chunks or more) on {', '.join(sustained)}"
        if sustained
        else "no sustained alerts"
    )
    + (f"; isolated alerts, as expected by chance, on {', '.join(isolated)}" if isolated else "")
    + ".",
    f"Estimated accuracy, latest {recent.stop - recent.start} chunks: {estimated_accuracy:.3f} "
    f"(reference {reference_accuracy:.3f}), without labels.",
    f"Value: about {money(reference_per_year)} a year in the reference; the latest chunks are "
    f"estimated at {money(estimated_change, signed=True)} a year against it "
    f"[{money(estimated_change - units.Z90 * estimated_se, signed=True)}, "
    f"{money(estimated_change + units.Z90 * estimated_se, signed=True)}] (90%) "
    f"at {units.number(cases_per_year)} cases a year.",
]
missed: bool | None = None  # not known without labels
if realised_change is not None:  # the labels are known
    missed = realised_change < estimated_change - 3 * estimated_se
    lines.append(
        ("With the labels held back (generated case): " if generated else "With the labels: ")
        + f"realised accuracy {realised_accuracy:.3f}, value {money(realised_change, signed=True)} "
        "a year against the reference"
        + (
            f": the label-free estimate missed a loss of {money(estimated_change - realised_change)} a "
            "year (concept drift: the relation between inputs and outcome changed)."
            if missed
            else ": the estimate held."
        )
    )
lines.append(
    "Caution: the estimate assumes P(y | x) is unchanged since the reference; it cannot see "
    "concept drift. Compare it with labels as they arrive."
)
summary = "\n".join(lines)
print(summary)


record = {
    # the report lists a record's first scalar fields: the decision and the money come first
    "decision": decision,
    "reason": reason,
    "estimated_value_change_per_year": record_figure(estimated_change),
    "realised_value_change_per_year": record_figure(realised_change),
    "currency": currency,
    "estimated_accuracy": record_figure(estimated_accuracy),
    "estimated_accuracy_se": record_figure(  # as the value's: the chunks' errors, independent
        float(
            np.sqrt(np.nansum(accuracy.sampling_error[recent] ** 2)) / (recent.stop - recent.start)
        )
    ),
    "reference_accuracy": record_figure(reference_accuracy),
    "template": "silent_failure_monitoring",
    "format": "bizml.monitor.decision",
    "version": 1,
    "data": source,
    "generated": generated,
    "drift": drift if generated else None,
    "chunks": k,
    "recent_chunks": recent.stop - recent.start,
    "sustained_at": sustained_at,
    "sustained_alerts": sustained,
    "isolated_alerts": isolated,
    "alerts_per_column": alerts_per_column,
    "estimated_value_change_se": record_figure(estimated_se),
    "reference_value_per_year": record_figure(reference_per_year),
    "realised_accuracy": record_figure(realised_accuracy),
    "estimate_missed_a_loss": missed,
    "labels_used": labels_given,
    "parameters": {
        "reference_path": reference_path or None,
        "analysis_path": analysis_path or None,
        "drift": drift,
        "proba_column": proba_column,
        "prediction_column": prediction_column,
        "label_column": label_column,
        "chunk_size": chunk_size,
        "tn_value": tn_value,
        "fp_value": fp_value,
        "fn_value": fn_value,
        "tp_value": tp_value,
        "cases_per_year": cases_per_year,
        "currency": currency,
    },
    "summary": summary,
}
display(
    {"text/plain": "decision record: application/vnd.bizml.monitor+json", MONITOR_MIME: record},
    raw=True,
)
