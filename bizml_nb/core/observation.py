"""An observation: what a run's model really did to its KPI, measured by an A/B test or a launch.

A run's card predicts the change of its KPI; an observation is the change that was
measured afterwards (``kpi_delta`` with its interval ``[low, high]`` at ``level``),
where it comes from (``source``, e.g. "A/B test 2026-11, 2 weeks") and the day the
measurement ended (``observed_on``). The ledger keeps every observation of a run; the
latest (by ``observed_on``, then ``recorded_at``) is *the* observation of the run
(:func:`latest`). Its JSON form, ``{"format": OBSERVATION_FORMAT, "version": 1,
"observation": {...}}``, is checked like a run record (:func:`validate_observation`),
so notebooks and teammates' stores can carry it.

An observation also keeps the prediction it is judged against, frozen when it was
recorded: ``predicted_low``, ``predicted_mid`` and ``predicted_high`` (the run's
predicted KPI change and its 90% range, in the KPI's unit) and ``baseline_id`` (the
KPI's baseline run that prediction was made against). All are None when the run had
no prediction then (a baseline run, a failed run, no link), and in observations
recorded before predictions were kept with them; a record without them still reads.

>>> obs = Observation.new("01JD7Q2XAB3C4D5E6F7G8H9J0K", 0.0021, 0.0008, 0.0034,
...                       source="A/B test 2026-11, 2 weeks", observed_on="2026-11-20")
>>> Observation.from_record(obs.to_record()) == obs
True
>>> Observation.new("01JD7Q2XAB3C4D5E6F7G8H9J0K", 0.0021, 0.0025, 0.0034, source="test",
...                 observed_on="2026-11-20")
Traceback (most recent call last):
...
bizml_nb.core.schema.RecordError: the observation of run '01JD7Q2XAB3C4D5E6F7G8H9J0K' is not valid: the interval [0.0025, 0.0034] does not contain its estimate kpi_delta 0.0021; give low <= kpi_delta <= high
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from bizml_nb.core.limits import LARGEST
from bizml_nb.core.run import new_run_id, now_iso
from bizml_nb.core.schema import (
    NAME_CHARS,
    Invalid,
    RecordError,
    check_envelope,
    day,
    number,
    plain,
    run_id,
    show,
    text,
    timestamp,
)
from bizml_nb.core.units import RANGE_LEVEL

OBSERVATION_FORMAT = "bizml.observation"
OBSERVATION_VERSION = 1
#: the most days a measurement computed from a daily table may span (about 270 years)
MAX_DAYS = 100_000
REQUIRED = ("id", "run_id", "kpi_delta", "low", "high", "source", "observed_on", "recorded_at")


@dataclass(frozen=True)
class Observation:
    """The measured change of a run's KPI: ``kpi_delta`` in ``[low, high]`` (``level``).

    Checked when made: numbers finite and within +-1e18, ``low <= kpi_delta <= high``,
    ``0 < level < 1``, a non-empty ``source`` of at most 1,000 characters, ISO dates
    and times. A broken one is refused with :class:`~bizml_nb.core.schema.RecordError`.
    """

    id: str  # a ULID of its own, so an import or a sync does not add it twice
    run_id: str
    kpi_delta: float  # in the KPI's own unit: a ratio KPI's change as a ratio (0.0021)
    low: float
    high: float
    source: str  # where the figure comes from: "A/B test 2026-11, 2 weeks"
    observed_on: str  # YYYY-MM-DD: the day the measurement ended
    recorded_at: str  # ISO 8601 UTC with milliseconds, as runs record theirs
    level: float = RANGE_LEVEL  # the confidence level of [low, high]
    origin: str | None = None  # where it was recorded: "notebook", "mlflow:RUN_ID"...
    n_days: int | None = None  # days of the daily table it was computed from
    method: str | None = None  # how it was computed from that table
    # the run's prediction when this was recorded (KPI unit; None: it had none)
    predicted_low: float | None = None
    predicted_mid: float | None = None
    predicted_high: float | None = None
    baseline_id: str | None = None  # the KPI's baseline run that prediction was made against

    def __post_init__(self) -> None:
        try:
            checked = observation_fields(asdict(self))
        except Invalid as exc:
            raise RecordError(
                f"the observation of run {show(self.run_id)} is not valid: {exc.message}",
                exc.field,
            ) from None
        for key, value in checked.items():  # whole numbers given as int become floats
            object.__setattr__(self, key, value)

    @classmethod
    def new(
        cls,
        run_id: str,
        kpi_delta: float,
        low: float,
        high: float,
        *,
        source: str,
        observed_on: str,
        level: float = RANGE_LEVEL,
        origin: str | None = None,
        n_days: int | None = None,
        method: str | None = None,
        predicted: tuple[float, float, float] | None = None,
        baseline_id: str | None = None,
    ) -> Observation:
        """An observation with a fresh id, recorded now; ``predicted`` is the run's
        predicted change as (low, mid, high), made against the run ``baseline_id``."""
        low_p, mid_p, high_p = (None, None, None) if predicted is None else predicted
        return cls(
            id=new_run_id(),
            run_id=run_id,
            kpi_delta=kpi_delta,
            low=low,
            high=high,
            source=source,
            observed_on=observed_on,
            recorded_at=now_iso(),
            level=level,
            origin=origin,
            n_days=n_days,
            method=method,
            predicted_low=low_p,
            predicted_mid=mid_p,
            predicted_high=high_p,
            baseline_id=baseline_id,
        )

    @property
    def predicted(self) -> tuple[float, float, float] | None:
        """The prediction kept with it, (low, mid, high) in the KPI's unit, or None."""
        low, mid, high = self.predicted_low, self.predicted_mid, self.predicted_high
        if low is None or mid is None or high is None:
            return None
        return (low, mid, high)

    @property
    def key(self) -> tuple[str, str, str]:
        """What orders a run's observations: the latest is *the* observation."""
        return (self.observed_on, self.recorded_at, self.id)

    def to_record(self) -> dict[str, Any]:
        """The JSON-able record: ``{"format", "version", "observation"}``. The kept
        prediction's fields are left out when None, so an observation without one has
        the record it had before they existed (the same digest when a push compares)."""
        fields = asdict(self)
        for key in (*PREDICTED, "baseline_id"):
            if fields[key] is None:
                del fields[key]
        return {
            "format": OBSERVATION_FORMAT,
            "version": OBSERVATION_VERSION,
            "observation": fields,
        }

    @classmethod
    def from_record(cls, data: Mapping[str, Any], where: str | None = None) -> Observation:
        """Rebuild an observation from :meth:`to_record` output (:func:`validate_observation`)."""
        return validate_observation(data, where)


