"""What an A/B test can detect: the minimum detectable effect (MDE) of a two-arm test.

For a ratio KPI at baseline p with n units per arm, a two-sided test at level
alpha with the given power detects (normal approximation, equal arms, variance
taken at the baseline for both arms)

    MDE = (z_{1-alpha/2} + z_{power}) * sqrt(2 * p * (1 - p) / n)

and for a continuous KPI with standard deviation sd per unit

    MDE = (z_{1-alpha/2} + z_{power}) * sd * sqrt(2 / n).

This is the usual sample-size formula n = 2 (z_a + z_b)^2 p (1 - p) / delta^2
solved for delta (e.g. Kohavi, Tang and Xu, "Trustworthy Online Controlled
Experiments", 2020, chapter 17; van Belle's rule n = 16 sd^2 / delta^2 is the
same formula rounded for alpha 0.05 and power 0.8).

>>> round(mde_proportion(0.112, n_per_arm=500_000), 6)
0.001767
"""

from __future__ import annotations

import math

ALPHA = 0.05
POWER = 0.8


def z_total(alpha: float = ALPHA, power: float = POWER) -> float:
    """z_{1-alpha/2} + z_{power}: about 2.8016 for alpha 0.05 and power 0.8."""
    from statistics import NormalDist

    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must lie strictly between 0 and 1")
    normal = NormalDist()
    return normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)


def mde_proportion(
    p: float, *, n_per_arm: float, alpha: float = ALPHA, power: float = POWER
) -> float:
    """The smallest absolute change of a proportion ``p`` a test with ``n_per_arm`` detects."""
    if not 0 < p < 1:
        raise ValueError(f"a proportion must lie strictly between 0 and 1 (not {p})")
    if not n_per_arm > 0:  # also refuses NaN
        raise ValueError("n_per_arm must be positive")
    return z_total(alpha, power) * math.sqrt(2 * p * (1 - p) / n_per_arm)


def mde_mean(sd: float, *, n_per_arm: float, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest absolute change of a mean with per-unit standard deviation ``sd``."""
    if not (sd > 0 and n_per_arm > 0):  # also refuses NaN
        raise ValueError("sd and n_per_arm must be positive")
    return z_total(alpha, power) * sd * math.sqrt(2 / n_per_arm)
