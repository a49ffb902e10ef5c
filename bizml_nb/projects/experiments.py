"""The active experiment: ``with experiment(...) as run: run.log(...)``, and ``log()``.

An experiment collects the ML metrics logged while it is active and, when it
ends, writes one run to the ledger in one transaction: status ``ok``, or
``failed`` with the error when its body raised (the error still propagates).

>>> import tempfile, pathlib
>>> from bizml_nb.projects.project import Project
>>> from bizml_nb.core.registry import init_file, upsert_metric, BusinessMetric
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = init_file(root / "bizml.toml", project="demo")
>>> _ = upsert_metric(root / "bizml.toml", BusinessMetric("churn", unit="ratio", direction="lower"))
>>> with Experiment("first try", target="churn", project=Project.at(root)) as run:
...     run.log({"auc": 0.81})
>>> run.record.status, dict(run.record.metrics)
('ok', {'auc': 0.81})
"""

from __future__ import annotations

import contextlib
import math
import numbers
import time
import traceback
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

from bizml_nb.core import schema
from bizml_nb.core.errors import BizmlWarning, ExperimentError, LedgerError
from bizml_nb.core.ledger import Run, new_run_id, now_iso
from bizml_nb.core.provenance import notebook_path, python_version
from bizml_nb.core.version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from bizml_nb.core.card import CardMixin
    from bizml_nb.core.predictions import Predictions
    from bizml_nb.projects.project import Project

    #: How a recorded run is shown: its card, from the run and its project.
    RunView = Callable[[Run, Project], CardMixin]

ACTIVE: ContextVar[Experiment | None] = ContextVar("bizml_active_experiment", default=None)
CELL_ID: ContextVar[str | None] = ContextVar("bizml_cell_id", default=None)

_run_view: list[RunView] = []


def show_runs_with(view: RunView) -> None:
    """Install how a recorded run is shown: ``view(run, project)`` gives its card.

    The projects layer records runs and asks :mod:`bizml_nb.impact` for their numbers;
    it knows nothing of display. A notebook still expects an experiment to show its
    card (``with bizml_nb.experiment(...) as run:`` then ``run``), so the dependency is
    inverted: the presentation layer installs its card here when it is imported
    (:mod:`bizml_nb.present.cards` installs ``Card.for_run``), and the Python API
    (:mod:`bizml_nb.interfaces.api`) imports it, so every experiment a user starts
    through ``bizml_nb`` shows its card. The magics and the CLI show cards through
    :mod:`bizml_nb.present.cards` directly. The latest view installed wins.
    """
    _run_view[:] = [view]


def run_card(run: Run, project: Project) -> CardMixin:
    """The card of ``run`` as the installed view words it (:func:`show_runs_with`)."""
    if not _run_view:
        raise ExperimentError(
            "no card view is installed: import bizml_nb.present.cards (bizml_nb.project() "
            "and bizml_nb.experiment() do) to show runs as cards"
        )
    return _run_view[0](run, project)


