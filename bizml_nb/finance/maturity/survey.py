"""Time to deploy by maturity: the Algorithmia 2020 survey, priors, and the effect on ROI.

:func:`survey_prior` fits a lognormal time to deploy to the survey's answers;
:class:`MaturityAssumptions` gives an ILLUSTRATIVE prior and cost multipliers per level,
and :func:`by_maturity` prices one project at every level. :func:`deployment_days` and
:func:`compare_with_survey` set an organisation's own deployments beside the survey.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from bizml_nb.finance.maturity.questionnaire import LEVEL_NAMES, MaturityError, check_level
from bizml_nb.finance.roi import (
    SEED,
    Investment,
    Lognormal,
    Triangular,
    Uniform,
    evaluate,
    simulate,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

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
        check_level(level)
        z = NormalDist().inv_cdf(self.under_30_days[level])
        median = 30 * math.exp(-z * self.sigma)
        return Lognormal(median, self.sigma, label=f"level {level}, illustrative")


DEFAULT_ASSUMPTIONS = MaturityAssumptions()


#: The survey's bins of days to deploy: (name, more than, at most).
DEPLOY_BINS: tuple[tuple[str, float, float], ...] = (
    ("7 days or less", 0.0, 7.0),
    ("8-30 days", 7.0, 30.0),
    ("31-90 days", 30.0, 90.0),
    ("more than 90 days", 90.0, math.inf),
)


def within_days(prior: Lognormal, days: float) -> float:
    """The share of projects deployed within ``days`` under a lognormal time to deploy.

    >>> round(within_days(DEFAULT_ASSUMPTIONS.deploy_prior(0), 30), 6)
    0.4
    """
    if days == math.inf:
        return 1.0
    if days <= 0:
        return 0.0
    return NormalDist().cdf((math.log(days) - math.log(prior.median)) / prior.sigma)


def binned(prior: Lognormal) -> dict[str, float]:
    """The shares of projects in each of the survey's bins (:data:`DEPLOY_BINS`) under ``prior``."""
    return {
        name: within_days(prior, high) - within_days(prior, low) for name, low, high in DEPLOY_BINS
    }


def survey_prior() -> Lognormal:
    """A lognormal time to deploy fitted to the Algorithmia 2020 answers (all respondents).

    Least squares on the three cumulative shares at 7, 30 and 90 days
    (renormalised over those who answered).
    """
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


__all__ = [
    "ALGORITHMIA_2020",
    "ALGORITHMIA_CITATION",
    "DEFAULT_ASSUMPTIONS",
    "DEPLOY_BINS",
    "SEED_CITATION",
    "SEED_POINTS",
    "MaturityAssumptions",
    "binned",
    "by_maturity",
    "compare_with_survey",
    "deployment_days",
    "survey_prior",
    "survey_shares",
    "within_days",
]
