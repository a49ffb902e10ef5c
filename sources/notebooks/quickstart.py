# %% [markdown]
# # bizml_nb quickstart: what did this model do for the business?
#
# A recommender team is judged on **take-rate** (quality plays / recommendations seen, the
# business metric Netflix uses for its recommender; Gomez-Uribe and Hunt, ACM TMIS 2015).
# The data scientists measure **NDCG@10** offline. This notebook declares the KPI once,
# declares how NDCG moves it, and then annotates each experiment cell with
# `%%bizml experiment`, so every result arrives with its business change, its interval
# and its money per year.
#
# All figures for the KPI and the link below are **illustrations**, not measurements. This
# notebook is its own small world, project `recsys-quickstart`: +1 pp of take-rate is *declared*
# to be worth \$25M a year and NDCG@10's elasticity 0.35 is given by hand.
# `notebooks/recsys_take_rate.ipynb` is a different project (`recsys-cancellations`) with the
# same KPI and different, fitted figures: compare the method, not the money.

# %% tags=["parameters"]
# Where to work (a papermill parameter): None is a fresh scratch folder, so the
# notebook re-runs from scratch every time; `bizml demo` passes its project folder.
workdir: str | None = None

# %%
import os
import tempfile

os.chdir(workdir or tempfile.mkdtemp(prefix="bizml-quickstart-"))

# %%
# %load_ext bizml_nb
# %% [markdown]
# ## 1. Declare the business metric and the link
#
# `value_per_unit` is what +1 unit of the KPI is worth per year (for a ratio, +1.0 = +100 pp,
# so \$2.5B per unit is \$25M per percentage point). The elasticity says how many units of
# take-rate one unit of NDCG@10 buys, with the range past A/B tests support.
# %%
# %bizml init --project recsys-quickstart --currency USD --min-annual-value 1e6
# %bizml metric take_rate --unit ratio --direction higher --baseline 0.112 --target 0.120 --value-per-unit 2.5e9 --owner "growth PM" --description "quality plays / recommendations seen"
# %bizml link ndcg@10 take_rate --elasticity 0.35 --interval 0.20 0.50 --source "A/B tests 2026 Q1-Q3"
# %%
# %bizml metrics
# %% [markdown]
# ## 2. A small, self-contained recommender
#
# Generated interactions (seeded): 400 users, 300 items, strong item popularity plus a weaker
# low-rank taste structure. Each user's last 5 interactions are held out; models are scored by NDCG@10 on them.
# %%
import numpy as np

import bizml_nb

rng = np.random.default_rng(7)
n_users, n_items, rank = 400, 300, 6
taste = 0.5 * rng.normal(size=(n_users, rank)) @ rng.normal(size=(rank, n_items))
popularity = rng.normal(scale=5.0, size=n_items)
scores = taste + popularity
# each user interacts with 25 of the items they like most (with noise); the last 5 are held out
noisy = scores + rng.gumbel(size=scores.shape)
ranked = np.argsort(-noisy, axis=1, kind="stable")[:, :25]
train = np.zeros((n_users, n_items))
np.put_along_axis(train, ranked[:, :20], 1.0, axis=1)
held_out = ranked[:, 20:]


def ndcg_at_10(user_scores: np.ndarray) -> float:
    """Mean NDCG@10 of the held-out items, with already-seen items excluded."""
    user_scores = np.where(train > 0, -np.inf, user_scores)
    # a stable sort: equal scores (popularity counts often tie) rank by item id on every CPU
    top = np.argsort(-user_scores, axis=1, kind="stable")[:, :10]
    gains = (top[:, :, None] == held_out[:, None, :]).any(axis=2)
    discounts = 1 / np.log2(np.arange(2, 12))
    ideal = discounts[: held_out.shape[1]].sum()
    return float(np.mean(gains @ discounts / ideal))


def popularity_model() -> np.ndarray:
    return np.broadcast_to(train.sum(axis=0), train.shape)


def low_rank_model(k: int) -> np.ndarray:
    u, s, vt = np.linalg.svd(train, full_matrices=False)
    return np.asarray((u[:, :k] * s[:k]) @ vt[:k])


def evaluate(model_scores: np.ndarray) -> float:
    return round(ndcg_at_10(model_scores), 4)


# %% [markdown]
# ## 3. Experiments, each against the KPI it is meant to move
#
# The first run is the **baseline** the others are compared with.

# %%
# %%bizml experiment "popularity baseline" --target take_rate --baseline
score = evaluate(popularity_model())
bizml_nb.log({"ndcg@10": score, "latency_ms": 12.0})

# %%
# %%bizml experiment "two-tower v2" --target take_rate --hypothesis "better cold-start recall lifts take-rate" --expect "+0.3pp" --tag retrieval
score = evaluate(low_rank_model(k=2))  # a low-rank factorisation stands in for the two-tower model
bizml_nb.log(**{"ndcg@10": score}, latency_ms=38.0)  # latency: p95 from the load test

# %% [markdown]
# A later metric can still be added to the last run (here: precision and recall from a
# slower offline job).

# %%
# %bizml log precision=0.91 recall=0.84

# %% [markdown]
# ## 4. The ledger
#
# Every run is in `.bizml/ledger.sqlite` beside `bizml.toml`, with its notebook, cell, git
# commit and versions. `%bizml runs` lists them with the predicted value per year.

# %%
# %bizml runs --target take_rate

# %%
# %bizml show "two-tower v2"

# %% [markdown]
# The same from plain Python, e.g. in a script or a scheduled job:

# %%
import bizml_nb

frame = bizml_nb.runs(target="take_rate")
frame[["name", "status", "is_baseline", "ndcg@10", "latency_ms"]]

# %% [markdown]
# ## 5. A second KPI and the dashboard
#
# Teams rarely answer to one number. The serving team is judged on **session abandonment**
# (sessions that end without a play; lower is better), and latency drives it. As an
# **illustration**: +1 ms of p95 latency adds 0.02 pp of abandonment [0.01, 0.03], and +1 pp of
# abandonment costs \$12M a year. Is a distilled, faster ranker worth shipping?

# %%
# %bizml metric abandonment --unit ratio --direction lower --baseline 0.18 --value-per-unit -1.2e9 --owner "serving lead" --description "sessions that end without a play"
# %bizml link latency_ms abandonment --elasticity 2e-4 --interval 1e-4 3e-4 --source "illustration"

# %%
# %%bizml experiment "full ranker" --target abandonment --baseline
bizml_nb.log(latency_ms=38.0)

# %%
# %%bizml experiment "distilled ranker" --target abandonment --hypothesis "a 17 ms faster ranker keeps more sessions"
bizml_nb.log(latency_ms=21.0)

# %% [markdown]
# `%bizml dashboard` puts it together: pick a KPI to see its leaderboard (ranked by value per
# year, beside the rank by each ML metric), the impact plot, and any run's card.

# %%
# %bizml dashboard

# %% [markdown]
# `%bizml help` lists every subcommand; `%bizml help link` shows one subcommand's flags.
