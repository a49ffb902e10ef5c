"""Write ``templates/silent_failure_monitoring.ipynb`` (no outputs) and the executed examples.

    python tools/build_monitoring_template.py              # the template and both examples
    python tools/build_monitoring_template.py templates    # only the template
    python tools/build_monitoring_template.py example      # only the executed examples

The template answers, for the people who depend on a deployed classifier: is it still
working, although nothing raises an error and no labels have arrived yet, and what is the
difference worth a year? It follows ``tools/build_scalability_template.py``: a parameters
cell generated from :data:`PARAMETERS` (typed defaults, one comment each), stable cell ids,
and a last cell tagged ``decision-summary`` that prints a summary and displays an
``application/vnd.bizml.monitor+json`` decision record. The monitor's own card is shown
as text and HTML only, so that the notebook holds one record of that type.

The examples, executed with the template defaults through ``bizml_nb.interfaces.templates.run``:

- ``notebooks/monitoring_example.ipynb``: this template (the generated covariate-shift case);
- ``notebooks/scalability_example.ipynb``: ``templates/scalability_planning.ipynb``.

The test suite re-runs both with nbval. The time each took to execute is printed.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the shared notebook_cells module
from notebook_cells import (
    NOTEBOOKS,
    ROOT,
    TEMPLATES,
    Cells,
    Parameters,
)
from notebook_cells import notebook as _notebook
from notebook_cells import parameters_cell as _parameters_cell
from notebook_cells import parameters_dict as _parameters_dict

NAME = "silent_failure_monitoring"

# (name, type, default as Python source, comment)

PARAMETERS: Parameters = [
    (
        "reference_path",
        "str | None",
        "None",
        "CSV of a labelled reference period the model was not trained on (None: generated data)",
    ),
    (
        "analysis_path",
        "str | None",
        "None",
        "CSV of the later period to check, labels optional (None: generated data)",
    ),
    (
        "drift",
        "str",
        '"covariate"',
        'the generated case only: "covariate" (inputs move), "concept" (their meaning moves) or "none"',
    ),
    ("proba_column", "str", '"proba"', "column with the model's probability of the positive class"),
    ("prediction_column", "str", '"prediction"', "column with the model's predicted class (0/1)"),
    ("label_column", "str", '"target"', "column with the true class (0/1), once it is known"),
    ("chunk_size", "int", "5000", "rows per chunk: each chunk is checked on its own"),
    ("tn_value", "float", "0.0", "value of a true negative: a case correctly left alone"),
    ("fp_value", "float", "-20.0", "value of a false positive: acting on a false alarm"),
    ("fn_value", "float", "-100.0", "value of a false negative: a case the model missed"),
    ("tp_value", "float", "60.0", "value of a true positive: a case caught and acted on"),
    ("cases_per_year", "float", "1_000_000.0", "predictions the model makes in a year"),
    ("currency", "str", '"USD"', "currency code of the values above"),
]


CELLS: Cells = [
    (
        "md",
        """# Is the model still working? Monitoring for silent failure

A deployed model **fails silently**: when the world changes, it keeps returning
predictions, nothing crashes and no error is raised, but more of those predictions are
wrong. Whether they are right is known only when the true outcomes (the labels) arrive,
weeks or months later, if at all. Until then, the cost of a degraded model is paid without
anyone seeing it.

This notebook checks a recent period of a binary classifier's predictions against a
labelled reference period, **without labels**, and answers three questions:

1. **Have the inputs changed?** Drift alerts, column by column and chunk by chunk.
2. **Is the model still as accurate?** An estimate of its accuracy made without labels.
3. **What is the difference worth a year?** Through a value for each kind of right and
   wrong prediction.