class Experiment:
    """One experiment against one target KPI; use it as a context manager.

    After the block, ``record`` holds the recorded :class:`~bizml_nb.core.ledger.Run`
    and ``log()`` adds metrics to that recorded run.
    """

    def __init__(
        self,
        name: str,
        *,
        target: str,
        project: Project,
        hypothesis: str | None = None,
        expect: str | None = None,
        tags: Iterable[str] = (),
        baseline: bool = False,
        params: Mapping[str, Any] | None = None,
        eng_hours: float | None = None,
        cell_id: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ExperimentError(f"an experiment needs a non-empty name (not {name!r})")
        if isinstance(tags, str):
            tags = (tags,)
        tags = tuple(tags)
        for tag in tags:
            if not isinstance(tag, str) or not tag.strip():
                raise ExperimentError(f"tags must be non-empty strings (not {tag!r})")
        if eng_hours is not None:
            eng_hours = metric_value("eng_hours", eng_hours)
            if eng_hours < 0:
                raise ExperimentError(f"eng_hours must not be negative (not {eng_hours:g})")
        # What the ledger will refuse is refused now, before the work starts.
        params = clean_params(params)
        with _as_experiment_error():
            schema.text(name, "the experiment's name", limit=schema.NAME_CHARS)
            schema.text(target, "the target KPI's name", limit=schema.NAME_CHARS)
            schema.optional_text(hypothesis, "hypothesis")
            schema.optional_text(expect, "expect")
            schema.tags(tags)
            schema.optional_number(eng_hours, "eng_hours", low=0.0, high=schema.ENG_HOURS_LIMIT)
        project.registry.metric(target)  # an unknown KPI fails before the work starts
        self.name = name
        self.target = target
        self.project = project
        self.hypothesis = hypothesis
        self.expect = expect
        self.tags = tags
        self.baseline = bool(baseline)
        self.params = params
        self.eng_hours = eng_hours
        self.cell_id = cell_id if cell_id is not None else CELL_ID.get()
        self.metrics: dict[str, float] = {}
        self.predictions: Predictions | None = None
        self.record: Run | None = None
        self.pending: Run | None = None
        self._id = new_run_id()
        self._started_at = ""
        self._t0 = 0.0
        self._token: Token[Experiment | None] | None = None

    def __repr__(self) -> str:
        state = self.record.status if self.record else ("running" if self._token else "new")
        return f"<bizml experiment {self.name!r} -> {self.target} ({state})>"

    @property
    def id(self) -> str:
        """The run id this experiment is (or will be) recorded under."""
        return self._id

    def log(self, mapping: Mapping[str, Any] | None = None, /, **metrics: Any) -> None:
        """Log ML metrics: ``log({"ndcg@10": 0.41})`` or ``log(latency_ms=38)``.

        Values must be finite numbers. After the experiment has ended, the
        metrics are added to its recorded run in the ledger.
        """
        values = clean_metrics(mapping, metrics)
        if self.record is not None:
            self.record = self.project.ledger.add_metrics(self.record.id, values)
            return
        total = len(self.metrics.keys() | values.keys())
        if total > schema.MAX_METRICS:
            raise ExperimentError(
                f"a run holds at most {schema.MAX_METRICS:,} metrics; this log would make "
                f"{total:,}. Log summaries, or split the work into several experiments"
            )
        self.metrics.update(values)

    def log_predictions(
        self,
        y_true: Any,
        y_pred: Any,
        *,
        proba: Any = None,
        amount: Any = None,
        ids: Any = None,
    ) -> None:
        """Keep the per-example predictions of this run beside the ledger.

        ``y_true`` and ``y_pred`` hold the classes 0 and 1 of each test example,
        ``proba`` its probability of class 1 (for ``%bizml threshold``), ``amount`` its
        amount (or a mapping of column names to arrays) that a confusion link's value
        matrix may price, and ``ids`` its id (integers or strings; by default its
        position): two runs with predictions on the same ids are compared pairwise. The
        confusion counts ``tn``, ``fp``, ``fn``, ``tp`` are logged as metrics too.
        """
        from bizml_nb.core.predictions import build

        predictions = build(y_true, y_pred, proba=proba, amount=amount, ids=ids)
        self.predictions = predictions
        if self.record is not None:
            self._save_predictions()
        self.log(predictions.counts())

    def _save_predictions(self) -> None:
        from bizml_nb.core.predictions import save

        if self.predictions is not None and self.record is not None:
            save(self.project.ledger.path, self.record.id, self.predictions)

    def __enter__(self) -> Experiment:
        if self.record is not None or self._token is not None:
            raise ExperimentError(f"experiment {self.name!r} has already run; start a new one")
        active = ACTIVE.get()
        if active is not None:
            raise ExperimentError(
                f"experiment {active.name!r} is still running; experiments do not nest"
            )
        self._token = ACTIVE.set(self)
        self._started_at = now_iso()
        self._t0 = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        duration = time.perf_counter() - self._t0
        if self._token is not None:
            ACTIVE.reset(self._token)
        failed = exc is not None and not isinstance(exc, GeneratorExit)
        self.pending = self._run(duration, exc if failed else None)
        try:
            self.save()
        except LedgerError as error:
            if failed:  # do not hide the user's own error behind ours
                warnings.warn(str(error), BizmlWarning, stacklevel=2)
                return
            raise

    def save(self) -> Run:
        """Write the finished run to the ledger (again after a failed write); return it."""
        run = self.pending
        if run is None:
            if self.record is not None:
                return self.record
            raise ExperimentError(f"experiment {self.name!r} has not finished yet")
        try:
            self.project.ledger.record(run)
        except LedgerError as error:
            raise LedgerError(
                f"the run {self.name!r} was not recorded: {error} Nothing is lost: its metrics "
                f"were {dict(run.metrics)!r}, and `.save()` on the experiment retries."
            ) from None
        self.record, self.pending = run, None
        self._save_predictions()
        return run

    def card(self) -> CardMixin:
        """The card of the recorded run (impact against the KPI's baseline), as the
        installed view shows it (:func:`show_runs_with`)."""
        if self.record is None:
            raise ExperimentError(f"experiment {self.name!r} has not been recorded yet")
        return run_card(self.record, self.project)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        if self.record is None or not _run_view:
            return {"text/plain": repr(self)}
        return self.card()._repr_mimebundle_(**kwargs)

    def _run(self, duration: float, exc: BaseException | None) -> Run:
        git = self.project.provenance.git(self.project.root)
        error = None
        if exc is not None:
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            error = schema.fit_text(error, schema.TEXT_CHARS)
        return Run(
            id=self._id,
            name=self.name,
            target=self.target,
            started_at=self._started_at,
            hypothesis=self.hypothesis,
            expect=self.expect,
            tags=self.tags,
            params=self.params,
            is_baseline=self.baseline,
            status="failed" if exc is not None else "ok",
            error=error,
            duration_s=duration,
            metrics=dict(self.metrics),
            notebook=_optional_fit(notebook_path(self.project.root)),
            cell_id=_optional_fit(self.cell_id),
            git_commit=git.commit,
            git_dirty=git.dirty,
            python_version=python_version(),
            bizml_version=__version__,
            eng_hours=self.eng_hours,
        )


def log(mapping: Mapping[str, Any] | None = None, /, **metrics: Any) -> None:
    """Log ML metrics to the active experiment.

    >>> log({"ndcg@10": 0.41}, latency_ms=38.0)  # doctest: +SKIP
    """
    active = ACTIVE.get()
    if active is None:
        raise ExperimentError(
            "no experiment is running: log inside `with bizml_nb.experiment(...)` or a "
            "`%%bizml experiment` cell (`%bizml log` outside one adds to the last run)"
        )
    active.log(mapping, **metrics)


def log_predictions(
    y_true: Any, y_pred: Any, *, proba: Any = None, amount: Any = None, ids: Any = None
) -> None:
    """Keep the per-example predictions of the active experiment's run (see
    :meth:`Experiment.log_predictions`)."""
    active = ACTIVE.get()
    if active is None:
        raise ExperimentError(
            "no experiment is running: log predictions inside `with bizml_nb.experiment(...)` "
            "or a `%%bizml experiment` cell"
        )
    active.log_predictions(y_true, y_pred, proba=proba, amount=amount, ids=ids)


def clean_metrics(
    mapping: Mapping[str, Any] | None, metrics: Mapping[str, Any]
) -> dict[str, float]:
    """Merge ``mapping`` and keyword ``metrics`` into name -> finite float, validating each."""
    if mapping is not None and not isinstance(mapping, Mapping):
        raise ExperimentError(
            f"log() takes a mapping of names to numbers, e.g. log({{'auc': 0.9}}) "
            f"(not {type(mapping).__name__})"
        )
    merged = {**(mapping or {}), **metrics}
    if not merged:
        raise ExperimentError("nothing to log: pass metrics, e.g. log(auc=0.91)")
    if "confusion_matrix" in merged:
        counts = confusion_counts(merged.pop("confusion_matrix"))
        merged.update(counts)
    return {name: metric_value(name, value) for name, value in merged.items()}


def confusion_counts(matrix: Any) -> dict[str, Any]:
    """``[[TN, FP], [FN, TP]]`` (rows = true class, as scikit-learn returns it) as tn, fp, fn, tp."""
    rows = matrix.tolist() if callable(getattr(matrix, "tolist", None)) else matrix
    if (
        not isinstance(rows, list | tuple)
        or len(rows) != 2
        or any(not isinstance(r, list | tuple) or len(r) != 2 for r in rows)
    ):
        raise ExperimentError(
            "confusion_matrix must be 2x2, [[TN, FP], [FN, TP]] with rows = true class "
            "(sklearn.metrics.confusion_matrix gives that for binary labels)"
        )
    (tn, fp), (fn, tp) = rows
    counts = {"tn": tn, "fp": fp, "fn": fn, "tp": tp}
    for name, value in counts.items():
        number = metric_value(name, value)
        if number < 0:
            raise ExperimentError(f"confusion_matrix count {name} is negative ({number:g})")
    return counts


def metric_value(name: Any, value: Any) -> float:
    """``value`` as a finite float, or ExperimentError naming the metric.

    Accepts Python and NumPy numbers and 0-d arrays or tensors with ``.item()``;
    refuses booleans, strings, NaN and infinity.
    """
    if not isinstance(name, str) or not name.strip():
        raise ExperimentError(f"metric names must be non-empty strings (not {name!r})")
    if len(name) > schema.NAME_CHARS or not name.isascii():  # the common name needs no more
        with _as_experiment_error():
            schema.text(name, f"the metric name {name[:60]!r}", limit=schema.NAME_CHARS)
    if type(value) is float and math.isfinite(value) and abs(value) <= schema.METRIC_LIMIT:
        return value
    item = value
    if not isinstance(item, numbers.Real) and callable(getattr(item, "item", None)):
        try:
            item = item.item()
        except (TypeError, ValueError):
            item = value
    if isinstance(item, bool) or not isinstance(item, numbers.Real):
        shown = repr(value)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        raise ExperimentError(
            f"metric {name!r} must be a number (got {type(value).__name__} {shown})"
        )
    try:
        number = float(item)
    except OverflowError:
        raise ExperimentError(
            f"metric {name!r} is too large for a number (beyond 1.8e308); log a finite number"
        ) from None
    if not math.isfinite(number):
        raise ExperimentError(
            f"metric {name!r} is {number}; log a finite number "
            "(leave the metric out if it could not be computed)"
        )
    if abs(number) > schema.METRIC_LIMIT:
        raise ExperimentError(
            f"metric {name!r} is {number:g}, beyond the +-{schema.METRIC_LIMIT:g} a metric may "
            "be (the business arithmetic on it would overflow); log it in larger units"
        )
    return number


def clean_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """``params`` as JSON data the ledger stores exactly; ExperimentError naming a bad one.

    NumPy numbers and arrays become plain numbers and lists, tuples become lists, and
    any other object its text (``str``); numbers must be finite.
    """
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ExperimentError(
            f"params must be a mapping of names to values, e.g. {{'lr': 0.01}} "
            f"(not {type(params).__name__})"
        )
    cleaned = {}
    for key, value in params.items():
        if not isinstance(key, str) or not key:
            raise ExperimentError(f"param names must be non-empty strings (not {key!r})")
        cleaned[key] = _json_value(value, f"params.{key}", 1)
    with _as_experiment_error():
        schema.params(cleaned)
    return cleaned


def _json_value(value: Any, field: str, depth: int) -> Any:
    if depth > schema.MAX_DEPTH:
        raise ExperimentError(f"{field} nests deeper than {schema.MAX_DEPTH} levels")
    if value is None or isinstance(value, bool | str | int | float):
        return value
    item = getattr(value, "item", None)
    if isinstance(value, numbers.Number) and callable(item):
        return _json_value(item(), field, depth)
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and not isinstance(value, Mapping):
        value = tolist()
        if not isinstance(value, list):  # a 0-d array
            return _json_value(value, field, depth)
    if isinstance(value, list | tuple):
        return [_json_value(v, f"{field}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        return {str(k): _json_value(v, f"{field}.{k}", depth + 1) for k, v in value.items()}
    return str(value)


def _optional_fit(value: str | None) -> str | None:
    return None if value is None else schema.fit_text(value, schema.TEXT_CHARS)


@contextlib.contextmanager
def _as_experiment_error() -> Iterator[None]:
    try:
        yield
    except schema.Invalid as exc:
        raise ExperimentError(exc.message) from None


def is_metric_mapping(value: Any) -> bool:
    """Whether ``value`` is a non-empty mapping of names to finite numbers (a cell's result)."""
    if not isinstance(value, Mapping) or not value:
        return False
    try:
        clean_metrics(value, {})
    except ExperimentError:
        return False
    return True
