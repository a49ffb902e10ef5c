"""ML adoption maturity: a questionnaire, survey priors for time to deploy, and its effect on ROI.

Sources (see the project's REFERENCE notes):

- Microsoft, "Machine Learning operations maturity model" (Azure Architecture
  Center): levels 0 No MLOps, 1 DevOps but no MLOps, 2 Automated training,
  3 Automated model deployment, 4 Full MLOps automated operations, each described
  under People, Model creation, Model release and Application integration. The
  questionnaire's items follow those descriptions.
- Google Cloud, "MLOps: continuous delivery and automation pipelines in machine
  learning": level 0 manual process, 1 ML pipeline automation, 2 CI/CD pipeline
  automation.
- Algorithmia, "2020 State of Enterprise Machine Learning" (about 745
  respondents): time to deploy a model, all respondents: 7 days or less 14%,
  8-30 days 28%, 31-90 days 22%, more than 90 days 18%, no answer 18%.
- The same survey as quoted in the seed text: among companies with models in
  production for over five years, almost 75% deploy in under 30 days; among
  those just starting, 60% take over 30 days. These are the only per-maturity
  figures available; the per-level distributions below are ILLUSTRATIVE, shaped
  to match those two points.

The package: :mod:`~bizml_nb.finance.maturity.questionnaire` (the questions, the
scoring, the :class:`Assessment` card), :mod:`~bizml_nb.finance.maturity.survey` (the
survey's shares, time-to-deploy priors, :func:`by_maturity`, one's own history read and
binned) and :mod:`~bizml_nb.finance.maturity.history` (:class:`History`: one's own
deployments summarised).
"""

from __future__ import annotations

from bizml_nb.finance.maturity.history import History
from bizml_nb.finance.maturity.questionnaire import (
    DIMENSIONS,
    LEVEL_NAMES,
    MATURITY_MIME,
    QUESTIONS,
    Assessment,
    MaturityError,
    Question,
    assess,
    check_level,
)
from bizml_nb.finance.maturity.survey import (
    ALGORITHMIA_2020,
    ALGORITHMIA_CITATION,
    DEFAULT_ASSUMPTIONS,
    DEPLOY_BINS,
    SEED_CITATION,
    SEED_POINTS,
    MaturityAssumptions,
    binned,
    by_maturity,
    compare_with_survey,
    deployment_days,
    survey_prior,
    survey_shares,
    within_days,
)

__all__ = [
    "ALGORITHMIA_2020",
    "ALGORITHMIA_CITATION",
    "DEFAULT_ASSUMPTIONS",
    "DEPLOY_BINS",
    "DIMENSIONS",
    "LEVEL_NAMES",
    "MATURITY_MIME",
    "QUESTIONS",
    "SEED_CITATION",
    "SEED_POINTS",
    "Assessment",
    "History",
    "MaturityAssumptions",
    "MaturityError",
    "Question",
    "assess",
    "binned",
    "by_maturity",
    "check_level",
    "compare_with_survey",
    "deployment_days",
    "survey_prior",
    "survey_shares",
    "within_days",
]