With no files given it runs on generated data with a known truth (`drift`: covariate
shift or concept drift). To check your own model, make a copy with
`bizml new silent_failure_monitoring my_check.ipynb -p reference_path ref.csv
-p analysis_path recent.csv`, then `bizml run my_check.ipynb`. The values in the
parameters cell are **illustrations**: replace them with your own.""",
    ),
    (
        "parameters",
        _parameters_cell(
            PARAMETERS,
            "# Parameters: edit them here, or pass them with "
            "`bizml new silent_failure_monitoring OUT.ipynb -p NAME VALUE`.\n"
            "# Every default is an ILLUSTRATION, not a measurement.",
        ),
    ),
    (
        "md",
        """## The data

- **Reference period**: a stretch of data, with labels, on which the model was known to
  work, and which it was not trained on. It sets what "normal" looks like.
- **Analysis period**: the recent data to check, in chunks of `chunk_size` rows. Labels
  are not needed.

Every column other than the probability, the predicted class, the label and dates is
treated as an input of the model. In the generated case the analysis period's labels exist
(the truth is known) but are **held back** from the check, as they would be in production;
they are used only at the end, to show what the check could and could not see.""",
    ),
    (
        "code",
        """# Load the data and check the parameters
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display

from bizml_nb.core import units
from bizml_nb.interfaces.datasets import DRIFT_KINDS, classifier_drift
from bizml_nb.monitor import MONITOR_MIME, Reference

if (reference_path is None) != (analysis_path is None):
    raise ValueError("give both reference_path and analysis_path, or neither (generated data)")
if drift not in DRIFT_KINDS:
    raise ValueError(f"drift is one of {', '.join(DRIFT_KINDS)} (got {drift!r})")
if chunk_size < 100:
    raise ValueError(f"chunk_size must be at least 100 rows (got {chunk_size!r})")
if cases_per_year <= 0:
    raise ValueError(f"cases_per_year must be above 0 (got {cases_per_year!r})")


def read(path):
    \"\"\"A CSV file, with text columns that hold dates read as dates.\"\"\"
    frame = pd.read_csv(path)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            continue
        try:
            frame[column] = pd.to_datetime(frame[column], format="ISO8601")
        except (ValueError, TypeError):
            pass
    return frame


def money(amount, signed=False):
    return units.money(amount, currency, signed=signed)


generated = reference_path is None
if generated:
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
)""",
    ),
    (
        "md",
        """## The check

The reference is summarised once (histograms and rates, no rows are kept), then each chunk
of the analysis period is compared with it:

- **Drift alerts**: a chunk's distribution of a column is further from the reference than
  the reference's own chunks ever were (more than 3 standard deviations above their mean).
  An alert says the inputs changed, not that the model got worse. At that threshold an
  isolated alert now and then is expected by chance; an alert that recurs is not.
- **Estimated performance without labels** (confidence-based performance estimation, as in
  NannyML): the model's probabilities, calibrated on the reference, say how often it should
  be right in each chunk. The band around the estimate is its sampling error (+-3 standard
  errors).
- **Value**: the estimated counts of each kind of right and wrong prediction, times their
  values, per prediction and per year, against the reference.

