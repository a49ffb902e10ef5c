"""One call from two DataFrames to a result: what ``%bizml monitor`` runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.monitor.constants import MonitorError
from bizml_nb.monitor.reference import Reference

if TYPE_CHECKING:
    import pandas as pd

    from bizml_nb.monitor.pricing import RegistrySource
    from bizml_nb.monitor.result import MonitorResult


def monitor_frames(
    reference: Any,
    analysis: pd.DataFrame,
    *,
    proba: str,
    prediction: str | None = None,
    label: str = "label",
    chunk_size: int | None = None,
    project: RegistrySource | None = None,
    kpi: str | None = None,
) -> MonitorResult:
    """Check ``analysis`` against ``reference`` (a labelled DataFrame, or a fitted Reference).

    The features are every column of the reference but the probability, the
    prediction and the label. With ``project`` (a project, or anything with a
    ``registry``) and ``kpi``, each chunk is priced through the KPI's confusion
    link. ``%bizml monitor`` calls this.
    """
    import pandas as pd

    if isinstance(reference, Reference):
        fitted = reference
    elif isinstance(reference, pd.DataFrame):
        if label not in reference:
            raise MonitorError(
                f"the reference has no label column {label!r}; name it with --label "
                f"(columns: {', '.join(map(str, reference.columns))})"
            )
        features = [
            c
            for c in reference.columns
            if c not in {proba, prediction, label}
            and not pd.api.types.is_datetime64_any_dtype(reference[c])  # times chunk, not drift
        ]
        fitted = Reference.fit(
            reference, features=features, proba=proba, target=label, prediction=prediction
        )
    else:
        raise MonitorError(
            f"the reference must be a DataFrame or a Reference (not {type(reference).__name__})"
        )
    if not isinstance(analysis, pd.DataFrame):
        raise MonitorError(f"the data to check must be a DataFrame (not {type(analysis).__name__})")
    value = project if project is not None and kpi is not None else None
    return fitted.check(analysis, chunk_size=chunk_size, value=value, kpi=kpi)