def latest(observations: list[Observation]) -> dict[str, Observation]:
    """Run id -> the run's latest observation (by observed_on, recorded_at, id)."""
    chosen: dict[str, Observation] = {}
    for obs in observations:
        held = chosen.get(obs.run_id)
        if held is None or obs.key > held.key:
            chosen[obs.run_id] = obs
    return chosen


def validate_observation(record: Any, where: str | None = None) -> Observation:
    """The :class:`Observation` in an observation record; :class:`RecordError` naming the
    field when it breaks a rule. ``where`` (e.g. ``"nb.ipynb, cell 3"``) starts the message."""
    prefix = f"{where}: " if where else ""
    check_envelope(
        record,
        file_format=OBSERVATION_FORMAT,
        body="observation",
        kind="observation",
        current=OBSERVATION_VERSION,
        prefix=prefix,
    )
    try:
        for key, value in record.items():
            if key not in ("format", "version", "observation"):
                plain(value, str(key))
        fields = observation_fields(record["observation"])
    except Invalid as exc:
        raise RecordError(
            f"{prefix}malformed observation record: {exc.message}", exc.field
        ) from None
    return Observation(**fields)


# --------------------------------------------------------------------------- the rules


def _delta(value: Any, field: str) -> float:
    return number(value, field, low=-LARGEST, high=LARGEST)


