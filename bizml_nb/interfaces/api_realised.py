"""Recording an observation, for the API, ``%bizml observed`` and ``bizml observed`` alike.

:func:`observe_in` takes either a measured change with its interval or a daily table
(``date, control, treatment``, :func:`bizml_nb.impact.observed.from_table`), records it
through :func:`bizml_nb.projects.realised.observe` and returns the observation card.
With a table and no ``on``, the day the measurement ended is the table's last day when
it is a date (``YYYY-MM-DD``), else today. ``origin`` says where it was recorded:
``"python"`` (the API), ``"notebook"`` (``%bizml observed``) or ``"cli"`` (``bizml
observed``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from pathlib import Path

    import pandas as pd

    from bizml_nb.present.realised_cards import ObservationCard
    from bizml_nb.projects.project import Project


def observe_in(
    here: Project,
    ref: str,
    kpi_delta: float | None,
    interval: Sequence[float] | None,
    *,
    source: str,
    on: str | date | None = None,
    level: float = 0.90,
    kpi: str | None = None,
    table: pd.DataFrame | Path | str | None = None,
    origin: str = "python",
) -> ObservationCard:
    """:func:`bizml_nb.interfaces.api.observe` in the project ``here`` (what ``%bizml
    observed`` and ``bizml observed`` call)."""
    from bizml_nb.core.errors import InvalidArguments, InvalidValue
    from bizml_nb.present.realised_cards import observation_card
    from bizml_nb.projects.realised import observe as record

    n_days: int | None = None
    method: str | None = None
    last_day: str | None = None
    if table is not None:
        if kpi_delta is not None or interval is not None:
            raise InvalidArguments(
                "{table} gives the change and its interval, computed from the daily figures; "
                "give {table}, or {kpi_delta} with {interval}, not both",
                "table",
                "kpi_delta",
                "interval",
            )
        from bizml_nb.impact.observed import from_table

        diff = from_table(table, level=level)
        kpi_delta, interval = diff.estimate, (diff.low, diff.high)
        n_days, method = diff.n_days, diff.method
        if on is None and _is_day(diff.last_day):
            on = last_day = diff.last_day
    elif kpi_delta is None or interval is None:
        raise InvalidArguments(
            "give the measured change {kpi_delta} with its {interval}, or {table} of "
            "daily control and treatment figures",
            *(("kpi_delta", "interval") if kpi_delta is None else ("interval", "kpi_delta")),
            "table",
        )
    try:
        obs = record(
            here,
            ref,
            kpi_delta,
            interval,
            source=source,
            on=on,
            level=level,
            kpi=kpi,
            n_days=n_days,
            method=method,
            origin=origin,
        )
    except InvalidValue as exc:
        if last_day is None or exc.key != "on":
            raise
        problem = exc.problem.replace("{", "{{").replace("}", "}}")
        raise InvalidValue(
            "table",
            f"ends on {last_day}, taken as the day the measurement ended (give {{on}} for "
            f"another day), and that day {problem}",
            mentions=("on",),
        ) from None
    return observation_card(here, obs.run_id)


def _is_day(text: str) -> bool:
    """Whether ``text`` is a date written YYYY-MM-DD."""
    import datetime

    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
