# %% [markdown]
# # How mature is our ML delivery, and what should we fix first?
#
# 17 yes/no questions place an ML team on Microsoft's ML operations maturity model
# (levels 0 to 4) and on Google's MLOps levels (0 to 2). The notebook then shows what that
# level usually means for the time it takes to get a model live, compares the team's own
# deployments with a published survey if it has a record of them, and lists the concrete
# changes that would lift the team one level.
#
# Answer the questions in the parameters cell below (True = yes), or make a copy with
# `bizml new adoption_maturity my_team.ipynb -p experiments_tracked true ...`, then run every
# cell (`bizml run my_team.ipynb`). The default answers describe an **illustrative** team,
# not yours.

# %% tags=["parameters"]
# fmt: off
# Parameters: edit them here, or pass them with `bizml new adoption_maturity OUT.ipynb -p NAME VALUE`.
# The answers (True = yes) describe an ILLUSTRATIVE team: replace them with yours.
organisation: str = "our ML team"  # whose maturity this is; the summary names it
deployment_history: str | None = None  # CSV of past deployments (columns started, deployed; one row per model); None: skip it
# people: questions for levels 1-4
separate_teams_collaborate: bool = True  # Do data scientists and engineers work together on releasing models (rather than handing notebooks over)?
shared_ownership: bool = False  # Do data scientists, data engineers and software engineers share ownership of models in production?
release_by_engineers: bool = False  # Can software engineers release a new model version without a data scientist doing it by hand?
ops_monitoring_owned: bool = False  # Does the team own production metrics and act on alerts about model quality?
# model creation: questions for levels 1-4
data_pipeline_automated: bool = True  # Is training data gathered by an automated pipeline rather than by hand?
experiments_tracked: bool = True  # Are experiments tracked (code, data and results recorded for every run)?
code_and_model_versioned: bool = True  # Are training code and trained models versioned?
training_automated: bool = False  # Is training automated, so anyone can retrain from the versioned code and data?
retraining_triggered: bool = False  # Is retraining triggered automatically by production metrics or drift?
# model release: questions for levels 1-4
release_repeatable: bool = True  # Is there a written, repeatable process for releasing a model?
release_automated_with_tests: bool = False  # Is model release automated with tests (data validation, model validation) in CI/CD?
ab_testing_integrated: bool = False  # Are models A/B tested against the current one before full rollout?
rollback_automatic: bool = False  # Is a bad model rolled back automatically on production metrics?
# application integration: questions for levels 1-4
app_has_tests: bool = True  # Does the application that uses the model have automated tests?
model_metrics_in_app: bool = False  # Does the application report the model's inputs and outputs so they can be monitored?
integration_tests_for_model: bool = False  # Are there integration tests that exercise each new model version inside the application?
production_metrics_feed_back: bool = False  # Do production metrics feed back automatically into the next model version?
# fmt: on

# %% [markdown]
# ## How the level is scored
#
# - Microsoft's "Machine Learning operations maturity model" (Azure Architecture Center)
#   describes five levels, 0 No MLOps, 1 DevOps but no MLOps, 2 Automated training, 3 Automated
#   model deployment and 4 Full MLOps automated operations, under four headings: people, model
#   creation, model release and application integration. Each question is evidence of one
#   level under one heading.
# - A heading is at level L when every question of levels 1 to L under it is answered yes.
#   The team's level is its weakest heading's: a release process is only as mature as its
#   weakest part.
# - Google Cloud's "MLOps: continuous delivery and automation pipelines in machine learning"
#   has three levels: 0 manual process, 1 ML pipeline automation, 2 CI/CD pipeline automation.
#   Microsoft's 0-1 count as Google's 0, 2 as 1, and 3-4 as 2.

# %%
# Score the answers: a level per heading, the team's level, Google's level
import math
from pathlib import Path
from statistics import NormalDist

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from bizml_nb.finance.maturity import (
    ALGORITHMIA_CITATION,
    DEFAULT_ASSUMPTIONS,
    DIMENSIONS,
    LEVEL_NAMES,
    QUESTIONS,
    assess,
    compare_with_survey,
    deployment_days,
    survey_shares,
)
from bizml_nb.finance.roi import Lognormal

