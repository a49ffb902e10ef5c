# %% [markdown]
# # How mature is our ML delivery, and what should we fix first?
#
# 17 yes/no questions place an ML team on Microsoft's ML operations maturity model
# (levels 0 to 4) and on Google's MLOps levels (0 to 2). The notebook decides **where the
# team stands and which changes to make first** to reach the next level; below the decision,
# it shows how the level was scored, what the level usually means for the time it takes to
# get a model live, the team's own deployments beside a published survey (if it has a record
# of them), and every change that would lift the level.
#
# Answer the questions in the parameters cell below (True = yes), or make a copy with
# `bizml new adoption_maturity my_team.ipynb -p experiments_tracked true ...`, then run every
# cell (`bizml run my_team.ipynb`). The quiz further down holds the same answers and can be
# changed there. The default answers describe an **illustrative** team, not yours.

# %% tags=["parameters"]
# fmt: off
from typing import Optional  # a parameter that may be None is Optional[...]: papermill reads it

# Parameters: edit them here, or pass them with `bizml new adoption_maturity OUT.ipynb -p NAME VALUE`.
# The answers (True = yes) describe an ILLUSTRATIVE team: replace them with yours.
organisation: str = "our ML team"  # whose maturity this is; the decision names it
deployment_history: Optional[str] = None  # CSV of past deployments (columns started, deployed; one row per model); None: skip it
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
# ## The decision: where the team stands, and what to fix first
#
# The card gives the team's level on both scales, the headings that hold it back, the first
# changes to make to reach the next level, and what the level usually means for the time to
# deploy a model (an illustration shaped to a survey, explained below). The cell first checks
# the parameters, as `bizml new` and `bizml run` do.

# %% tags=["decision-summary"]
from bizml_nb.present.analyses import maturity

parameters = maturity.parameters_from(globals())
maturity.check_parameters(parameters)
analysis = maturity.analyse(parameters)
analysis.decision

# %% [markdown]
# ## The answers, as a quiz
#
# The quiz holds the answers the decision was made from. Tick or untick a box and the level
# and next steps in the quiz change at once. Then run the cell after it, and the cells below
# it: they use the quiz's answers, and the cell says which differ from the parameters cell and
# gives the `bizml run` line that makes the decision above from them. (The quiz needs a live
# notebook; a saved copy shows its answers as text.)

# %% tags=["nbval-ignore-output"]
quiz = analysis.quiz()
quiz

# %%
analysis = analysis.with_answers(quiz.answers())
analysis.answers_used(parameters)

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
analysis.levels_chart()

# %% [markdown]
# The answers, question by question:

# %%
analysis.answers_table()

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
analysis.deploy_chart()

# %%
analysis.deploy_table()

# %% [markdown]
# ## The team's own deployments
#
# With `deployment_history`, the path of a CSV with one row per deployed model and the columns
# `started` and `deployed` (dates), the team's own times to deploy are set beside the survey's.
# Measured figures beat any survey: if yours differ from the level's illustrative curve, trust
# yours (and give them to the `roi_analysis` template as `deploy_days`).

# %%
analysis.own_deployments()

# %% [markdown]
# ## What would lift the level
#
# To reach the next level, every heading has to reach it: these are the questions still
# answered no, each with a first concrete step.

# %%
analysis.next_steps()
