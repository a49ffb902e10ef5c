"""Value from per-example predictions: each example priced, and runs compared pairwise.

A confusion link prices one case of each outcome with its value matrix
``[[TN, FP], [FN, TP]]``; an entry may be a formula over the example's amount
(``-amount``: a missed fraud costs its amount). With a run's logged predictions
(:mod:`bizml_nb.core.predictions`), every example gets its own value, and the run's
value per case is their mean.

When the run and the baseline run both have predictions on the same ids, the change
is *paired*: the mid is mean(value_run - value_baseline) over all examples times
cases per year, and its 90% range comes from a seeded bootstrap over examples
(:data:`BOOT` resamples of the example indices, the same resample for both runs).
Errors both models make cancel in each resample, so the range is narrower than that
of two independent samples. Otherwise each side is resampled on its own
(*independent samples*), or the KPI's declared baseline is the reference.

>>> import numpy as np
>>> resample_means(np.array([1.0, 2.0, 3.0]), draws=4, seed=1).shape
(4,)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import RegistryError
from bizml_nb.core.registry.links import AMOUNT_COLUMN, has_amounts
from bizml_nb.impact.links import CONFUSION_KEYS, DRAWS, SEED, Skip, sampled_range
from bizml_nb.impact.links import contribution as counts_contribution
from bizml_nb.impact.model import Contribution

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    import numpy as np
    import numpy.typing as npt

    from bizml_nb.core.predictions import Predictions
    from bizml_nb.core.registry import BusinessMetric, Link, Registry
    from bizml_nb.core.run import Run
    from bizml_nb.impact.links import LazyRng, Samples

    Floats = npt.NDArray[np.float64]

BOOT = 2_000  # bootstrap resamples of the examples
_BLOCK_CELLS = 4_000_000  # indices drawn at once (32 MB), so memory stays flat


def example_values(link: Link, predictions: Predictions) -> Floats:
    """The value of each example: its outcome's entry of the value matrix, per its amount."""
    import numpy as np

    from bizml_nb.core.formula import Formula

    outcome = 2 * predictions.y_true.astype(np.int64) + predictions.y_pred  # TN FP FN TP
    values = np.empty(predictions.n, dtype=np.float64)
    column = str(link.params.get("amount_column", AMOUNT_COLUMN))
    matrix = link.params["value_matrix"]
    for k, entry in enumerate(v for row in matrix for v in row):
        where = outcome == k
        if not isinstance(entry, str):
            values[where] = float(entry)
            continue
        if not where.any():
            continue
        amounts = predictions.column(column)[where]
        formula = Formula.parse(entry)
        unique, inverse = np.unique(amounts, return_inverse=True)
        try:
            priced = np.array([formula.evaluate({column: float(a)}) for a in unique])
        except RegistryError as exc:
            raise Skip(f"value matrix entry {entry!r}: {exc}") from None
        values[where] = priced[inverse]
    if not np.isfinite(values).all():
        raise Skip("the value of some example is not a finite number; check the amounts")
    return values


def resample_means(values: Floats, *, draws: int = BOOT, seed: int = SEED) -> Floats:
    """Means of ``draws`` bootstrap resamples of ``values`` (seeded).

    A resample's mean depends only on how often each distinct value is drawn, so with
    few distinct values (a value matrix of numbers, or a difference that is zero for
    most examples) the counts are drawn as one multinomial per resample; otherwise the
    example indices are drawn, in blocks so that memory stays flat. Both are the same
    bootstrap distribution.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n = values.shape[0]
    distinct, counts = np.unique(values, return_counts=True)
    if distinct.shape[0] * 8 <= n:
        drawn = rng.multinomial(n, counts / n, size=draws)
        means: Floats = drawn @ distinct / n
        return means
    out = np.empty(draws, dtype=np.float64)
    block = max(1, _BLOCK_CELLS // n)
    for start in range(0, draws, block):
        stop = min(draws, start + block)
        index = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[index].mean(axis=1)
    return out


def aligned(run: Predictions, baseline: Predictions) -> tuple[Any, Any] | None:
    """Positions that put both runs' examples in the same order, or None if the ids differ."""
    import numpy as np

    if run.n != baseline.n or run.ids.dtype.kind != baseline.ids.dtype.kind:
        return None
    a, b = np.argsort(run.ids, kind="stable"), np.argsort(baseline.ids, kind="stable")
    if not np.array_equal(run.ids[a], baseline.ids[b]):
        return None
    return a, b


