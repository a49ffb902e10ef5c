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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    import pandas as pd

    from bizml_nb.finance.roi import Investment, Lognormal

DIMENSIONS = ("people", "model creation", "model release", "application integration")
LEVEL_NAMES = {
    0: "No MLOps",
    1: "DevOps but no MLOps",
    2: "Automated training",
    3: "Automated model deployment",
    4: "Full MLOps automated operations",
}
ALGORITHMIA_2020 = {  # share of all respondents, by days to deploy a model
    "7 days or less": 0.14,
    "8-30 days": 0.28,
    "31-90 days": 0.22,
    "more than 90 days": 0.18,
    "no answer": 0.18,
}
ALGORITHMIA_CITATION = (
    'Algorithmia, "2020 State of Enterprise Machine Learning" (about 745 respondents)'
)
SEED_POINTS = {  # the only per-maturity figures: share deploying in under 30 days
    "models in production over 5 years": 0.75,
    "just getting started": 0.40,
}
SEED_CITATION = "the 2020 Algorithmia survey as quoted in the seed text (Figure 2-1)"


class MaturityError(BizmlError):
    """A maturity input is not valid."""


# --------------------------------------------------------------------------- questionnaire


@dataclass(frozen=True)
class Question:
    """A yes/no question that, answered yes, is evidence of ``level`` in ``dimension``."""

    key: str
    dimension: str
    level: int
    text: str
    next_step: str


QUESTIONS: tuple[Question, ...] = (
    # people
    Question(
        "separate_teams_collaborate",
        "people",
        1,
        "Do data scientists and engineers work together on releasing models (rather than handing notebooks over)?",
        "Pair a data scientist with a software engineer on the next model's release.",
    ),
    Question(
        "shared_ownership",
        "people",
        2,
        "Do data scientists, data engineers and software engineers share ownership of models in production?",
        "Name one owner per production model across the three roles.",
    ),
    Question(
        "release_by_engineers",
        "people",
        3,
        "Can software engineers release a new model version without a data scientist doing it by hand?",
        "Write down the release steps so an engineer can run them unaided.",
    ),
    Question(
        "ops_monitoring_owned",
        "people",
        4,
        "Does the team own production metrics and act on alerts about model quality?",
        "Put model-quality alerts on the on-call rotation.",
    ),
    # model creation
    Question(  # without a level-1 question, answering no to everything would score level 1
        "data_pipeline_automated",
        "model creation",
        1,
        "Is training data gathered by an automated pipeline rather than by hand?",
        "Script the extraction of training data so it runs without manual steps.",
    ),
    Question(
        "experiments_tracked",
        "model creation",
        2,
        "Are experiments tracked (code, data and results recorded for every run)?",
        "Record every experiment with its data, code version and metrics (e.g. %%bizml experiment).",
    ),
    Question(
        "code_and_model_versioned",
        "model creation",
        2,
        "Are training code and trained models versioned?",
        "Keep training code in git and store models in a versioned registry.",
    ),
    Question(
        "training_automated",
        "model creation",
        2,
        "Is training automated, so anyone can retrain from the versioned code and data?",
        "Turn the training notebook into a pipeline that runs end to end without edits.",
    ),
    Question(
        "retraining_triggered",
        "model creation",
        4,
        "Is retraining triggered automatically by production metrics or drift?",
        "Trigger retraining from a drift or performance alert.",
    ),
    # model release
    Question(
        "release_repeatable",
        "model release",
        1,
        "Is there a written, repeatable process for releasing a model?",
        "Write the release checklist and follow it for the next release.",
    ),
    Question(
        "release_automated_with_tests",
        "model release",
        3,
        "Is model release automated with tests (data validation, model validation) in CI/CD?",
        "Add data and model validation tests to a CI pipeline that deploys on success.",
    ),
    Question(
        "ab_testing_integrated",
        "model release",
        3,
        "Are models A/B tested against the current one before full rollout?",
        "Run the next model as an A/B test against production before rollout.",
    ),
    Question(
        "rollback_automatic",
        "model release",
        4,
        "Is a bad model rolled back automatically on production metrics?",
        "Automate rollback when the online metric drops below its guardrail.",
    ),
    # application integration
    Question(
        "app_has_tests",
        "application integration",
        1,
        "Does the application that uses the model have automated tests?",
        "Add integration tests for the application's calls to the model.",
    ),
    Question(
        "model_metrics_in_app",
        "application integration",
        2,
        "Does the application report the model's inputs and outputs so they can be monitored?",
        "Log model inputs and predictions from the application.",
    ),
    Question(
        "integration_tests_for_model",
        "application integration",
        3,
        "Are there integration tests that exercise each new model version inside the application?",
        "Run the application's integration tests against every new model version.",
    ),
    Question(
        "production_metrics_feed_back",
        "application integration",
        4,
        "Do production metrics feed back automatically into the next model version?",
        "Feed labelled production outcomes back into the training data automatically.",
    ),
)