answers = {
    "separate_teams_collaborate": separate_teams_collaborate,
    "shared_ownership": shared_ownership,
    "release_by_engineers": release_by_engineers,
    "ops_monitoring_owned": ops_monitoring_owned,
    "data_pipeline_automated": data_pipeline_automated,
    "experiments_tracked": experiments_tracked,
    "code_and_model_versioned": code_and_model_versioned,
    "training_automated": training_automated,
    "retraining_triggered": retraining_triggered,
    "release_repeatable": release_repeatable,
    "release_automated_with_tests": release_automated_with_tests,
    "ab_testing_integrated": ab_testing_integrated,
    "rollback_automatic": rollback_automatic,
    "app_has_tests": app_has_tests,
    "model_metrics_in_app": model_metrics_in_app,
    "integration_tests_for_model": integration_tests_for_model,
    "production_metrics_feed_back": production_metrics_feed_back,
}
assessment = assess(answers)
level = assessment.level
yes = sum(answers.values())
print(f"{organisation}: {yes} of {len(QUESTIONS)} questions answered yes")
print(
    f"Level {level} ({assessment.name}) on Microsoft's 0-4 scale; "
    f"level {assessment.google_level} on Google's 0-2 scale"
)
for dimension in DIMENSIONS:
    at = assessment.by_dimension[dimension]
    marker = "  <- sets the team's level" if at == level else ""
    print(f"  {dimension:<24} level {at} ({LEVEL_NAMES[at]}){marker}")

figure, axes = plt.subplots(figsize=(7, 2.6))
values = [assessment.by_dimension[d] for d in DIMENSIONS]
axes.barh(
    range(len(DIMENSIONS)),
    values,
    color=["tab:orange" if v == level else "tab:blue" for v in values],
)
axes.set_yticks(range(len(DIMENSIONS)), list(DIMENSIONS))
axes.invert_yaxis()
axes.set_xlim(0, 4)
axes.set_xticks(range(5))
axes.set_xlabel("maturity level (orange: the weakest headings, which set the team's level)")
axes.set_title("Maturity by heading")
figure.tight_layout()
plt.close(figure)
figure

# %% [markdown]
# The answers, question by question:

# %%
pd.DataFrame(
    {
        "heading": [q.dimension for q in QUESTIONS],
        "level": [q.level for q in QUESTIONS],
        "question": [q.text for q in QUESTIONS],
        "answer": ["yes" if answers[q.key] else "no" for q in QUESTIONS],
    }
)

# %% [markdown]
# ## Time to deploy: what this level usually means
#
# Algorithmia's "2020 State of Enterprise Machine Learning" (about 745 respondents) asked how
# long it takes to deploy a model: 14% said 7 days or less, 28% 8-30 days, 22% 31-90 days, 18%
# longer, and 18% did not answer (the shares below are of those who answered). Per maturity
# group, the survey gives only two points: almost 75% of companies with models in production
# for over five years deploy in under 30 days, and 60% of those just starting take longer.
# The curves per level below are **illustrative**, shaped to those two points; they are not
# measured per level.

# %%
BINS = [
    ("7 days or less", 0, 7),
    ("8-30 days", 7, 30),
    ("31-90 days", 30, 90),
    ("more than 90 days", 90, math.inf),
]


def within(prior: Lognormal, days: float) -> float:
    """Share of projects deployed within ``days`` under a lognormal prior."""
    if days == math.inf:
        return 1.0
    return NormalDist().cdf((math.log(days) - math.log(prior.median)) / prior.sigma)


def binned(prior: Lognormal) -> list[float]:
    return [within(prior, high) - (within(prior, low) if low > 0 else 0.0) for _, low, high in BINS]


survey = survey_shares()
shown_levels = [level] + ([level + 1] if level < 4 else [])
table = pd.DataFrame(
    {
        "days to deploy": [name for name, _, _ in BINS],
        "survey (all who answered)": [survey[name] for name, _, _ in BINS],
    }
)
for at in shown_levels:
    table[f"level {at} (illustrative)"] = binned(DEFAULT_ASSUMPTIONS.deploy_prior(at))
prior = DEFAULT_ASSUMPTIONS.deploy_prior(level)
survey_30 = survey["7 days or less"] + survey["8-30 days"]
print(
    f"Survey: {survey_30:.0%} of those who answered deploy within 30 days ({ALGORITHMIA_CITATION})"
)
print(
    f"Level {level}: median {prior.median:.0f} days to deploy, {within(prior, 30):.0%} within 30 days (illustrative)"
)
if level < 4:
    better = DEFAULT_ASSUMPTIONS.deploy_prior(level + 1)
    print(
        f"Level {level + 1}: median {better.median:.0f} days, {within(better, 30):.0%} within 30 days (illustrative)"
    )

figure, axes = plt.subplots(figsize=(7, 3))
width = 0.8 / (len(table.columns) - 1)
for i, column in enumerate(table.columns[1:]):
    axes.bar([x + i * width for x in range(len(BINS))], table[column], width=width, label=column)
axes.set_xticks(
    [x + width * (len(table.columns) - 2) / 2 for x in range(len(BINS))],
    list(table["days to deploy"]),
)
axes.set_ylabel("share of models")
axes.set_title("Time to deploy: survey and illustrative curves per level")
axes.legend(fontsize=8)
figure.tight_layout()
plt.close(figure)
display(figure)
shown = table.copy()
for column in shown.columns[1:]:
    shown[column] = [f"{v:.0%}" for v in shown[column]]
shown

