"""A project: the folder that holds bizml.toml, its registry and its ledger.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> proj = Project.at(root)
>>> proj.ledger.path.relative_to(root).as_posix()
'.bizml/ledger.sqlite'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core.errors import LedgerError, RegistryError
from bizml_nb.core.ledger import Ledger, Run, default_path
from bizml_nb.core.provenance import Provenance
from bizml_nb.core.registry import (
    FILENAME,
    METRIC_KEYS,
    BusinessMetric,
    Direction,
    Link,
    Registry,
    find_root,
    init_file,
    upsert_link,
    upsert_metric,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    import pandas as pd

    from bizml_nb.core.card import CardMixin
    from bizml_nb.impact import Impact
    from bizml_nb.projects.experiments import Experiment

Outcome = Literal["created", "updated", "unchanged"]


@dataclass
class Project:
    """The registry and ledger of one project, with the registry re-read when its text changes."""

    root: Path
    ledger: Ledger
    provenance: Provenance = field(default_factory=Provenance)
    _registry: tuple[str, Registry] | None = field(default=None, repr=False)
    _settled: tuple[int, int, int, int, int] | None = field(default=None, repr=False)

    @classmethod
    def at(cls, root: Path, *, ledger: Path | None = None) -> Project:
        root = root.resolve()
        return cls(root=root, ledger=Ledger(ledger or default_path(root)))

    @property
    def registry_path(self) -> Path:
        return self.root / FILENAME

    @property
    def registry(self) -> Registry:
        """The registry as the file says now (parsed again only when its text changed).

        The cache is keyed by the file's text, not its size and time: two edits within
        one tick of the file system's clock can leave both the same. Reading the text
        is skipped only for a file whose status (inode, size, modification and change
        times) is unchanged since a read made well after its last change: any later
        edit then changes the change time, which no program can set back.
        """
        path = self.registry_path
        status = _status(path)
        if status is not None and status == self._settled and self._registry is not None:
            return self._registry[1]
        read_at = time.time_ns()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise RegistryError(
                f"no {FILENAME} in {self.root} or above; run `%bizml init` (or `bizml init`) "
                "to start a project here"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise RegistryError(f"cannot read {path}: {exc}") from None
        if self._registry is None or self._registry[0] != text:
            self._registry = (text, Registry.from_text(text, path))
        settled = status is not None and read_at - status[4] > _SETTLE_NS
        self._settled = status if settled and status == _status(path) else None
        return self._registry[1]

    @property
    def has_registry(self) -> bool:
        return self.registry_path.is_file()

    # -- declaring

    def init(
        self,
        name: str | None = None,
        *,
        currency: str | None = None,
        min_annual_value: float | None = None,
        compute_cost_per_hour: float | None = None,
        eng_cost_per_hour: float | None = None,
        calibrate: bool | None = None,
    ) -> Outcome:
        """Create this project's bizml.toml, or update its [project] with what is given.

        ``min_annual_value`` is the bar a run's yearly value must clear to be
        *material*; the two costs per hour price a run's compute and engineering time.
        ``calibrate=True`` makes experiment cards apply the haircut learned from the
        KPI's observed runs (:mod:`bizml_nb.projects.calibrated`); ``False`` turns it off.
        """
        if calibrate is not None and not isinstance(calibrate, bool):
            raise RegistryError(f"calibrate must be True or False (not {calibrate!r})")
        if currency is not None and not currency.strip():
            raise RegistryError("currency is empty; use a code such as USD or EUR")
        settings = {
            key: value
            for key, value in (
                ("min_annual_value", min_annual_value),
                ("compute_cost_per_hour", compute_cost_per_hour),
                ("eng_cost_per_hour", eng_cost_per_hour),
            )
            if value is not None
        }
        return init_file(
            self.registry_path,
            project=name,
            currency=currency,
            settings=settings,
            calibrate=calibrate,
        )

    def metric(
        self,
        name: str,
        *,
        unit: str,
        direction: Direction,
        baseline: float | None = None,
        target: float | None = None,
        value_per_unit: float | None = None,
        owner: str | None = None,
        description: str | None = None,
        traffic_per_week: float | None = None,
        test_weeks: float | None = None,
        std: float | None = None,
    ) -> BusinessMetric:
        """Declare a business metric (or update it) and return it as now stored.

        ``traffic_per_week`` (units an A/B test can randomise per week, both arms
        together), ``test_weeks`` (default 2) and, for a continuous KPI, its per-unit
        ``std`` let cards say whether an A/B test could detect a change.
        """
        given = locals()  # the keywords are the declared fields of BusinessMetric
        metric = BusinessMetric(name, **{key: given[key] for key in METRIC_KEYS})
        self.declare(metric)
        return self.registry.metric(name)

    def link(
        self,
        ml_metric: str,
        business_metric: str,
        *,
        elasticity: float | None = None,
        interval: tuple[float, float] | None = None,
        source: str | None = None,
        ml_baseline: float | None = None,
        fit: pd.DataFrame | str | Path | bool | None = None,
        from_observed: bool | None = None,
        value_matrix: Sequence[float] | Sequence[Sequence[float]] | None = None,
        cases_per_year: float | None = None,
        expr: str | None = None,
        amount_column: str | None = None,
    ) -> Link:
        """Declare (or replace) a link from an ML metric, or another KPI, to a KPI.

        One form per call:

        - ``elasticity=`` (with ``interval=``): a linear link;
        - ``fit=`` a history DataFrame or CSV of past experiments: a fitted link;
          with ``from_observed=True``, the KPI's observed runs are points of the fit too
          (``fit=True``: they alone); see :mod:`bizml_nb.projects.link_evidence`;
        - ``value_matrix=[[TN, FP], [FN, TP]]`` with ``cases_per_year=``: a confusion link;
        - ``expr="a / b"``: a formula over logged quantities.
        """
        from bizml_nb.projects.links import build_link

        link = build_link(
            self,
            ml_metric,
            business_metric,
            elasticity=elasticity,
            interval=interval,
            source=source,
            ml_baseline=ml_baseline,
            fit=fit,
            from_observed=from_observed,
            value_matrix=value_matrix,
            cases_per_year=cases_per_year,
            expr=expr,
            amount_column=amount_column,
        )
        self.declare(link)
        return link

    def mark_deployed(self, ref: str, on: str | None = None) -> Run:
        """Record that a run's model went live on ``on`` (YYYY-MM-DD; default today)."""
        from datetime import date

        if on is None:
            day = date.today()
        else:
            try:
                day = date.fromisoformat(on)
            except ValueError:
                raise LedgerError(f"--on {on!r} is not a date; write it as YYYY-MM-DD") from None
        run = self.run(ref)
        if day.isoformat() < run.started_at[:10]:
            raise LedgerError(
                f"run {run.name!r} started on {run.started_at[:10]}; it cannot have gone live "
                f"on {day.isoformat()}"
            )
        return self.ledger.mark_deployed(run.id, day.isoformat())

    def deployments(self) -> pd.DataFrame:
        """Runs marked deployed: model (run name), started, deployed, days to deploy."""
        import pandas as pd

        rows = [
            {"model": r.name, "started": r.started_at, "deployed": r.deployed_on}
            for r in self.ledger.runs()
            if r.deployed_on
        ]
        frame = pd.DataFrame(rows, columns=["model", "started", "deployed"])
        if not frame.empty:
            from bizml_nb.finance.maturity import deployment_days

            frame["days"] = deployment_days(frame).to_numpy()
        return frame

    def set_baseline(self, ref: str) -> Run:
        """Make a run (by id, prefix, ``last`` or name) the baseline of its KPI.

        A run whose cell failed is refused: its metrics may be partial or missing, so
        the KPI's runs keep the baseline they had.
        """
        run = self.run(ref)
        if run.status != "ok":
            current = self.ledger.baseline(run.target)
            kept = (
                f"{run.target}'s baseline stays {describe_run(current)}"
                if current is not None
                else f"{run.target} still has no baseline run"
            )
            raise LedgerError(
                f"run {describe_run(run)} failed; only a successful run can be a baseline (a "
                f"failed cell's metrics may be partial or missing), so {kept}. Run the "
                "experiment again and make the new run the baseline"
            )
        return self.ledger.set_baseline(run.target, run.id)

    def declare(self, item: BusinessMetric | Link) -> Outcome:
        """Write a metric or link into bizml.toml; say whether it was created or updated."""
        if not self.has_registry:
            raise RegistryError(
                f"no {FILENAME} in {self.root} or above; run `%bizml init` (or `bizml init`) first"
            )
        if isinstance(item, BusinessMetric):
            return upsert_metric(self.registry_path, item)
        self.registry.metric(item.business_metric)  # the KPI must exist first
        return upsert_link(self.registry_path, item)

    # -- experiments and runs

    def experiment(
        self,
        name: str,
        *,
        target: str,
        hypothesis: str | None = None,
        expect: str | None = None,
        tags: Iterable[str] = (),
        baseline: bool = False,
        params: Mapping[str, Any] | None = None,
        eng_hours: float | None = None,
    ) -> Experiment:
        """A new experiment against KPI ``target``; use it as a context manager."""
        from bizml_nb.projects.experiments import Experiment

        return Experiment(
            name,
            target=target,
            project=self,
            hypothesis=hypothesis,
            expect=expect,
            tags=tags,
            baseline=baseline,
            params=params,
            eng_hours=eng_hours,
        )

    def runs(self, target: str | None = None) -> pd.DataFrame:
        """The recorded runs as a DataFrame (one column per ML metric), oldest first."""
        if target is not None:
            self.registry.metric(target)
        return self.ledger.frame(target)

    def run(self, ref: str) -> Run:
        """A run by id, unique id prefix, ``last`` (the run recorded most recently, by any
        process), or name.

        A name must be unique: when several runs share it, :class:`LedgerError` lists
        each of them (short id, start time, status, KPI) and asks for the id.
        """
        ref = ref.strip()
        if ref == "last":
            last = self.ledger.last()
            if last is None:
                raise LedgerError(f"no runs yet in {self.ledger.path}")
            return last
        try:
            return self.ledger.get(ref)
        except LedgerError:
            named = self.ledger.runs(name=ref)
            if len(named) == 1:
                return named[0]
            if named:
                raise LedgerError(_ambiguous(ref, named)) from None
            raise

    def impact(self, ref: str | Run) -> Impact | None:
        """The predicted impact of a run against its KPI's current baseline run.

        None for a failed run or one whose KPI is no longer declared. See :meth:`run`
        for the ways to name a run, and :func:`bizml_nb.impact.for_run` for the rules.
        """
        from bizml_nb.impact import for_run

        run = ref if isinstance(ref, Run) else self.run(ref)
        return for_run(run, self.registry, self.ledger.baseline(run.target))

    def card(self, ref: str | Run) -> CardMixin:
        """The card of a run (see :meth:`run` for the ways to name one).

        The project knows nothing of display: the card is the one the presentation
        layer installed (:func:`bizml_nb.projects.experiments.show_runs_with`);
        :func:`bizml_nb.present.cards.run_card` is the typed way to the experiment card.
        """
        from bizml_nb.projects.experiments import run_card

        run = ref if isinstance(ref, Run) else self.run(ref)
        return run_card(run, self)