The card below is the monitor's summary.""",
    ),
    (
        "code",
        """reference = Reference.fit(
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
display({"text/plain": result.text(), "text/html": result.html()}, raw=True)""",
    ),
    (
        "md",
        """## Chunk by chunk

The chart shows the estimates with their band and any alerts, chunk by chunk; the table,
the columns with drift alerts and the estimated value of each chunk.""",
    ),
    (
        "code",
        """figure = result.plot()
plt.close(figure)
display(figure)

k = len(result.chunks)
sustained_at = min(k, max(2, math.ceil(0.15 * k)))  # alerts in this many chunks: not chance
drift_alerts = result.drift["jensen_shannon"].alerts  # chunks x columns
alerts_per_column = dict(zip(result.columns, (int(n) for n in drift_alerts.sum(axis=0))))
sustained = [c for c, n in alerts_per_column.items() if n >= sustained_at]
isolated = [c for c, n in alerts_per_column.items() if 0 < n < sustained_at]
value = result.value
table = pd.DataFrame(
    {
        "chunk": list(result.chunks),
        "columns with drift alerts": [
            ", ".join(c for c, hit in zip(result.columns, row) if hit) for row in drift_alerts
        ],
        "estimated accuracy": np.round(result.performance["accuracy"].estimate, 3),
        "estimated value a year": [money(v) for v in value.per_year],
        "change a year vs the reference": [money(v, signed=True) for v in value.change_per_year],
    }
).set_index("chunk")
table""",
    ),
    (
        "md",
        """## What the estimate cannot see: concept drift

The estimate of accuracy without labels rests on one assumption, stated by NannyML for the
method it implements (confidence-based performance estimation): **no concept drift**, that
is, the relation between the inputs and the outcome, P(y | x), is the same as in the
reference. It holds when only the mix of inputs moves (covariate shift). When the same
inputs start to mean a different outcome (fraudsters change tactics, a policy changes who
churns), the model stays just as confident, **the estimate stays flat while the real
accuracy falls**, and the inputs may show no drift at all. Only labels reveal it: compare
the realised performance with the estimate whenever labels arrive.

In the generated case the labels that were held back are now used to show the truth.""",
    ),
    (
        "code",
        """recent = slice(k - max(1, k // 4), k)  # the latest quarter of the chunks


def recent_change(per_prediction, errors=None):
    \"\"\"Mean change per year over the recent chunks against the reference, and its standard error.\"\"\"
    change = float(np.nanmean(per_prediction[recent]) - value.reference_per_prediction)
    se = math.nan if errors is None else float(np.sqrt(np.nansum(errors[recent] ** 2)) / len(errors[recent]))
    return change * cases_per_year, se * cases_per_year


estimated_change, estimated_se = recent_change(value.per_prediction, value.sampling_error)
accuracy = result.performance["accuracy"]
estimated_accuracy = float(np.mean(accuracy.estimate[recent]))
reference_accuracy = float(accuracy.reference)

if generated:
    truth = reference.check(analysis_data, chunk_size=chunk_size, value=pricing, currency=currency)
elif labels_given:
    truth = result
else:
    truth = None
if truth is not None:
    realised_accuracy = float(np.nanmean(truth.performance["accuracy"].realised[recent]))
    realised_change, _ = recent_change(truth.value.realised_per_prediction)
    comparison = pd.DataFrame(
        {
            "estimated accuracy": np.round(truth.performance["accuracy"].estimate, 3),
            "realised accuracy": np.round(truth.performance["accuracy"].realised, 3),
            "estimated change a year": [money(v, signed=True) for v in truth.value.change_per_year],
            "realised change a year": [
                money(v, signed=True) for v in truth.value.realised_change_per_year
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
    realised_accuracy = realised_change = None
    print("No labels for the analysis period: the realised performance is not known yet.")""",
    ),
    (
        "md",
        """## Decision summary

- **retrain** (or review the model): the label-free estimate, or the labels where there are
  any, show a loss of value in the latest quarter of the chunks larger than its sampling
  error (3 standard errors);
- **investigate**: no loss is estimated, but some inputs or the predictions drift in several
  chunks: find out why, and check the estimate against labels as soon as they arrive
  (the estimate cannot see concept drift);
- **no action**: no sustained drift and no estimated loss. Keep collecting labels: concept
  drift would not show here.

The cell also records the key figures as JSON (`application/vnd.bizml.monitor+json`), which
`bizml run` and reports read back.""",
    ),
    (
        "summary",
        """estimated_loss = estimated_change + 3 * estimated_se < 0
realised_loss = labels_given and realised_change is not None and realised_change < 0
if estimated_loss or realised_loss:
    decision = "retrain"
    reason = (
        "the labels show a loss of value" if realised_loss and not estimated_loss
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
    f"(+-{money(3 * estimated_se)}) at {units.number(cases_per_year)} cases a year.",
]
if truth is not None:
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
else:
    missed = None
lines.append(
    "Caution: the estimate assumes P(y | x) is unchanged since the reference; it cannot see "
    "concept drift. Compare it with labels as they arrive."
)
summary = "\\n".join(lines)
print(summary)


def figure(x):
    \"\"\"A figure for the record: None unless finite, else 10 significant digits (the digits
    after those differ between CPUs and BLAS libraries, and a record should not).\"\"\"
    return float(f"{x:.10g}") if x is not None and math.isfinite(x) else None


record = {
    # the report lists a record's first scalar fields: the decision and the money come first
    "decision": decision,
    "reason": reason,
    "estimated_value_change_per_year": figure(estimated_change),
    "realised_value_change_per_year": figure(realised_change),
    "currency": currency,
    "estimated_accuracy": figure(estimated_accuracy),
    "reference_accuracy": figure(reference_accuracy),
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
    "estimated_value_change_se": figure(estimated_se),
    "reference_value_per_year": figure(reference_per_year),
    "realised_accuracy": figure(realised_accuracy),
    "estimate_missed_a_loss": missed,
    "labels_used": labels_given,
    "parameters": {
PARAMETERS_DICT
    },
    "summary": summary,
}
display(
    {"text/plain": "decision record: application/vnd.bizml.monitor+json", MONITOR_MIME: record},
    raw=True,
)""".replace("PARAMETERS_DICT", _parameters_dict([p[0] for p in PARAMETERS])),
    ),
]


