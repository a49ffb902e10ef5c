# %% [markdown]
# # Predicted against realised: a recommender team's year of launches
#
# Every figure a bizml_nb card shows is a **prediction**: "this model should move take-rate by
# +0.70 pp, worth about USD 17.5M a year". Once a model is A/B tested and launched, what it
# really did can be recorded beside that prediction. After a year of launches, the team can
# answer the questions the business will ask:
#
# 1. **How good were our predictions?** Did the realised changes land inside the predicted
#    ranges? By how much should new predictions be discounted (the *haircut*)?
# 2. **What did the launches really bring?** In money per year and to date, corrected for the
#    *winner's curse* (the wins we celebrate are the ones that came out high by luck too).
# 3. **What do we tell the business, and what do we change?**
#
# The team, the models and the A/B results below are **generated** (a fixed seed), and every
# money figure is an **illustration**. The world is built so that the declared link is about
# **twice too optimistic**: each model's true effect on take-rate is half of what the declared
# elasticity predicts. The notebook shows how the numbers find that out. Every date is given
# (`--on`, `--today`), so the notebook says the same thing whatever day it is run.

# %% tags=["parameters"]
# Where to work (a papermill parameter): None is a fresh scratch folder, so the
# notebook re-runs from scratch every time; `bizml demo` passes its project folder.
workdir: str | None = None

# %%
import os
import tempfile

os.chdir(workdir or tempfile.mkdtemp(prefix="bizml-realised-"))

# %%
# %load_ext bizml_nb
from datetime import date, timedelta

import numpy as np
import pandas as pd

import bizml_nb

# %% [markdown]
# ## 1. The KPI and the link the team declared
#
# **take_rate** (quality plays / recommendations seen) is a ratio at 11.2%; +1 pp of it is
# worth USD 25M a year (`--value-per-unit 2.5e9` per unit of the ratio). The team declared,
# from an offline study, that +0.01 NDCG@10 moves take-rate by +0.35 pp (elasticity 0.35, 90%
# interval 0.25 to 0.45). That declaration is what every prediction below rests on.

# %%
# %bizml init --project recsys-realised --currency USD --min-annual-value 1e6
# %bizml metric take_rate --unit ratio --direction higher --baseline 0.112 --value-per-unit 2.5e9 --owner "growth PM" --description "quality plays / recommendations seen"
# %bizml link ndcg@10 take_rate --elasticity 0.35 --interval 0.25 0.45 --source "offline study, 2025 (illustration)"

# %% [markdown]
# ## 2. The year's runs
#
# Twelve candidate models were trained during 2026, each A/B tested against the popularity
# ranker (the **baseline**). A run is normally recorded as it is trained, with
# `%%bizml experiment "NAME" --target take_rate` and `bizml_nb.log({"ndcg@10": ...})`; the
# next cell replays the year instead: it writes each run with the day it started
# (`bizml_nb.Run`), so that the launches and A/B tests below can be dated in 2026. Runs are
# referred to **by name** from here on.

# %%
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def run_id(day: date, n: int) -> str:
    """A fixed run id (a ULID: the start time, then n), so the notebook is the same every time."""
    value = int(pd.Timestamp(day, tz="UTC").timestamp() * 1000) << 80 | n
    return "".join(CROCKFORD[(value >> 5 * i) & 31] for i in reversed(range(26)))


NAMES = [
    "two-tower",
    "two-tower + recency",
    "item kNN",
    "sequence model",
    "two-tower + genres",
    "cross-encoder rerank",
    "popularity + kNN blend",
    "transformer v1",
    "two-tower + dwell time",
    "transformer v2",
    "session kNN",
    "transformer v3",
]
ML_GAIN = [0.012, 0.020, 0.008, 0.030, 0.016, 0.024, 0.010, 0.036, 0.018, 0.028, 0.014, 0.040]
BASE_NDCG = 0.300
start = [date(2026, 1, 5) + timedelta(days=26 * i) for i in range(12)]

