"""The experiment ledger: one SQLite file of runs, local, no server.

The file is ``.bizml/ledger.sqlite`` beside ``bizml.toml``. It runs in WAL mode
with a busy timeout, so several kernels can write at once; each run is one
transaction. ``PRAGMA application_id`` marks the file as a bizml ledger and
``PRAGMA user_version`` holds the schema version: a file that is not a ledger,
is damaged, or comes from a newer bizml_nb is refused with a clear message and
left untouched. The file's layout (SQL schema, migrations, rows, the checks of a
file) is :mod:`bizml_nb.core.ledger_schema`; a run and its record are
:mod:`bizml_nb.core.run` (re-exported here: ``Run``, ``new_run_id``, ``now_iso``...);
what runs' models really did, measured later, is :mod:`bizml_nb.core.ledger_observations`.

>>> import tempfile, pathlib
>>> ledger = Ledger(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
>>> run = Run.new("baseline", target="take_rate", metrics={"ndcg@10": 0.4})
>>> ledger.record(run)
>>> ledger.get(run.id).metrics
{'ndcg@10': 0.4}
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core import ledger_observations as observed
from bizml_nb.core import ledger_schema as layout
from bizml_nb.core import predictions
from bizml_nb.core.errors import LedgerError
from bizml_nb.core.ledger_schema import APPLICATION_ID, RECOVER_HINT, SCHEMA_VERSION
from bizml_nb.core.run import RECORD_FORMAT, RECORD_VERSION, Run, Status, new_run_id, now_iso
from bizml_nb.core.schema import check_run

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import pandas as pd

    from bizml_nb.core.observation import Observation

__all__ = [
    "APPLICATION_ID",
    "RECORD_FORMAT",
    "RECORD_VERSION",
    "RECOVER_HINT",
    "SCHEMA_VERSION",
    "Ledger",
    "Run",
    "Status",
    "default_path",
    "new_run_id",
    "now_iso",
]


class Ledger:
    """The runs of one project, in one SQLite file.

    The file and its folder are created on first write. Reads of a missing file
    return nothing rather than creating it.
    """

    def __init__(self, path: Path | str, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._conn: sqlite3.Connection | None = None
        predictions.watch(self.path)  # runs of this ledger may have predictions beside it

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- writing

    def record(self, run: Run) -> None:
        """Write ``run`` in one transaction; LedgerError if it cannot be written.

        A run that breaks the run record schema is refused before anything is written.
        """
        check_run(run)
        with self._writing() as conn:
            try:
                conn.execute(layout.INSERT, layout.to_row(run))
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):  # a NOT NULL or CHECK constraint, not a duplicate
                    raise LedgerError(f"run {run.id} is not valid ({exc})") from None
                raise LedgerError(f"a run with id {run.id} is already in {self.path}") from None
            if run.is_baseline and run.status == "ok":
                _designate(conn, run.target, run.id)

    def record_many(self, runs: Sequence[Run]) -> int:
        """Write the runs not yet present (by id); return how many were new."""
        return len(self.record_new(runs))

    def record_new(
        self,
        runs: Sequence[Run],
        origins: Mapping[str, tuple[str, str | None]] | None = None,
    ) -> list[str]:
        """Write the runs not yet present (by id), all in one transaction; return their ids.

        Every run is checked against the run record schema first: one bad run and
        nothing is written. ``origins`` maps a run id to where another store brought it
        from and its author (``("mlflow:RUN_ID", "ana")``), kept with a run written now.
        """
        for run in runs:
            check_run(run)
        insert = layout.INSERT.replace("INSERT", "INSERT OR IGNORE", 1)
        written: list[str] = []
        with self._writing() as conn:
            for run in runs:
                before = conn.total_changes
                conn.execute(insert, layout.to_row(run))
                if conn.total_changes > before:
                    written.append(run.id)
                    if origins and run.id in origins:
                        conn.execute(
                            "UPDATE runs SET origin = ?, origin_author = ? WHERE id = ?",
                            (*origins[run.id], run.id),
                        )
        return written

    def origins(self) -> dict[str, tuple[str, str | None]]:
        """Run id -> (origin, author) of the runs another store brought (schema 6)."""
        conn = self._reading()
        if conn is None:
            return {}
        with self._errors():
            rows = conn.execute(
                "SELECT id, origin, origin_author FROM runs WHERE origin IS NOT NULL"
            ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def origin(self, run_id: str) -> tuple[str, str | None] | None:
        """(origin, author) of one run another store brought, None for a run recorded here."""
        conn = self._reading()
        if conn is None:
            return None
        with self._errors():
            row = conn.execute(
                "SELECT origin, origin_author FROM runs WHERE id = ? AND origin IS NOT NULL",
                (run_id,),
            ).fetchone()
        return None if row is None else (row[0], row[1])

    def note_pushed(
        self, run_id: str, tracking_uri: str, experiment_id: str, remote_id: str, judged_by: str
    ) -> None:
        """Record that ``run_id`` is in a remote store as ``remote_id``, its verdict and value
        as ``judged_by`` says (bizml.toml's hash and the KPIs' baseline runs)."""
        with self._writing() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO pushed VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, tracking_uri, experiment_id, remote_id, judged_by, now_iso()),
            )

    def pushed_to(self, tracking_uri: str) -> set[str]:
        """The ids of the runs pushed to a remote store, to any of its experiments."""
        conn = self._reading()
        if conn is None:
            return set()
        with self._errors():
            rows = conn.execute(
                "SELECT DISTINCT run_id FROM pushed WHERE tracking_uri = ?", (tracking_uri,)
            ).fetchall()
        return {row[0] for row in rows}

    def pushed(self, tracking_uri: str, experiment_id: str) -> dict[str, tuple[str, str]]:
        """Run id -> (remote id, judged_by) of the runs pushed to one remote experiment."""
        conn = self._reading()
        if conn is None:
            return {}
        with self._errors():
            rows = conn.execute(
                "SELECT run_id, remote_id, judged_by FROM pushed "
                "WHERE tracking_uri = ? AND experiment_id = ?",
                (tracking_uri, experiment_id),
            ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def add_metrics(self, run_id: str, metrics: Mapping[str, float]) -> Run:
        """Merge ``metrics`` into a recorded run (later values win) and return it."""
        with self._writing() as conn:
            row = conn.execute(f"{layout.SELECT} WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise LedgerError(f"no run {run_id} in {self.path}")
            run = layout.from_row(row).with_metrics(metrics)
            check_run(run)  # nothing is written when the merged run breaks the schema
            conn.execute(
                "UPDATE runs SET metrics = ? WHERE id = ?",
                (json.dumps(dict(run.metrics), ensure_ascii=False), run_id),
            )
            return run

    # -- observations: what a run's model really did (bizml_nb.core.ledger_observations)

    def observe(self, observation: Observation) -> None:
        """Write an observation of a recorded run, in one transaction (LedgerError if unknown)."""
        observed.observe(self, observation)

    def observe_new(self, observations: Sequence[Observation]) -> list[str]:
        """Write the observations not yet present (by id), in one transaction; their ids."""
        return observed.observe_new(self, observations)

    def observations(
        self, run_id: str | None = None, target: str | None = None
    ) -> list[Observation]:
        """The observations (of one run, or of one KPI's runs), oldest by observed_on first."""
        return observed.observations(self, run_id, target)

    # -- reading

    def get(self, run_id: str) -> Run:
        """The run with this id, or with this unique id prefix (at least 4 characters)."""
        conn = self._reading()
        select = layout.SELECT
        rows: list[Any] = []
        if conn is not None:
            with self._errors():
                rows = conn.execute(f"{select} WHERE id = ?", (run_id,)).fetchall()
                if not rows and len(run_id) >= 4:
                    rows = conn.execute(
                        f"{select} WHERE id >= ? AND id < ? ORDER BY id LIMIT 2",
                        (run_id.upper(), run_id.upper() + "~"),
                    ).fetchall()
        if not rows:
            raise LedgerError(
                f"no run with id {run_id!r} in {self.path}; `%bizml runs` or `bizml ledger list` lists them"
            )
        if len(rows) > 1:
            raise LedgerError(f"run id prefix {run_id!r} is ambiguous; give more characters")
        return layout.from_row(rows[0])

    def runs(self, target: str | None = None, *, name: str | None = None) -> list[Run]:
        """The recorded runs, oldest first, optionally only for one KPI or one name."""
        conn = self._reading()
        if conn is None:
            return []
        query = layout.SELECT
        clauses, args = [], []
        if target is not None:
            clauses.append("target = ?")
            args.append(target)
        if name is not None:
            clauses.append("name = ?")
            args.append(name)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        with self._errors():
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        return [layout.from_row(row) for row in rows]

    def last(self, *, name: str | None = None) -> Run | None:
        """The run recorded most recently (optionally the latest of that name), or None.

        "Most recently" is the order of recording in this file, whichever process
        wrote it, not the order of ids: an experiment started first and finished last
        is the last run.
        """
        conn = self._reading()
        if conn is None:
            return None
        where, args = ("WHERE r.name = ? ", (name,)) if name is not None else ("", ())
        with self._errors():
            row = conn.execute(
                f"SELECT {', '.join('r.' + c for c in layout.COLUMNS)} FROM runs r "
                f"LEFT JOIN run_order o ON o.run_id = r.id {where}"
                "ORDER BY o.seq IS NULL, o.seq DESC, r.id DESC LIMIT 1",
                args,
            ).fetchone()
        return None if row is None else layout.from_row(row)

    def set_baseline(self, target: str, run_id: str) -> Run:
        """Make the run ``run_id`` the baseline of KPI ``target`` (its latest, for good)."""
        run = self.get(run_id)
        if run.target != target:
            raise LedgerError(
                f"run {run.name!r} was an experiment against {run.target}, not {target}; "
                "a baseline must target the same KPI"
            )
        if run.status != "ok":
            raise LedgerError(f"run {run.name!r} failed; only a successful run can be a baseline")
        with self._writing() as conn:
            _designate(conn, target, run.id)
        return run

    def mark_deployed(self, run_id: str, on: str) -> Run:
        """Record that the model of run ``run_id`` went live on ``on`` (an ISO date)."""
        run = self.get(run_id)
        with self._writing() as conn:
            conn.execute("UPDATE runs SET deployed_on = ? WHERE id = ?", (on, run.id))
        return replace(run, deployed_on=on)

    def baseline(self, target: str) -> Run | None:
        """The baseline run of ``target``: the latest designated (recorded with
        ``baseline=True`` or set with :meth:`set_baseline`), else the latest successful
        run flagged as a baseline (runs imported from notebooks)."""
        conn = self._reading()
        if conn is None:
            return None
        with self._errors():
            row = conn.execute(
                f"SELECT {', '.join('r.' + c for c in layout.COLUMNS)} FROM baselines b "
                "JOIN runs r ON r.id = b.run_id WHERE b.target = ? AND r.status = 'ok'",
                (target,),
            ).fetchone()
            if row is not None:
                return layout.from_row(row)
            row = conn.execute(
                f"{layout.SELECT} WHERE target = ? AND is_baseline = 1 "
                "AND status = 'ok' ORDER BY id DESC LIMIT 1",
                (target,),
            ).fetchone()
        return None if row is None else layout.from_row(row)

    def count(self) -> int:
        """How many runs the ledger holds."""
        conn = self._reading()
        if conn is None:
            return 0
        with self._errors():
            return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])

    def frame(self, target: str | None = None) -> pd.DataFrame:
        """The runs as a DataFrame, one row per run, one column per ML metric.

        Metric columns carry the metric's own name; a metric whose name clashes
        with a record column (``name``, ``status``...) is called ``metric.NAME``.
        """
        import pandas as pd

        conn = self._reading()
        rows: list[Any] = []
        if conn is not None:
            query = layout.SELECT
            args: tuple[str, ...] = ()
            if target is not None:
                query += " WHERE target = ?"
                args = (target,)
            with self._errors():
                rows = conn.execute(query + " ORDER BY id", args).fetchall()
        columns = dict(zip(layout.COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}
        decoded = {name: layout.json_column(columns.get(name, ())) for name in layout.JSON_COLUMNS}
        base = pd.DataFrame(
            {
                name: list(columns.get(name, ()))
                for name in layout.COLUMNS
                if name not in layout.JSON_COLUMNS
            }
        )
        base.insert(layout.COLUMNS.index("tags"), "tags", [tuple(t) for t in decoded["tags"]])
        base.insert(layout.COLUMNS.index("params"), "params", decoded["params"])
        metrics = pd.DataFrame.from_records(decoded["metrics"], index=base.index)
        metrics.columns = [f"metric.{c}" if c in layout.COLUMNS else c for c in metrics.columns]
        base["is_baseline"] = base["is_baseline"].astype(bool)
        base["started_at"] = pd.to_datetime(base["started_at"], utc=True, format="ISO8601")
        return pd.concat([base, metrics], axis=1)

    def close(self) -> None:
        """Close the connection (it reopens on the next use)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- connection handling

    def _reading(self) -> sqlite3.Connection | None:
        if self._conn is None and not self.path.exists():
            return None
        return self._connect()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect(create=True)
        with self._errors():
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.OperationalError as exc:
            raise LedgerError(_explain(self.path, exc)) from None
        except sqlite3.DatabaseError as exc:
            # Let go of a damaged file (and its -wal and -shm): the message says to move it
            # aside, and a connection kept open would go on using the moved file's sidecars
            # under the old name, beside the ledger rebuilt there.
            self.close()
            raise LedgerError(
                f"the ledger {self.path} is damaged ({exc}); it was left untouched. {RECOVER_HINT}"
            ) from None

    def _connect(self, *, create: bool = False) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        exists = self.path.exists()
        if exists:
            layout.check_header(self.path)
        elif not create:
            raise LedgerError(f"no ledger at {self.path}")
        else:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise LedgerError(
                    f"cannot create the ledger folder {self.path.parent}: {exc.strerror or exc}; "
                    "point BIZML_LEDGER (or %config BizmlMagics.ledger) at a writable file"
                ) from None
        try:
            # An absolute path: SQLite builds with URI filenames on would read a path
            # such as "file:x.sqlite" as a URI (another file, or options) rather than a name.
            conn = sqlite3.connect(
                os.path.abspath(self.path),
                timeout=self.timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise LedgerError(_explain(self.path, exc)) from None
        try:
            with self._errors():
                conn.execute(f"PRAGMA busy_timeout = {int(self.timeout_s * 1000)}")
                if not exists:
                    layout.create_schema(conn, self.path)
                else:
                    layout.check_schema(conn, self.path)
                self._use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _use_wal(self, conn: sqlite3.Connection) -> None:
        # Switching a new file to WAL needs an exclusive lock; when several processes
        # create the ledger at once SQLite answers "locked" at once instead of waiting.
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.005)


def _designate(conn: sqlite3.Connection, target: str, run_id: str) -> None:
    conn.execute(
        "INSERT INTO baselines (target, run_id, set_at) VALUES (?, ?, ?) ON CONFLICT (target) "
        "DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at",
        (target, run_id, now_iso()),
    )


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return (
            f"cannot write the ledger {path}: the file or its folder is read-only; "
            "nothing was lost. Make it writable, or point BIZML_LEDGER "
            "(or %config BizmlMagics.ledger) at a writable file"
        )
    if "unable to open" in text:
        return (
            f"cannot open the ledger {path}: {text}; check that its folder exists and is "
            "writable, or point BIZML_LEDGER at another file"
        )
    if "locked" in text or "busy" in text:
        return (
            f"the ledger {path} stayed locked by another process for too long; "
            "nothing was written, try again"
        )
    if "malformed" in text or "not a database" in text or "disk image" in text:
        return f"the ledger {path} is damaged ({text}); it was left untouched. {RECOVER_HINT}"
    return f"ledger {path}: {text}"


def default_path(root: Path) -> Path:
    """Where the ledger of the project at ``root`` lives, unless BIZML_LEDGER says otherwise."""
    env = os.environ.get("BIZML_LEDGER")
    return Path(env).expanduser() if env else root / ".bizml" / "ledger.sqlite"
