"""Many observed effects together: empirical Bayes shrinkage, and the winner's curse.

Each launched run of a KPI has an observed effect x_i (its realised change) with a
standard error se_i (from :func:`bizml_nb.impact.observed.se_from_interval` when only
an interval was reported). Alone, each x_i is noisy; together they say how large true
effects of that KPI tend to be, and each estimate can borrow from the others.

- :func:`shrink`: the normal-normal empirical Bayes estimate of every true effect,
  pulled toward the effects' common mean by as much as its own noise warrants;
- :func:`cumulative`: the sum of the significant wins, raw and shrunk, beside the sum
  of all effects. Summing only the wins that came out significant overstates what the
  business got, because a win is selected for having come out high (the winner's
  curse; Lee and Shen, "Winner's Curse: Bias Estimation for Total Effects of Features
  in Online Controlled Experiments", KDD 2018). Posterior means are not biased by
  such selection (Efron, "Tweedie's Formula and Selection Bias", JASA 2011), so the
  shrunk sum of the wins corrects it.

>>> s = shrink([1.0, 2.0, 6.0], [1.0, 1.0, 1.0])
>>> round(s.tau2, 6), [round(v, 4) for v in s.shrunk]
(6.0, [1.2857, 2.1429, 5.5714])
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments, InvalidValue
from bizml_nb.impact.observed import finite_values, percent

if TYPE_CHECKING:
    from bizml_nb.impact.observed import Floats

MIN_EFFECTS = 3  # the spread of the effects around their mean needs 2 degrees of freedom
ALPHA = 0.10  # a win is significant when its 90% interval excludes 0

MODEL = (
    "normal-normal empirical Bayes: each observed effect x_i ~ N(theta_i, se_i^2) with "
    "se_i taken as known, the true effects theta_i ~ N(mu, tau^2) independent and "
    "exchangeable (nothing known in advance makes one larger than another)"
)


@dataclass(frozen=True)
class Shrinkage:
    """Observed effects and their empirical Bayes estimates (see :func:`shrink`).

    Per effect i, in the order given: ``estimates`` x_i, ``standard_errors`` se_i,
    ``factors`` B_i = tau^2 / (tau^2 + se_i^2) (the share of x_i - mu kept), ``shrunk``
    mu + B_i (x_i - mu) and ``posterior_sd``. ``mu`` is the common mean with standard
    error ``mu_se``; ``tau2`` the between-effect variance and ``q`` Cochran's Q.
    ``applied`` is False with fewer than :data:`MIN_EFFECTS` effects: then ``shrunk``
    are the raw estimates, ``posterior_sd`` their standard errors, every factor 1,
    ``mu`` the inverse-variance weighted mean and ``tau2``, ``q`` are None; ``method``
    says so.
    """

    estimates: tuple[float, ...]
    standard_errors: tuple[float, ...]
    factors: tuple[float, ...]
    shrunk: tuple[float, ...]
    posterior_sd: tuple[float, ...]
    mu: float
    mu_se: float
    tau2: float | None
    q: float | None
    applied: bool
    method: str

    @property
    def k(self) -> int:
        """The number of effects."""
        return len(self.estimates)


@dataclass(frozen=True)
class Cumulative:
    """Sums of observed effects, raw and shrunk (see :func:`cumulative`).

    ``wins`` are the 0-based positions of the significant wins; ``raw_wins`` and
    ``shrunk_wins`` the sums of their raw and shrunk estimates; ``raw_total`` and
    ``shrunk_total`` the sums over all ``n_effects`` effects. Each sum is in the KPI's
    unit; money follows by multiplying by the KPI's value per unit.
    """

    n_effects: int
    wins: tuple[int, ...]
    raw_wins: float
    shrunk_wins: float
    raw_total: float
    shrunk_total: float
    alpha: float
    shrinkage: Shrinkage
    method: str

    @property
    def n_wins(self) -> int:
        """The number of significant wins."""
        return len(self.wins)

    @property
    def winners_curse(self) -> float:
        """How much the raw sum of wins overstates the shrunk one: raw_wins - shrunk_wins."""
        return self.raw_wins - self.shrunk_wins


def shrink(estimates: Any, standard_errors: Any) -> Shrinkage:
    """Shrink each observed effect toward the effects' common mean.

    Method (normal-normal empirical Bayes, with the DerSimonian-Laird estimate of tau^2):

    1. w_i = 1 / se_i^2, the fixed-effect mean m = sum(w x) / sum(w) and Cochran's
       Q = sum(w_i (x_i - m)^2);
    2. tau^2 = max(0, (Q - (k - 1)) / (sum(w) - sum(w^2) / sum(w))), the method of
       moments of DerSimonian and Laird ("Meta-analysis in clinical trials", Controlled
       Clinical Trials 1986), truncated at 0: closed form, no optimiser, the most used
       estimator of meta-analysis. With equal se_i = s it is max(0, sample variance of x - s^2);
    3. mu = sum(w*_i x_i) / sum(w*_i) with w*_i = 1 / (se_i^2 + tau^2), and
       var(mu) = 1 / sum(w*);
    4. B_i = tau^2 / (tau^2 + se_i^2), shrunk_i = mu + B_i (x_i - mu): a noisy effect
       (large se_i) keeps little of its distance from mu, a precise one most of it;
       tau^2 = 0 pulls every effect to mu;
    5. posterior_sd_i = sqrt(B_i se_i^2 + (1 - B_i)^2 var(mu)): the posterior variance
       with mu and tau^2 known, plus the uncertainty of mu (the g1 + g2 of Prasad and
       Rao, JASA 1990, with tau^2 taken as known). The uncertainty of tau^2 is not counted, so with few effects
       the sd is a little small.

    Assumptions: see :data:`MODEL`; the effects are of one KPI in one unit.

    Needs at least :data:`MIN_EFFECTS` (3) effects: tau^2 is read from the spread of
    the effects around their mean, which has k - 1 degrees of freedom; with 2 effects it
    rests on a single difference and swings from 0 to large by chance, with 1 it does
    not exist. With 1 or 2 effects nothing is shrunk: the result has ``applied`` False
    and says so, so a card can still show the raw figures.

    What it gains: with equal standard errors, keeping 1 - c se^2 / S of each distance
    from the mean (S the sum of squared distances) lowers the total squared error
    whatever the true effects when 0 < c < 2 (k - 3) (Efron and Morris, "Stein's
    estimation rule and its competitors", JASA 1973); DerSimonian-Laird's factor has
    c = k - 1, inside that range from 6 effects. With 3 to 5 effects the gain holds on
    average under the normal model while the true effects vary about as much as their
    noise or less (measured for 3 effects: 48% of the raw squared error at tau = 0,
    78% at tau = se), and shrinkage can cost a few percent when they vary far more
    (103% at tau = 5 se), where it also moves the estimates little.

    Raises :class:`~bizml_nb.core.errors.InvalidValue` for no effects, a non-finite
    value or a standard error that is not positive, and
    :class:`~bizml_nb.core.errors.InvalidArguments` for unequal lengths.
    """
    x, se = _effects(estimates, standard_errors)
    k = len(x)
    w = 1 / se**2
    fixed_mean = float(w @ x / w.sum())
    if k < MIN_EFFECTS:
        return Shrinkage(
            estimates=tuple(map(float, x)),
            standard_errors=tuple(map(float, se)),
            factors=(1.0,) * k,
            shrunk=tuple(map(float, x)),
            posterior_sd=tuple(map(float, se)),
            mu=fixed_mean,
            mu_se=math.sqrt(1 / float(w.sum())),
            tau2=None,
            q=None,
            applied=False,
            method=(
                f"not applied: shrinkage needs at least {MIN_EFFECTS} observed effects to "
                f"estimate how much true effects vary (here {k}); the raw estimates are shown"
            ),
        )
    q = float(w @ (x - fixed_mean) ** 2)
    scale = float(w.sum() - (w @ w) / w.sum())
    tau2 = max(0.0, (q - (k - 1)) / scale)
    w_star = 1 / (se**2 + tau2)
    mu = float(w_star @ x / w_star.sum())
    mu_var = 1 / float(w_star.sum())
    factors = tau2 / (tau2 + se**2)
    shrunk = mu + factors * (x - mu)
    posterior_var = factors * se**2 + (1 - factors) ** 2 * mu_var
    method = (
        f"{MODEL}; tau^2 by the DerSimonian-Laird method of moments, truncated at 0; mu "
        "the mean weighted by 1/(se_i^2 + tau^2); shrunk_i = mu + B_i (x_i - mu) with "
        "B_i = tau^2/(tau^2 + se_i^2); posterior sd sqrt(B_i se_i^2 + (1 - B_i)^2 var(mu)), "
        f"not counting the uncertainty of tau^2; {k} effects"
    )
    return Shrinkage(
        estimates=tuple(map(float, x)),
        standard_errors=tuple(map(float, se)),
        factors=tuple(map(float, factors)),
        shrunk=tuple(map(float, shrunk)),
        posterior_sd=tuple(math.sqrt(v) for v in map(float, posterior_var)),
        mu=mu,
        mu_se=math.sqrt(mu_var),
        tau2=tau2,
        q=q,
        applied=True,
        method=method,
    )


def cumulative(estimates: Any, standard_errors: Any, *, alpha: float = ALPHA) -> Cumulative:
    """The summed impact of observed effects, raw and corrected for the winner's curse.

    Method: a *significant win* is an effect with x_i > 0 whose two-sided (1 - alpha)
    normal interval x_i +- z_{1 - alpha/2} se_i excludes 0, i.e. x_i > z se_i (z = 1.645
    for alpha 0.10). ``raw_wins`` sums the wins' x_i, ``shrunk_wins`` their
    :func:`shrink` estimates; ``raw_total`` and ``shrunk_total`` sum over every effect.
    The raw sum of wins is biased upward: a win is chosen because it came out high, so
    its noise is mostly positive. The shrunk sum is the posterior mean of the wins'
    true total under :data:`MODEL`, which selection does not bias. The raw total over
    all effects has no such bias; the shrunk total equals it when the se are equal and
    differs only through unequal se.

    With fewer than 3 effects nothing is shrunk (``shrinkage.applied`` False) and the
    shrunk sums equal the raw ones. Raises
    :class:`~bizml_nb.core.errors.InvalidValue` for an alpha outside (0, 1) and as
    :func:`shrink` does.
    """
    from statistics import NormalDist

    if not (isinstance(alpha, Real) and not isinstance(alpha, bool) and 0 < alpha < 1):
        raise InvalidValue("alpha", f"must lie strictly between 0 and 1, e.g. 0.10 (not {alpha!r})")
    shrinkage = shrink(estimates, standard_errors)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    wins = tuple(
        i
        for i, (x, se) in enumerate(
            zip(shrinkage.estimates, shrinkage.standard_errors, strict=True)
        )
        if x > 0 and x - z * se > 0
    )
    how = (
        "the shrunk sums are the raw ones (shrinkage not applied: fewer than "
        f"{MIN_EFFECTS} effects)"
        if not shrinkage.applied
        else "the shrunk sum of wins adds their empirical Bayes estimates (each effect "
        "pulled toward the mean effect), which selecting the wins does not bias; "
        f"assumes {MODEL}"
    )
    method = (
        f"a significant win has an estimate above 0 and a two-sided {percent(1 - alpha)} "
        f"normal interval that excludes 0 (estimate > {z:.3f} se); the raw sum of wins "
        "overstates their true total (the winner's curse: wins are selected for coming "
        f"out high); {how}"
    )
    return Cumulative(
        n_effects=shrinkage.k,
        wins=wins,
        raw_wins=math.fsum(shrinkage.estimates[i] for i in wins),
        shrunk_wins=math.fsum(shrinkage.shrunk[i] for i in wins),
        raw_total=math.fsum(shrinkage.estimates),
        shrunk_total=math.fsum(shrinkage.shrunk),
        alpha=alpha,
        shrinkage=shrinkage,
        method=method,
    )


def _effects(estimates: Any, standard_errors: Any) -> tuple[Floats, Floats]:
    """The effects and their standard errors as float arrays, checked."""
    x = finite_values("estimates", estimates, "effect")
    se = finite_values("standard_errors", standard_errors, "effect")
    if len(x) != len(se):
        raise InvalidArguments(
            "{estimates} and {standard_errors} need one value per effect; got "
            f"{len(x)} estimates and {len(se)} standard errors",
            "estimates",
            "standard_errors",
        )
    if not len(x):
        raise InvalidValue("estimates", "is empty; give at least one observed effect")
    bad = (se <= 0).nonzero()[0]
    if bad.size:
        i = int(bad[0])
        raise InvalidValue(
            "standard_errors",
            f"for effect {i + 1} is {se[i]:g}; every standard error must be positive "
            "(from an interval: se_from_interval(low, high, level))",
        )
    return x, se