@dataclass(frozen=True)
class Assessment:
    """Maturity levels from a set of answers, with the next concrete steps."""

    answers: Mapping[str, bool]
    by_dimension: Mapping[str, int]
    level: int
    google_level: int
    next_steps: tuple[tuple[str, str], ...]  # (dimension, step) for each gap, lowest level first

    @property
    def name(self) -> str:
        return LEVEL_NAMES[self.level]

    def text(self) -> str:
        """The assessment in words."""
        lines = [
            f"ML adoption maturity: level {self.level} ({self.name}) on Microsoft's scale, "
            f"level {self.google_level} on Google's",
        ]
        for dimension in DIMENSIONS:
            level = self.by_dimension[dimension]
            lines.append(f"  {dimension:<24} level {level} ({LEVEL_NAMES[level]})")
        if self.next_steps:
            lines.append("Next steps:")
            lines.extend(f"  {dimension}: {step}" for dimension, step in self.next_steps)
        return "\n".join(lines)

    def record(self) -> dict[str, Any]:
        return {
            "format": "bizml.maturity",
            "version": 1,
            "answers": dict(self.answers),
            "by_dimension": dict(self.by_dimension),
            "level": self.level,
            "google_level": self.google_level,
            "next_steps": [list(step) for step in self.next_steps],
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        import html

        return {
            "text/plain": self.text(),
            "text/html": f'<pre class="bizml-maturity">{html.escape(self.text())}</pre>',
            "application/vnd.bizml.maturity+json": self.record(),
        }


def assess(answers: Mapping[str, bool]) -> Assessment:
    """Score ``answers`` (question key -> yes/no; missing keys count as no).

    A dimension is at level L when every question of that dimension at levels
    1..L is answered yes (a level with no question is passed through). The
    overall level is the lowest dimension's: a release process is as mature as
    its weakest part. Google's level: 0 for Microsoft 0-1, 1 for 2, 2 for 3-4.
    """
    unknown = [key for key in answers if key not in {q.key for q in QUESTIONS}]
    if unknown:
        from bizml_nb.core.errors import did_you_mean

        raise MaturityError(
            f"unknown question {unknown[0]!r}{did_you_mean(unknown[0], [q.key for q in QUESTIONS])}"
        )
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise MaturityError(f"answer to {key!r} must be True or False (not {value!r})")
    by_dimension: dict[str, int] = {}
    steps: list[tuple[int, str, str]] = []
    for dimension in DIMENSIONS:
        level = 0
        for target in range(1, 5):
            needed = [q for q in QUESTIONS if q.dimension == dimension and q.level == target]
            missing = [q for q in needed if not answers.get(q.key, False)]
            if missing:
                steps.extend((q.level, dimension, q.next_step) for q in missing)
                break
            level = target
        by_dimension[dimension] = level
    overall = min(by_dimension.values())
    google = 0 if overall <= 1 else (1 if overall == 2 else 2)
    ordered = tuple((d, s) for _, d, s in sorted(steps, key=lambda item: item[0]))
    return Assessment(dict(answers), by_dimension, overall, google, ordered)


# --------------------------------------------------------------------------- survey priors


def survey_shares(include_no_answer: bool = False) -> dict[str, float]:
    """The Algorithmia 2020 time-to-deploy shares, renormalised over those who answered."""
    if include_no_answer:
        return dict(ALGORITHMIA_2020)
    answered = {k: v for k, v in ALGORITHMIA_2020.items() if k != "no answer"}
    total = sum(answered.values())
    return {k: v / total for k, v in answered.items()}


@dataclass(frozen=True)
class MaturityAssumptions:
    """How maturity changes a project: ILLUSTRATIVE defaults, meant to be overridden.

    ``under_30_days``: share of projects deployed within 30 days at each level;
    its ends match the survey's two per-maturity points (40% for teams just
    starting, 75% for teams with models in production over five years), the
    levels in between are interpolated. With ``sigma`` (the spread of the log of
    the days) it fixes a lognormal time to deploy per level. ``eng_effort`` and
    ``cloud_cost`` multiply the engineering months and the cloud bill.
    """

    under_30_days: Sequence[float] = (0.40, 0.475, 0.55, 0.65, 0.75)
    sigma: float = 1.0
    eng_effort: Sequence[float] = (1.5, 1.3, 1.0, 0.8, 0.65)
    cloud_cost: Sequence[float] = (1.3, 1.15, 1.0, 0.9, 0.8)
    note: str = field(
        default="illustrative: shaped to the survey's two points, not measured per level"
    )

    def __post_init__(self) -> None:
        for name in ("under_30_days", "eng_effort", "cloud_cost"):
            values = getattr(self, name)
            if len(values) != 5:
                raise MaturityError(f"{name} needs one value per level 0-4 (got {len(values)})")
            if any(not (v > 0 and math.isfinite(v)) for v in values):
                raise MaturityError(f"{name} values must be positive numbers (got {list(values)})")
        if any(not v < 1 for v in self.under_30_days):
            raise MaturityError("under_30_days are shares below 1")
        if not self.sigma > 0:
            raise MaturityError("sigma must be positive")

    def deploy_prior(self, level: int) -> Lognormal:
        """The (illustrative) lognormal time to deploy, in days, at maturity ``level``."""
        from statistics import NormalDist

        from bizml_nb.finance.roi import Lognormal

        check_level(level)
        z = NormalDist().inv_cdf(self.under_30_days[level])
        median = 30 * math.exp(-z * self.sigma)
        return Lognormal(median, self.sigma, label=f"level {level}, illustrative")


DEFAULT_ASSUMPTIONS = MaturityAssumptions()


def survey_prior() -> Lognormal:
    """A lognormal time to deploy fitted to the Algorithmia 2020 answers (all respondents).

    Least squares on the three cumulative shares at 7, 30 and 90 days
    (renormalised over those who answered).
    """
    from statistics import NormalDist

    from bizml_nb.finance.roi import Lognormal

    shares = survey_shares()
    cumulative = [
        (7.0, shares["7 days or less"]),
        (30.0, shares["7 days or less"] + shares["8-30 days"]),
        (90.0, 1 - shares["more than 90 days"]),
    ]
    # ln(days) = mu + sigma * z(share): a straight line through three points
    points = [(NormalDist().inv_cdf(p), math.log(days)) for days, p in cumulative]
    n = len(points)
    zbar = sum(z for z, _ in points) / n
    ybar = sum(y for _, y in points) / n
    sigma = sum((z - zbar) * (y - ybar) for z, y in points) / sum(
        (z - zbar) ** 2 for z, _ in points
    )
    mu = ybar - sigma * zbar
    return Lognormal(math.exp(mu), sigma, label="fitted to Algorithmia 2020")


def check_level(level: int) -> None:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
        raise MaturityError(f"maturity levels run from 0 to 4 (not {level!r})")


def by_maturity(
    investment: Investment,
    assumptions: MaturityAssumptions = DEFAULT_ASSUMPTIONS,
    *,
    draws: int = 20_000,
    reference_level: int = 2,
    seed: int | None = None,
) -> pd.DataFrame:
    """The same project at each maturity level: time to deploy, effort, cloud, NPV.

    The investment's own engineering months and cloud bill are taken as its
    values at ``reference_level`` (multiplier 1.0 by default) and scaled by the
    level's multipliers relative to that level; its time to deploy is replaced by
    the level's (illustrative) prior. Every level is simulated with the same
    ``seed`` (default: :data:`bizml_nb.finance.roi.SEED`), so a rerun gives the same table.
    """
    import pandas as pd

    from bizml_nb.finance.roi import SEED, evaluate, simulate

    check_level(reference_level)
    rows = []
    for level in range(5):
        eng = assumptions.eng_effort[level] / assumptions.eng_effort[reference_level]
        cloud = assumptions.cloud_cost[level] / assumptions.cloud_cost[reference_level]
        prior = assumptions.deploy_prior(level)
        at_level = replace(
            investment,
            deploy_days=prior,
            eng_months=_scale(investment.eng_months, eng),
            cloud_per_year=_scale(investment.cloud_per_year, cloud),
        )
        sim = simulate(at_level, draws=draws, seed=SEED if seed is None else seed)
        p10, p50, p90 = sim.npv_percentiles()
        rows.append(
            {
                "level": level,
                "name": LEVEL_NAMES[level],
                "median_days_to_deploy": prior.median,
                "eng_multiplier": eng,
                "cloud_multiplier": cloud,
                "npv_at_mode": evaluate(at_level).npv,
                "npv_p10": p10,
                "npv_p50": p50,
                "npv_p90": p90,
                "p_npv_positive": sim.p_positive,
            }
        )
    frame = pd.DataFrame(rows)
    frame["gain_vs_previous_level"] = frame["npv_p50"].diff()
    return frame


def _scale(value: Any, factor: float) -> Any:
    from bizml_nb.finance.roi import Lognormal, Triangular, Uniform

    if isinstance(value, int | float):
        return float(value) * factor
    if isinstance(value, Triangular):
        return Triangular(value.low_ * factor, value.mode_ * factor, value.high_ * factor)
    if isinstance(value, Uniform):
        return Uniform(value.low_ * factor, value.high_ * factor)
    if isinstance(value, Lognormal):
        return Lognormal(value.median * factor, value.sigma, value.label)
    raise MaturityError(f"cannot scale {value!r}")


# --------------------------------------------------------------------------- own history


def deployment_days(history: pd.DataFrame) -> pd.Series:
    """Days from start to deployment per model, from columns ``started`` and ``deployed``."""
    import pandas as pd

    missing = [c for c in ("started", "deployed") if c not in history]
    if missing:
        raise MaturityError(
            f"the deployment history needs columns started and deployed (missing {', '.join(missing)})"
        )
    started = pd.to_datetime(history["started"], errors="coerce", utc=True)
    deployed = pd.to_datetime(history["deployed"], errors="coerce", utc=True)
    bad = started.isna() | deployed.isna()
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise MaturityError(
            f"row {row + 1} of the deployment history has a date that cannot be read"
        )
    days = (deployed - started).dt.total_seconds() / 86_400
    if (days < 0).any():
        row = int((days < 0).to_numpy().nonzero()[0][0])
        raise MaturityError(f"row {row + 1}: deployed before it started")
    return days


def compare_with_survey(days: Sequence[float] | pd.Series) -> pd.DataFrame:
    """The organisation's time-to-deploy shares beside the Algorithmia 2020 shares."""
    import numpy as np
    import pandas as pd

    values = np.asarray(list(days), dtype=float)
    if values.size == 0:
        raise MaturityError("no deployments to compare yet")
    bins = {
        "7 days or less": values <= 7,
        "8-30 days": (values > 7) & (values <= 30),
        "31-90 days": (values > 30) & (values <= 90),
        "more than 90 days": values > 90,
    }
    survey = survey_shares()
    return pd.DataFrame(
        {
            "days": list(bins),
            "yours": [float(mask.mean()) for mask in bins.values()],
            "survey": [survey[name] for name in bins],
        }
    )