# %% [markdown]
# ## The team's own deployments
#
# With `deployment_history`, the path of a CSV with one row per deployed model and the columns
# `started` and `deployed` (dates), the team's own times to deploy are set beside the survey's.
# Measured figures beat any survey: if yours differ from the level's illustrative curve, trust
# yours (and give them to `roi_analysis` as `deploy_days`).

# %%
history = None
if deployment_history is None:
    print("No deployment history given (parameter deployment_history): nothing to compare.")
else:
    if not Path(deployment_history).is_file():
        raise FileNotFoundError(f"deployment_history: no file at {deployment_history!r}")
    days = deployment_days(pd.read_csv(deployment_history))
    comparison = compare_with_survey(days)
    history = {
        "deployments": len(days),
        "median_days": float(days.median()),
        "within_30_days": float((days <= 30).mean()),
        "shares": {row["days"]: float(row["yours"]) for row in comparison.to_dict("records")},
    }
    print(
        f"{history['deployments']} deployments: median {history['median_days']:.0f} days from start "
        f"to live, {history['within_30_days']:.0%} within 30 days (survey: {survey_30:.0%})"
    )
    figure, axes = plt.subplots(figsize=(7, 3))
    positions = range(len(comparison))
    axes.bar([x - 0.2 for x in positions], comparison["yours"], width=0.4, label=organisation)
    axes.bar(
        [x + 0.2 for x in positions], comparison["survey"], width=0.4, label="Algorithmia 2020"
    )
    axes.set_xticks(list(positions), list(comparison["days"]))
    axes.set_ylabel("share of models")
    axes.set_title("Time to deploy: yours and the survey's")
    axes.legend(fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    display(figure)
    shown = comparison.copy()
    for column in ("yours", "survey"):
        shown[column] = [f"{v:.0%}" for v in shown[column]]
    display(shown)

# %% [markdown]
# ## What would lift the level
#
# To reach the next level, every heading has to reach it: these are the questions still
# answered no, each with a first concrete step.

# %%
if level == 4:
    to_next = []
    print("Level 4 is the top of the scale: keep the practices that got the team here.")
else:
    to_next = [q for q in QUESTIONS if q.level <= level + 1 and not answers[q.key]]
    print(f"To reach level {level + 1} ({LEVEL_NAMES[level + 1]}), {len(to_next)} changes:")
    for q in to_next:
        print(f"- [{q.dimension}, level {q.level}] {q.text}")
        print(f"  first step: {q.next_step}")

# %% [markdown]
# ## Decision summary
#
# Where the team stands, what to fix first, and what it would change. The cell also records
# the key figures as JSON (`application/vnd.bizml.maturity+json`), which `bizml run` and
# reports read back.

# %% tags=["decision-summary"]
weakest = [d for d in DIMENSIONS if assessment.by_dimension[d] == level]
lines = [
    f"Decision summary: {organisation}",
    f"Level {level} ({assessment.name}) on Microsoft's 0-4 scale, level {assessment.google_level} "
    f"on Google's 0-2 scale; {yes} of {len(QUESTIONS)} answers yes.",
]
if level < 4:
    lines.append(f"The level is set by: {', '.join(weakest)}.")
    lines.append(
        f"Fix first ({len(to_next)} changes to reach level {level + 1}, {LEVEL_NAMES[level + 1]}): "
        + "; ".join(q.next_step.rstrip(".") for q in to_next[:3])
        + ("; and more below." if len(to_next) > 3 else ".")
    )
    lines.append(
        f"Time to deploy (illustrative): median {prior.median:.0f} days at level {level}, "
        f"{DEFAULT_ASSUMPTIONS.deploy_prior(level + 1).median:.0f} days at level {level + 1}."
    )
else:
    lines.append(
        f"Top level: keep it. Time to deploy (illustrative): median {prior.median:.0f} days."
    )
if history is not None:
    lines.append(
        f"Own deployments: {history['deployments']}, median {history['median_days']:.0f} days, "
        f"{history['within_30_days']:.0%} within 30 days (survey: {survey_30:.0%})."
    )
lines.append("What would change this: answering yes to the questions listed above; then re-run.")
summary = "\n".join(lines)
print(summary)

record = {
    **assessment.record(),
    "template": "adoption_maturity",
    "organisation": organisation,
    "level_name": assessment.name,
    "yes_answers": int(yes),
    "to_next_level": [q.key for q in to_next],
    "deploy_prior": {
        "level": level,
        "median_days": float(prior.median),
        "within_30_days": float(within(prior, 30)),
        "illustrative": True,
    },
    "survey": {"source": ALGORITHMIA_CITATION, "shares": {k: float(v) for k, v in survey.items()}},
    "history": history,
    "parameters": {
        "organisation": organisation,
        "deployment_history": deployment_history,
        **answers,
    },
    "summary": summary,
}
display(
    {
        "text/plain": "decision record: application/vnd.bizml.maturity+json",
        "application/vnd.bizml.maturity+json": record,
    },
    raw=True,
)