class Projects:
    """Open projects, one per (root, ledger file), so connections and caches are reused."""

    def __init__(self) -> None:
        self._open: dict[tuple[Path, Path], Project] = {}

    def get(self, path: Path | str | None = None, *, ledger: Path | str | None = None) -> Project:
        """The project that holds ``path`` (default: the current folder).

        The root is the nearest folder upward with a bizml.toml, else ``path``
        itself. The ledger is ``ledger`` if given, else ``$BIZML_LEDGER``, else
        ``ROOT/.bizml/ledger.sqlite``.
        """
        start = Path(path).expanduser() if path is not None else Path.cwd()
        root = find_root(start) or (start if start.is_dir() or not start.exists() else start.parent)
        root = root.resolve()
        ledger_path = Path(ledger).expanduser().resolve() if ledger else default_path(root)
        key = (root, ledger_path)
        project = self._open.get(key)
        if project is None:
            project = Project(root=root, ledger=Ledger(ledger_path))
            self._open[key] = project
        return project

    def close(self) -> None:
        for project in self._open.values():
            project.ledger.close()
        self._open.clear()


#: How many characters of a run id are shown as its short id (its first 10 are the
#: millisecond it was made, the next the start of its random part).
SHORT_ID_CHARS = 12


def short_id(run_id: str) -> str:
    """The first characters of a run id, as cards and lists show it (a prefix that
    ``%bizml show`` and ``bizml ledger show`` take)."""
    return run_id[:SHORT_ID_CHARS]


def describe_run(run: Run) -> str:
    """A run as messages name it: ``"two-tower v2" (id 01JD7Q2XAB3C)``."""
    from bizml_nb.core.textsafe import terminal_line

    return f'"{terminal_line(run.name)}" (id {short_id(run.id)})'


def _ambiguous(name: str, runs: Sequence[Run]) -> str:
    """The message for a name shared by several runs: each one, newest first, and the ask.

    Each is listed by its whole id: runs made within the same millisecond (a loop) share
    their first characters, so a short id could name several of them again.
    """
    from bizml_nb.core.textsafe import terminal_line

    lines = [
        f'{len(runs)} runs are named "{terminal_line(name)}"; give the id (or a unique '
        "prefix of it) of the one you mean:"
    ]
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        lines.append(
            f"  {run.id}  {run.started_at[:19].replace('T', ' ')}  "
            f"{run.status:<6}  -> {terminal_line(run.target)}"
        )
    return "\n".join(lines)


_SETTLE_NS = 2_000_000_000  # well beyond any file system's timestamp granularity


def _status(path: Path) -> tuple[int, int, int, int, int] | None:
    """What changes when a file is edited in place or replaced; None if it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
