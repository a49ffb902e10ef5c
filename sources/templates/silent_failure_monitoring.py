# %% [markdown]
# # Is the model still working? Monitoring for silent failure
#
# A deployed model **fails silently**: when the world changes it keeps returning
# predictions, nothing crashes, but more of them are wrong, and whether they are right is
# known only when the true outcomes (the labels) arrive, weeks later if at all. This notebook
# checks a recent period of a binary classifier's predictions against a labelled reference
# period, **without labels**, and decides what to do: **retrain**, **investigate** or
# **no action**.
#
# With no files given it runs on generated data with a known truth. To check your own model:
# `bizml new silent_failure_monitoring my_check.ipynb -p reference_path ref.csv
# -p analysis_path recent.csv`, then `bizml run my_check.ipynb`. Logs too large for memory:
# give `analysis_path` as Parquet (`-p analysis_path "logs/*.parquet" -p chunk_by day`); DuckDB
# checks them without loading them. The values below are **illustrations**: replace them
# with your own.

# %% tags=["parameters"]
# fmt: off
# Parameters: edit them here, or pass them with `bizml new silent_failure_monitoring OUT.ipynb -p NAME VALUE`.
# Every default is an ILLUSTRATION, not a measurement.
reference_path: str = ""  # labelled reference period the model was not trained on: CSV, or Parquet (empty: generated data)
analysis_path: str = ""  # later period to check, labels optional: CSV, or Parquet file or glob, checked out of core (empty: generated data)
drift: str = "covariate"  # the generated case only: "covariate" (inputs move), "concept" (their meaning moves) or "none"
proba_column: str = "proba"  # column with the model's probability of the positive class
prediction_column: str = "prediction"  # column with the model's predicted class (0/1)
label_column: str = "target"  # column with the true class (0/1), once it is known
chunk_size: int = 5000  # rows per chunk: each chunk is checked on its own
chunk_by: str = ""  # empty: chunks of chunk_size rows; or "day", "week", "month" of time_column
time_column: str = ""  # column of times for chunk_by (empty: the data's only one)
tn_value: float = 0.0  # value of a true negative: a case correctly left alone
fp_value: float = -20.0  # value of a false positive: acting on a false alarm
fn_value: float = -100.0  # value of a false negative: a case the model missed
tp_value: float = 60.0  # value of a true positive: a case caught and acted on
cases_per_year: float = 1_000_000.0  # predictions the model makes in a year
currency: str = "USD"  # currency code of the values above
# fmt: on

# %% [markdown]
# ## The decision
#
# Over the latest quarter of the chunks of the analysis period:
#
# - **retrain** (or review the model) when the value a year, estimated without labels,
#   has fallen below the reference's by more than its sampling error (3 standard errors),
#   or when labels given with the data show a loss;
# - **investigate** when no loss is estimated but some inputs, or the model's predictions,
#   drift in several chunks (in 15% of them, at least 2): find out why, and compare the
#   estimate with labels as soon as they arrive;
# - **no action** otherwise. Keep collecting labels: concept drift would not show here.
#
# The card says what to do, the estimated accuracy and value a year with their 90% ranges,
# the columns and chunks that alerted, and what the estimate cannot see.

# %% tags=["decision-summary"]
from bizml_nb.interfaces.datasets import classifier_drift
from bizml_nb.present.analyses import monitoring

parameters = monitoring.parameters_from(globals())
monitoring.check_parameters(parameters)  # as `bizml new` and `bizml run` do
check = monitoring.check(parameters, generate=classifier_drift)
check.decision

# %% [markdown]
# ## The data
#
# - **Reference period**: a stretch of data, with labels, on which the model was known to
#   work and which it was not trained on. It sets what "normal" looks like.
# - **Analysis period**: the recent data to check, in chunks of `chunk_size` rows (or one per
#   `chunk_by` day, week or month). Labels are not needed.
#
# Every column other than the probability, the predicted class, the label and dates is
# taken as an input of the model. Generated data is an illustration whose truth is known:
# its analysis period has labels, but they are **held back** from the check, as they would
# be in production, and shown only at the end.

# %%
check.data

# %% [markdown]
# ## The check
#
# The reference is summarised once (histograms and rates; no rows are kept), then each chunk
# of the analysis period is compared with it:
#
# - **Drift alerts**: a chunk's distribution of a column is further from the reference, by
#   the Jensen-Shannon distance, than the reference's own chunks ever were (more than 3
#   standard deviations above their mean), as NannyML's univariate drift detection does. An
#   alert says the inputs changed, not that the model got worse; at that threshold an
#   isolated alert now and then is expected by chance, an alert that recurs is not.
# - **Performance without labels**: confidence-based performance estimation (CBPE, as in
#   NannyML): the model's probabilities, calibrated on the reference, say how often it should
#   be right in each chunk. The band around an estimate is its sampling error (+-3 standard
#   errors).
# - **Value**: the estimated counts of each kind of right and wrong prediction times their
#   values, per prediction and per year, against the reference, with its 90% range (estimate
#   +-1.645 standard errors; every money range in bizml_nb is 90%).

# %%
check.monitor

# %% [markdown]
# ## Chunk by chunk
#
# The chart shows each chunk's estimates with their band, the value a year and the drift of
# each column against its threshold; the table gives the columns with drift alerts and the
# estimated accuracy and value of each chunk.

# %%
check.chart()

# %%
check.chunks()

# %% [markdown]
# ## What the estimate cannot see: concept drift
#
# The estimate of accuracy without labels rests on one assumption, stated by NannyML for
# CBPE: **no concept drift**, that is, the relation between the inputs and the outcome,
# P(y | x), is the same as in the reference. It holds when only the mix of inputs moves
# (covariate shift). When the same inputs start to mean a different outcome (fraudsters
# change tactics, a policy changes who churns), the model stays just as confident, **the
# estimate stays flat while the real accuracy falls**, and the inputs may show no drift at
# all. Only labels reveal it: compare the realised performance with the estimate whenever
# labels arrive. Below, where the labels are known (held back in the generated case), the
# estimates stand beside what the labels showed.

# %%
check.labels()