def _level(value: Any, field: str) -> float:
    level = number(value, field, low=0.0, high=1.0)
    if not 0 < level < 1:
        raise Invalid(
            field,
            f"{field} is {show(value)}; the interval's confidence level lies strictly between "
            "0 and 1 (0.9 for a 90% interval)",
        )
    return level


def _source(value: Any, field: str) -> str:
    checked = text(value, field, limit=NAME_CHARS, empty=False)
    if not checked.strip():
        raise Invalid(
            field,
            f"{field} is blank; say where the figure comes from, e.g. 'A/B test 2026-11, 2 weeks'",
        )
    return checked


def _optional_name(value: Any, field: str) -> str | None:
    return None if value is None else text(value, field, limit=NAME_CHARS, empty=False)


def _optional_delta(value: Any, field: str) -> float | None:
    return None if value is None else _delta(value, field)


def _optional_run_id(value: Any, field: str) -> str | None:
    return None if value is None else run_id(value, field)


def _days(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise Invalid(
            field,
            f"{field} is {show(value)}; it must be a whole number of days from 1 to {MAX_DAYS:,}",
        )
    return value


_FIELDS: dict[str, Any] = {
    "id": run_id,
    "run_id": run_id,
    "kpi_delta": _delta,
    "low": _delta,
    "high": _delta,
    "source": _source,
    "observed_on": day,
    "recorded_at": timestamp,
    "level": _level,
    "origin": _optional_name,
    "n_days": _days,
    "method": _optional_name,
    "predicted_low": _optional_delta,
    "predicted_mid": _optional_delta,
    "predicted_high": _optional_delta,
    "baseline_id": _optional_run_id,
}
PREDICTED = ("predicted_low", "predicted_mid", "predicted_high")


def observation_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The checked, typed fields of an observation (``record["observation"]``).

    :class:`~bizml_nb.core.schema.Invalid` on the first broken rule, one message each;
    fields this version does not know are checked as plain JSON and dropped.
    """
    if not isinstance(data, Mapping):
        raise Invalid("observation", f"observation is {show(data)}; it must be a mapping")
    for key in REQUIRED:
        if key not in data:
            raise Invalid(key, f"{key} is missing; every observation has {', '.join(REQUIRED)}")
    checked: dict[str, Any] = {}
    for key, value in data.items():
        if not isinstance(key, str):
            raise Invalid(
                "observation", f"observation has the key {show(key)}; keys must be strings"
            )
        check = _FIELDS.get(key)
        if check is None:
            plain(value, key)
            continue
        checked[key] = check(value, key)
    delta, low, high = checked["kpi_delta"], checked["low"], checked["high"]
    if low > high:
        raise Invalid(
            "low",
            f"the interval's low end {low:g} is above its high end {high:g}; give low <= high",
        )
    if not low <= delta <= high:
        raise Invalid(
            "kpi_delta",
            f"the interval [{low:g}, {high:g}] does not contain its estimate kpi_delta "
            f"{delta:g}; give low <= kpi_delta <= high",
        )
    _check_prediction(checked)
    return checked


def _check_prediction(checked: dict[str, Any]) -> None:
    """The prediction kept with an observation: all three of low, mid, high or none,
    ``low <= mid <= high``; a baseline run only with a prediction made against it."""
    given = [key for key in PREDICTED if checked.get(key) is not None]
    if given and len(given) < len(PREDICTED):
        missing = next(key for key in PREDICTED if checked.get(key) is None)
        raise Invalid(
            missing,
            f"{missing} is missing but {given[0]} is given; a prediction kept with an "
            "observation has predicted_low, predicted_mid and predicted_high, or none of them",
        )
    if given:
        low, mid, high = (checked[key] for key in PREDICTED)
        if not low <= mid <= high:
            raise Invalid(
                "predicted_mid",
                f"the predicted range [{low:g}, {high:g}] does not contain its mid {mid:g}; "
                "give predicted_low <= predicted_mid <= predicted_high",
            )
    elif checked.get("baseline_id") is not None:
        raise Invalid(
            "baseline_id",
            "baseline_id is given without a prediction; it names the baseline run the "
            "kept prediction (predicted_low, predicted_mid, predicted_high) was made against",
        )
