"""The experiment ledger: one SQLite file of runs, local, no server.

The file is ``.bizml/ledger.sqlite`` beside ``bizml.toml``. It runs in WAL mode
with a busy timeout, so several kernels can write at once; each run is one
transaction. ``PRAGMA application_id`` marks the file as a bizml ledger and
``PRAGMA user_version`` holds the schema version: a file that is not a ledger,
is damaged, or comes from a newer bizml_nb is refused with a clear message and
left untouched.

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
import secrets
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bizml_nb.core.errors import BizmlWarning, LedgerError
from bizml_nb.core.ledger_repair import SET_ASIDE_TABLE, describe, set_aside_damaged

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    import pandas as pd

SCHEMA_VERSION = 5
APPLICATION_ID = 0x62697A6D  # "bizm": marks the file as a bizml ledger
RECORD_FORMAT = "bizml.run"
RECORD_VERSION = 1
RECOVER_HINT = (
    "Recover by moving it aside and rebuilding the runs from your executed notebooks: "
    "`bizml ledger import NOTEBOOK.ipynb ...`"
)
Status = Literal["ok", "failed"]

_SCHEMA = """
CREATE TABLE runs (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    target         TEXT NOT NULL,
    hypothesis     TEXT,
    expect         TEXT,
    tags           TEXT NOT NULL DEFAULT '[]',
    params         TEXT NOT NULL DEFAULT '{}',
    is_baseline    INTEGER NOT NULL DEFAULT 0,
    status         TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    error          TEXT,
    started_at     TEXT NOT NULL,
    duration_s     REAL,
    metrics        TEXT NOT NULL DEFAULT '{}',
    notebook       TEXT,
    cell_id        TEXT,
    git_commit     TEXT,
    git_dirty      INTEGER,
    python_version TEXT,
    bizml_version  TEXT
) WITHOUT ROWID;
CREATE INDEX runs_by_target ON runs (target, id);
"""
# Each entry upgrades the schema by one version; a new file runs them all.
_MIGRATIONS = (
    _SCHEMA,
    """
ALTER TABLE runs ADD COLUMN eng_hours REAL;
CREATE TABLE baselines (
    target  TEXT PRIMARY KEY,
    run_id  TEXT NOT NULL REFERENCES runs (id),
    set_at  TEXT NOT NULL
) WITHOUT ROWID;
""",
    "ALTER TABLE runs ADD COLUMN deployed_on TEXT;",
    # Schema 4: the order runs were recorded in, across every process writing the file
    # (`last`); runs already present count as recorded in id order.
    """
CREATE TABLE run_order (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  TEXT NOT NULL UNIQUE
);
INSERT INTO run_order (run_id) SELECT id FROM runs ORDER BY id;
CREATE TRIGGER run_recorded AFTER INSERT ON runs BEGIN
    INSERT INTO run_order (run_id) VALUES (NEW.id);