ledger = bizml_nb.project().ledger
ledger.record(
    bizml_nb.Run(
        id=run_id(date(2026, 1, 2), 0),
        name="popularity",
        target="take_rate",
        started_at="2026-01-02T09:00:00.000Z",
        metrics={"ndcg@10": BASE_NDCG},
        is_baseline=True,
    )
)
for i, (name, gain) in enumerate(zip(NAMES, ML_GAIN, strict=True)):
    ledger.record(
        bizml_nb.Run(
            id=run_id(start[i], i + 1),
            name=name,
            target="take_rate",
            started_at=f"{start[i].isoformat()}T09:00:00.000Z",
            metrics={"ndcg@10": round(BASE_NDCG + gain, 3)},
        )
    )
print(f"{len(NAMES)} runs and the baseline, started {start[0]} to {start[-1]}")

# %% [markdown]
# Each run's card predicts its take-rate change from the declared link: +0.036 NDCG@10
# times 0.35 is about +1.26 pp for "transformer v1", with its 90% range from the interval
# 0.25 to 0.45.

# %%
# %bizml show "transformer v1"

# %% [markdown]
# ## 3. The A/B tests: what each model really did
#
# Each model ran a two-week A/B test, then went live. Here the results are **generated**: the
# true effect is half the declared elasticity times the NDCG gain (the declaration is 2x too
# optimistic), and each test measures it with a standard error of 0.15 pp (a normal draw from
# numpy's `default_rng` with a fixed seed, rounded to 0.001 pp). An A/B platform reports the
# change and its 90% interval: that is what `%bizml observed` records, with where the figure
# comes from and the day the test ended.

# %%
TRUE_ELASTICITY = 0.35 / 2
SE = 0.0015
Z90 = 1.6449
rng = np.random.default_rng(2026)
measured = [round(TRUE_ELASTICITY * gain + rng.normal(0, SE), 5) for gain in ML_GAIN]
ab = pd.DataFrame(
    {
        "run": NAMES,
        "ndcg gain": ML_GAIN,
        "predicted pp": [round(0.35 * g * 100, 3) for g in ML_GAIN],
        "measured pp": [round(x * 100, 3) for x in measured],
        "90% low pp": [round((x - Z90 * SE) * 100, 3) for x in measured],
        "90% high pp": [round((x + Z90 * SE) * 100, 3) for x in measured],
        "test ended": [(d + timedelta(days=16)).isoformat() for d in start],
        "launched": [(d + timedelta(days=20)).isoformat() for d in start],
    }
)
ab

# %% [markdown]
# The first launch, recorded by hand: its A/B result, then the day it went live. The card
# shows the prediction beside the measurement, and whether it fell inside the predicted 90%
# range.

# %%
# %bizml observed "two-tower" --kpi-delta 0.00091 --interval -0.00156 0.00338 --source "A/B test 2026-01, 2 weeks" --on 2026-01-21

# %%
# %bizml deployed "two-tower" --on 2026-01-25

# %% [markdown]
# The other eleven, with the Python API (`bizml_nb.observe` and `bizml_nb.deployed` are what
# `%bizml observed` and `%bizml deployed` run):

# %%
for i in range(1, len(NAMES)):
    x, ended = measured[i], ab["test ended"][i]
    bizml_nb.observe(
        NAMES[i],
        x,
        (round(x - Z90 * SE, 5), round(x + Z90 * SE, 5)),
        source=f"A/B test {ended[:7]}, 2 weeks",
        on=ended,
    )
    bizml_nb.deployed(NAMES[i], on=ab["launched"][i])

# %% [markdown]
# One more model went live in November **without** an A/B test: an urgent fix. It has a
# prediction but no measurement. It is never counted as 0, nor as its prediction: the cards
# list it as **not measured**.

# %%
ledger.record(
    bizml_nb.Run(
        id=run_id(date(2026, 11, 10), 13),
        name="hotfix ranker",
        target="take_rate",
        started_at="2026-11-10T09:00:00.000Z",
        metrics={"ndcg@10": 0.31},
    )
)
hotfix = bizml_nb.deployed("hotfix ranker", on="2026-11-12")