def paired_delta(
    run_values: Floats, base_values: Floats, cases: float, *, draws: int = BOOT
) -> tuple[float, Floats]:
    """The paired change per year: the mid on all rows, and its bootstrap draws."""
    diff = run_values - base_values
    return float(diff.mean()) * cases, resample_means(diff, draws=draws) * cases


def contribution(
    link: Link,
    kpi: BusinessMetric,
    run: Predictions,
    baseline: Predictions | None,
    baseline_metrics: Mapping[str, float] | None,
) -> tuple[Contribution, Callable[[], Samples]]:
    """What a confusion link says about a run with predictions (paired when it can be).

    ``baseline`` is the baseline run's predictions (None: it has none); without them,
    a baseline run with confusion counts is the reference for a matrix of numbers
    (the counts model), otherwise the KPI's declared baseline.
    """
    import numpy as np

    cases = float(link.params["cases_per_year"])
    values = example_values(link, run)
    per_case = float(values.mean())
    base_values = example_values(link, baseline) if baseline is not None else None
    order = aligned(run, baseline) if baseline is not None else None
    if base_values is not None and order is not None:
        mid, boot = paired_delta(values[order[0]], base_values[order[1]], cases)
        reference, reference_from = float(base_values.mean()), "baseline run"
        how = f"paired over {run.n:,} examples"
    elif base_values is not None:
        reference, reference_from = float(base_values.mean()), "baseline run"
        mid = (per_case - reference) * cases
        boot = (resample_means(values) - resample_means(base_values, seed=SEED + 1)) * cases
        how = "independent samples"
    elif (
        baseline_metrics is not None
        and all(k in baseline_metrics for k in CONFUSION_KEYS)
        and not has_amounts(link)
    ):
        raise UseCounts
    elif kpi.baseline is not None:
        reference, reference_from = kpi.baseline / cases, "KPI baseline"
        mid = per_case * cases - kpi.baseline
        boot = resample_means(values) * cases - kpi.baseline
        how = f"bootstrap over {run.n:,} examples"
    else:
        raise Skip(
            "no reference (the baseline run logged no predictions and no KPI baseline is "
            "declared); log the baseline run's predictions with log_predictions"
        )
    business = sampled_range(mid, boot)
    part = Contribution(link, per_case, reference, reference_from, business, how)

    def sample() -> Samples:  # for a Monte Carlo with other links: DRAWS of the bootstrap
        return np.random.default_rng(SEED + 2).choice(boot, size=DRAWS)

    return part, sample


class UseCounts(Exception):
    """The baseline run has counts but no predictions: the counts model applies."""


def examples_for(
    run: Run, registry: Registry, baseline: Run | None
) -> tuple[Predictions | None, Predictions | None] | None:
    """The logged predictions of ``run`` and of its ``baseline`` run, when a confusion
    link points at the run's KPI (None otherwise, without looking at any file)."""
    if not any(link.kind == "confusion" for link in registry.ml_links_to(run.target)):
        return None
    from bizml_nb.core.predictions import find

    mine = find(run.id)
    if mine is None:
        return None
    if baseline is None or baseline.id == run.id:
        return mine, None
    return mine, find(baseline.id)


def link_contribution(
    link: Link,
    kpi: BusinessMetric,
    metrics: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    rng: LazyRng,
    *,
    examples: tuple[Predictions | None, Predictions | None] | None,
) -> tuple[Contribution, Callable[[], Samples]]:
    """A link's contribution: from per-example predictions for a confusion link when the
    run has them, else as :func:`bizml_nb.impact.links.contribution` says."""
    if link.kind == "confusion" and examples is not None and examples[0] is not None:
        try:
            return contribution(link, kpi, examples[0], examples[1], baseline)
        except UseCounts:
            pass
    return counts_contribution(link, kpi, metrics, baseline, rng)


__all__ = [
    "BOOT",
    "UseCounts",
    "aligned",
    "contribution",
    "example_values",
    "examples_for",
    "link_contribution",
    "paired_delta",
    "resample_means",
]