END;
""",
    # Schema 5: rows of older versions that break the run record schema move here
    # (bizml_nb.core.ledger_repair) when the ledger is upgraded.
    SET_ASIDE_TABLE,
)
_COLUMNS = (
    "id",
    "name",
    "target",
    "hypothesis",
    "expect",
    "tags",
    "params",
    "is_baseline",
    "status",
    "error",
    "started_at",
    "duration_s",
    "metrics",
    "notebook",
    "cell_id",
    "git_commit",
    "git_dirty",
    "python_version",
    "bizml_version",
    "eng_hours",
    "deployed_on",
)
_INSERT = f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_SQLITE_MAGIC = b"SQLite format 3\x00"


# --------------------------------------------------------------------------- runs


@dataclass(frozen=True)
class Run:
    """One recorded experiment: what was tried, against which KPI, and what it measured."""

    id: str
    name: str
    target: str
    started_at: str
    hypothesis: str | None = None
    expect: str | None = None
    tags: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    is_baseline: bool = False
    status: Status = "ok"
    error: str | None = None
    duration_s: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    notebook: str | None = None
    cell_id: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    python_version: str | None = None
    bizml_version: str | None = None
    eng_hours: float | None = None
    deployed_on: str | None = None  # ISO date the run's model went live

    @classmethod
    def new(cls, name: str, *, target: str, **fields: Any) -> Run:
        """A run with a fresh id and the current time as its start."""
        return cls(id=new_run_id(), name=name, target=target, started_at=now_iso(), **fields)

    def with_metrics(self, metrics: Mapping[str, float]) -> Run:
        """A copy of this run with ``metrics`` added (later values win)."""
        return replace(self, metrics={**self.metrics, **metrics})

    def to_record(self) -> dict[str, Any]:
        """The JSON-able record stored in notebooks as ``application/vnd.bizml.run+json``."""
        run = asdict(self)
        run["tags"] = list(self.tags)
        run["params"] = dict(self.params)
        run["metrics"] = dict(self.metrics)
        return {"format": RECORD_FORMAT, "version": RECORD_VERSION, "run": run}

    @classmethod
    def from_record(cls, record: Mapping[str, Any], where: str | None = None) -> Run:
        """Rebuild a run from :meth:`to_record` output; LedgerError if it is not one.

        The record is checked against the run record schema (:mod:`bizml_nb.core.schema`):
        the error names the field and what it may hold, after ``where`` if given.
        """
        from bizml_nb.core.schema import validate_record

        return validate_record(record, where)

    def _row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.name,
            self.target,
            self.hypothesis,
            self.expect,
            json.dumps(list(self.tags), ensure_ascii=False),
            json.dumps(dict(self.params), ensure_ascii=False, default=str),
            int(self.is_baseline),
            self.status,
            self.error,
            self.started_at,
            self.duration_s,
            json.dumps(dict(self.metrics), ensure_ascii=False),
            self.notebook,
            self.cell_id,
            self.git_commit,
            None if self.git_dirty is None else int(self.git_dirty),
            self.python_version,
            self.bizml_version,
            self.eng_hours,
            self.deployed_on,
        )

    @classmethod
    def _from_row(cls, row: Sequence[Any]) -> Run:
        data = dict(zip(_COLUMNS, row, strict=True))
        data["tags"] = tuple(json.loads(data["tags"]))
        data["params"] = json.loads(data["params"])
        data["metrics"] = json.loads(data["metrics"])
        data["is_baseline"] = bool(data["is_baseline"])
        data["git_dirty"] = None if data["git_dirty"] is None else bool(data["git_dirty"])
        return cls(**data)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class _IdSequence:
    """The last id this process made, so that the next one sorts after it."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the last id (in a forked child: start a sequence of its own)."""
        self.last = 0
        self.lock = threading.Lock()

    def after(self, fresh: int) -> int:
        """``fresh``, or the last id plus one when ``fresh`` is not in a later millisecond."""
        with self.lock:
            if fresh >> 80 <= self.last >> 80:
                fresh = self.last + 1
            self.last = fresh
            return fresh


_ids = _IdSequence()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.reset)


