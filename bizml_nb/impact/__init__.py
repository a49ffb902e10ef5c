"""Impact: from a run's ML metrics to its business change, money per year and verdict.

- :mod:`~bizml_nb.impact.model`: the typed results (:class:`Range`, :class:`Impact`,
  :class:`Verdict` with its :class:`VerdictLabel` and :class:`VerdictReason`...);
- :mod:`~bizml_nb.impact.links`: what each kind of link says about a run, and how a
  change flows down the metric tree;
- :mod:`~bizml_nb.impact.verdict`: the verdict rules and the minimum detectable effect;
- :mod:`~bizml_nb.impact.engine`: :func:`estimate`, and :func:`for_run`, the one way
  from a ledger run to its :class:`Impact`;
- :mod:`~bizml_nb.impact.evidence` and :mod:`~bizml_nb.impact.abtest`: fitted links
  and A/B test power; :mod:`~bizml_nb.impact.observed` and
  :mod:`~bizml_nb.impact.shrinkage`: what launched models really did.
"""

from bizml_nb.impact.engine import OVERFLOW_NOTE, estimate, for_run
from bizml_nb.impact.links import (
    CONFUSION_KEYS,
    DRAWS,
    SEED,
    Z90,
    elasticity_draws,
    value_per_unit,
)
from bizml_nb.impact.model import (
    ChainStep,
    Contribution,
    Cost,
    Impact,
    Label,
    Range,
    Verdict,
    VerdictLabel,
    VerdictReason,
)
from bizml_nb.impact.verdict import minimum_detectable, verdict

__all__ = [
    "CONFUSION_KEYS",
    "DRAWS",
    "OVERFLOW_NOTE",
    "SEED",
    "Z90",
    "ChainStep",
    "Contribution",
    "Cost",
    "Impact",
    "Label",
    "Range",
    "Verdict",
    "VerdictLabel",
    "VerdictReason",
    "elasticity_draws",
    "estimate",
    "for_run",
    "minimum_detectable",
    "value_per_unit",
    "verdict",
]