def build() -> Path:
    TEMPLATES.mkdir(exist_ok=True)
    out = TEMPLATES / f"{NAME}.ipynb"
    nbformat.write(_notebook("monitoring", CELLS), out)
    return out


EXAMPLES = {
    "monitoring_example": (
        NAME,
        """# Worked example: is the classifier still working?

This is `templates/silent_failure_monitoring.ipynb` executed with its defaults
(`python tools/build_monitoring_template.py example`, through the function behind
`bizml run`): generated data in which two inputs of the model shift half-way through the
analysis period (covariate shift). The data and the values are **illustrations**.""",
    ),
    "scalability_example": (
        "scalability_planning",
        """# Worked example: what will it cost to serve this model?

This is `templates/scalability_planning.ipynb` executed with its defaults
(`python tools/build_monitoring_template.py example`, through the function behind
`bizml run`). The model, the traffic and the machine prices are **illustrations**.""",
    ),
}


def build_example(name: str) -> float:
    """Execute a template with its defaults into ``notebooks/{name}.ipynb``; the seconds it took."""
    from bizml_nb.interfaces import templates

    template, intro_text = EXAMPLES[name]
    out = NOTEBOOKS / f"{name}.ipynb"
    with tempfile.TemporaryDirectory() as scratch:
        done = templates.run(
            template, None, Path(scratch) / f"{name}.ipynb", progress=False, cwd=NOTEBOOKS
        )
        nb = nbformat.read(done.notebook, as_version=4)
    nb.metadata.papermill.update(input_path=f"templates/{template}.ipynb", output_path=None)
    for key in ("start_time", "end_time", "duration", "exception"):
        nb.metadata.papermill.pop(key, None)
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
    intro = nbformat.v4.new_markdown_cell(intro_text)
    intro.id = "example-intro"
    nb.cells.insert(0, intro)
    nbformat.write(nb, out)
    return done.seconds


def main(argv: list[str] | None = None) -> None:
    targets = (argv if argv is not None else sys.argv[1:]) or ["templates", "example"]
    unknown = [t for t in targets if t not in ("templates", "example")]
    if unknown:
        raise SystemExit(f"unknown target {unknown[0]!r}; choose from templates, example")
    if "templates" in targets:
        out = build()
        print(f"{out.relative_to(ROOT)}: written (no outputs)")
    if "example" in targets:
        for name in EXAMPLES:
            seconds = build_example(name)
            print(f"notebooks/{name}.ipynb: executed in {seconds:.1f} s")


if __name__ == "__main__":
    main()