def new_run_id() -> str:
    """A 26-character ULID: 48 bits of milliseconds then 80 random bits.

    Ids sort by creation time and are unique across machines without coordination.
    Within a process they are monotonic (the ULID spec's monotonic mode): an id made
    in the same millisecond as the one before it, or after the clock was set back,
    is that id plus one, so a process's ids sort in the order they were made.
    """
    value = _ids.after(_now_ms() << 80 | secrets.randbits(80))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def now_iso() -> str:
    """The current UTC time as ISO 8601 with milliseconds, e.g. 2026-11-28T12:00:00.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- ledger


class Ledger:
    """The runs of one project, in one SQLite file.

    The file and its folder are created on first write. Reads of a missing file
    return nothing rather than creating it.
    """

    def __init__(self, path: Path | str, *, timeout_s: float = 60.0) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self._conn: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"Ledger({str(self.path)!r})"

    # -- writing

    def record(self, run: Run) -> None:
        """Write ``run`` in one transaction; LedgerError if it cannot be written.

        A run that breaks the run record schema is refused before anything is written.
        """
        from bizml_nb.core.schema import check_run

        check_run(run)
        with self._writing() as conn:
            try:
                conn.execute(_INSERT, run._row())
            except sqlite3.IntegrityError as exc:
                if "UNIQUE" not in str(exc):  # a NOT NULL or CHECK constraint, not a duplicate
                    raise LedgerError(f"run {run.id} is not valid ({exc})") from None
                raise LedgerError(f"a run with id {run.id} is already in {self.path}") from None
            if run.is_baseline and run.status == "ok":
                _designate(conn, run.target, run.id)

    def record_many(self, runs: Sequence[Run]) -> int:
        """Write the runs not yet present (by id); return how many were new."""
        return len(self.record_new(runs))

    def record_new(self, runs: Sequence[Run]) -> list[str]:
        """Write the runs not yet present (by id), all in one transaction; return their ids.

        Every run is checked against the run record schema first: one bad run and
        nothing is written.
        """
        from bizml_nb.core.schema import check_run

        for run in runs:
            check_run(run)
        insert = _INSERT.replace("INSERT", "INSERT OR IGNORE", 1)
        written: list[str] = []
        with self._writing() as conn:
            for run in runs:
                before = conn.total_changes
                conn.execute(insert, run._row())
                if conn.total_changes > before:
                    written.append(run.id)
        return written

    def add_metrics(self, run_id: str, metrics: Mapping[str, float]) -> Run:
        """Merge ``metrics`` into a recorded run (later values win) and return it."""
        from bizml_nb.core.schema import check_run

        with self._writing() as conn:
            row = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None:
                raise LedgerError(f"no run {run_id} in {self.path}")
            run = Run._from_row(row).with_metrics(metrics)
            check_run(run)  # nothing is written when the merged run breaks the schema
            conn.execute(
                "UPDATE runs SET metrics = ? WHERE id = ?",
                (json.dumps(dict(run.metrics), ensure_ascii=False), run_id),
            )
            return run

    # -- reading

    def get(self, run_id: str) -> Run:
        """The run with this id, or with this unique id prefix (at least 4 characters)."""
        conn = self._reading()
        select = f"SELECT {', '.join(_COLUMNS)} FROM runs"
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
        return Run._from_row(rows[0])

    def runs(self, target: str | None = None, *, name: str | None = None) -> list[Run]:
        """The recorded runs, oldest first, optionally only for one KPI or one name."""
        conn = self._reading()
        if conn is None:
            return []
        query = f"SELECT {', '.join(_COLUMNS)} FROM runs"
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
        return [Run._from_row(row) for row in rows]

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
                f"SELECT {', '.join('r.' + c for c in _COLUMNS)} FROM runs r "
                f"LEFT JOIN run_order o ON o.run_id = r.id {where}"
                "ORDER BY o.seq IS NULL, o.seq DESC, r.id DESC LIMIT 1",
                args,
            ).fetchone()
        return None if row is None else Run._from_row(row)

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
                f"SELECT {', '.join('r.' + c for c in _COLUMNS)} FROM baselines b "
                "JOIN runs r ON r.id = b.run_id WHERE b.target = ? AND r.status = 'ok'",
                (target,),
            ).fetchone()
            if row is not None:
                return Run._from_row(row)
            row = conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM runs WHERE target = ? AND is_baseline = 1 "
                "AND status = 'ok' ORDER BY id DESC LIMIT 1",
                (target,),
            ).fetchone()
        return None if row is None else Run._from_row(row)

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
            query = f"SELECT {', '.join(_COLUMNS)} FROM runs"
            args: tuple[str, ...] = ()
            if target is not None:
                query += " WHERE target = ?"
                args = (target,)
            with self._errors():
                rows = conn.execute(query + " ORDER BY id", args).fetchall()
        columns = dict(zip(_COLUMNS, zip(*rows, strict=True), strict=True)) if rows else {}
        decoded = {name: _json_column(columns.get(name, ())) for name in _JSON_COLUMNS}
        base = pd.DataFrame(
            {name: list(columns.get(name, ())) for name in _COLUMNS if name not in _JSON_COLUMNS}
        )
        base.insert(_COLUMNS.index("tags"), "tags", [tuple(t) for t in decoded["tags"]])
        base.insert(_COLUMNS.index("params"), "params", decoded["params"])
        metrics = pd.DataFrame.from_records(decoded["metrics"], index=base.index)
        metrics.columns = [f"metric.{c}" if c in _COLUMNS else c for c in metrics.columns]
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
            self._check_file()
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
                    self._create_schema(conn)
                else:
                    self._check_schema(conn)
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

    def _check_file(self) -> None:
        """Refuse a file that is not SQLite before SQLite writes anything to it."""
        try:
            with self.path.open("rb") as handle:
                header = handle.read(100)
        except OSError as exc:
            raise LedgerError(
                f"cannot read the ledger {self.path}: {exc.strerror or exc}"
            ) from None
        if len(header) == 0:
            return  # an empty file (e.g. touched by hand) is initialised like a new one
        if not header.startswith(_SQLITE_MAGIC):
            raise LedgerError(
                f"{self.path} is not a bizml ledger (not a SQLite file); it was left untouched. "
                f"Point BIZML_LEDGER elsewhere, or move it aside. {RECOVER_HINT}"
            )
        application_id = int.from_bytes(header[68:72], "big")
        user_version = int.from_bytes(header[60:64], "big")
        if application_id not in (0, APPLICATION_ID):
            raise LedgerError(
                f"{self.path} is a SQLite file of another application, not a bizml ledger; "
                "it was left untouched. Point BIZML_LEDGER at a new file."
            )
        if user_version > SCHEMA_VERSION:
            raise LedgerError(_newer(self.path, user_version))

    def _create_schema(self, conn: sqlite3.Connection) -> None:
        """Bring the schema to SCHEMA_VERSION: all migrations for a new file, the rest for an old one."""
        conn.execute("BEGIN IMMEDIATE")
        version = 0
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for script in _MIGRATIONS[version:]:
                for statement in _statements(script):
                    conn.execute(statement)
            moved: list[tuple[str, str]] = []
            if 0 < version < 5:  # rows an older bizml_nb wrote without the record schema
                moved = set_aside_damaged(conn, _COLUMNS, _check_row, now_iso())
            if version < SCHEMA_VERSION:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
            if moved:
                import warnings

                warnings.warn(describe(self.path, moved), BizmlWarning, stacklevel=2)
        except BaseException as exc:
            conn.rollback()  # one transaction: a failed upgrade leaves the old schema whole
            text = str(exc)
            upgrading = 0 < version < SCHEMA_VERSION
            if upgrading and isinstance(exc, sqlite3.Error) and not _waited(text):
                raise LedgerError(
                    f"cannot upgrade the ledger {self.path} from schema {version} to "
                    f"{SCHEMA_VERSION} ({text}); it was left as it was. {RECOVER_HINT}"
                ) from None
            raise

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN")  # one snapshot: another process may be creating the schema now
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")
        if version == 0:
            if tables:
                raise LedgerError(
                    f"{self.path} is a SQLite file but not a bizml ledger; it was left untouched. "
                    "Point BIZML_LEDGER at a new file."
                )
            self._create_schema(conn)
        elif version < SCHEMA_VERSION:  # a ledger of an older bizml_nb: upgrade it in place
            self._create_schema(conn)
        elif version > SCHEMA_VERSION:  # written concurrently since the header check
            raise LedgerError(_newer(self.path, version))


def _check_row(row: Sequence[Any]) -> None:
    """Raise if a stored row is not a valid run (the record schema, as on every write)."""
    from bizml_nb.core.schema import validate_record

    validate_record(Run._from_row(row).to_record())


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, in order (a trigger's body keeps its semicolons)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending.strip()
            pending = ""


def _waited(text: str) -> bool:
    """Whether a SQLite error says another connection held the file too long."""
    return "locked" in text or "busy" in text


def _newer(path: Path, version: int) -> str:
    return (
        f"{path} was written by a newer bizml_nb (ledger schema {version}; this one reads up "
        f"to {SCHEMA_VERSION}); it was left untouched. Upgrade with `pip install -U bizml_nb`, "
        f"or: {RECOVER_HINT}"
    )


_JSON_COLUMNS = ("tags", "params", "metrics")


def _json_column(texts: Sequence[str]) -> list[Any]:
    """Decode a column of JSON texts in one call (one parse, not one per row)."""
    return list(json.loads("[" + ",".join(texts) + "]")) if texts else []


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