# %% [markdown]
# ## 4. How good were the predictions? Calibration
#
# Over every run with a prediction and an observation, per KPI:
#
# - **coverage**: the share of realised changes inside their predicted 90% ranges. Well
#   calibrated ranges hold about 90% of them; far less says the ranges are too narrow or off
#   centre.
# - **haircut**: how much of a predicted change was realised (the slope of realised on
#   predicted through the origin), with its 90% interval. A haircut of 0.5 says the launches
#   realised about half of what was predicted.
#
# The chart puts each run at (predicted, realised), with the diagonal where they would agree.

# %%
# %bizml calibration

# %% [markdown]
# The haircut is close to the 0.5 the world was built with, and its 90% interval lies well
# below 1: the declared elasticity is **too optimistic**, not unlucky. Few realised changes
# fall inside their predicted ranges, because the ranges are centred on the optimistic
# elasticity.
#
# ## 5. What did the launches bring? Realised impact
#
# Each launch's realised change priced at the KPI's value per unit: money per year, and money
# to date (from its launch day to `--today`). The **raw** sum of the significant wins (a
# measured change whose 90% interval lies above 0) overstates what the business got: a test
# that came out high by luck is more likely to be called a win. Shrinking each measured change
# toward the launches' mean effect (empirical Bayes, the more the noisier the test) corrects
# for it.

# %%
# %bizml impact --since 2026-01-01 --today 2026-12-01

# %% [markdown]
# ## 6. An ROI case on what was measured, not on what was predicted
#
# `%bizml roi --run RUN --benefit-from observed` takes the run's realised yearly value (with its
# measured interval) as the benefit, instead of its prediction. The other inputs are the
# illustrative defaults, listed on the card.

# %%
# %bizml roi --run "transformer v3" --benefit-from observed --draws 20000

# %% [markdown]
# ## 7. Learning from the observations
#
# Two ways to act on what was measured. **First**, keep the declared link and let every new
# card apply the team's haircut: `%bizml init --calibrate on`. A new candidate, recorded the
# usual way, then shows its prediction scaled by the haircut learned from the observed runs.

# %%
# %bizml init --calibrate on

# %%
# %%bizml experiment "transformer v4" --target take_rate
bizml_nb.log({"ndcg@10": 0.345})

# %% [markdown]
# **Second**, fix the link itself. `%bizml audit` puts the observed runs beside the declared
# elasticity and says whether they agree; `--fit --from-observed` refits the elasticity from
# the observed runs (their realised change against their NDCG gain). With the refitted link,
# the haircut is no longer needed, so calibration is switched off again first.

# %%
# %bizml audit ndcg@10 take_rate

# %%
# %bizml init --calibrate off
# %bizml link ndcg@10 take_rate --fit --from-observed --source "12 A/B tests of 2026"

# %% [markdown]
# The same candidate under the refitted link: its prediction now rests on what the team's
# launches did, not on the offline study, and is about a third lower than the declared link
# said.

# %%
# %bizml show "transformer v4"

# %% [markdown]
# ## 8. What to tell the business, and what to change
#
# - **Tell the business** the realised figures, not the predicted ones: the launches of 2026
#   are worth what the impact card's shrunk per-year sum says, about half of what the cards
#   predicted when each model was shipped.
# - **Discount new predictions** by the haircut until the link is refitted: a card predicting
#   +USD 10M a year is worth about USD 5M a year on this team's record (`--calibrate on`).
# - **Refit the link** from the A/B results (`--fit --from-observed`): the observed changes are
#   the best evidence there is of what NDCG buys in take-rate. Then keep recording every A/B
#   result, and check the calibration again after the next launches.
# - **Measure every launch**: the hotfix ranker is live and unmeasured; until an A/B test or a
#   holdout measures it, it counts for nothing.
# - `bizml report` adds a "Predicted vs realised" section with these figures to the report for
#   decision makers.
