"""The ledger file's layout: SQL schema, migrations, rows, and the checks of a file.

A ledger is a SQLite file marked by ``PRAGMA application_id`` (:data:`APPLICATION_ID`)
whose ``PRAGMA user_version`` is its schema version (:data:`SCHEMA_VERSION`). Each
entry of :data:`MIGRATIONS` upgrades the schema by one version; a new file runs them
all, an older one the rest, in one transaction. A file that is not SQLite, belongs to
another application or comes from a newer bizml_nb is refused before SQLite writes to
it (:func:`check_header`). :class:`~bizml_nb.core.ledger.Ledger` uses these; a run
becomes a row and back with :func:`to_row` and :func:`from_row`.
"""

from __future__ import annotations

import json
import sqlite3
import warnings
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlWarning, LedgerError
from bizml_nb.core.ledger_repair import SET_ASIDE_TABLE, describe, set_aside_damaged
from bizml_nb.core.run import Run, now_iso, validate_record

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

SCHEMA_VERSION = 8
APPLICATION_ID = 0x62697A6D  # "bizm": marks the file as a bizml ledger
RECOVER_HINT = (
    "Recover by moving it aside and rebuilding the runs from your executed notebooks: "
    "`bizml ledger import NOTEBOOK.ipynb ...`"
)

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
#: Each entry upgrades the schema by one version; a new file runs them all.
MIGRATIONS = (
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
    # Schema 6: where a run came from when another store brought it (``mlflow:RUN_ID`` and
    # its author), and what was pushed where (bizml_nb.teams), so a push is idempotent.
    """
ALTER TABLE runs ADD COLUMN origin TEXT;
ALTER TABLE runs ADD COLUMN origin_author TEXT;
CREATE TABLE pushed (
    run_id        TEXT NOT NULL,
    tracking_uri  TEXT NOT NULL,
    experiment_id TEXT NOT NULL,
    remote_id     TEXT NOT NULL,
    judged_by     TEXT NOT NULL,
    pushed_at     TEXT NOT NULL,
    PRIMARY KEY (run_id, tracking_uri, experiment_id)
) WITHOUT ROWID;
""",
    # Schema 7: what a run's model really did to its KPI, measured by an A/B test or a
    # launch (bizml_nb.core.observation, written by bizml_nb.core.ledger_observations);
    # a run may have several, the latest by observed_on then recorded_at counts.
    """
CREATE TABLE observations (
    id          TEXT PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs (id),
    kpi_delta   REAL NOT NULL,
    low         REAL NOT NULL,
    high        REAL NOT NULL,
    level       REAL NOT NULL CHECK (level > 0 AND level < 1),
    source      TEXT NOT NULL,
    observed_on TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    origin      TEXT,
    n_days      INTEGER,
    method      TEXT,
    CHECK (low <= kpi_delta AND kpi_delta <= high)
) WITHOUT ROWID;
CREATE INDEX observations_by_run ON observations (run_id, observed_on, recorded_at);
""",
    # Schema 8: the prediction an observation is judged against, kept with it when it is
    # recorded (the run's predicted KPI change and its 90% range, and the baseline run it
    # was made against); NULL in rows schema 7 wrote, which are judged against the
    # KPI's current baseline run instead.
    """
ALTER TABLE observations ADD COLUMN predicted_low REAL;
ALTER TABLE observations ADD COLUMN predicted_mid REAL;
ALTER TABLE observations ADD COLUMN predicted_high REAL CHECK (
    (predicted_low IS NULL) = (predicted_mid IS NULL)
    AND (predicted_mid IS NULL) = (predicted_high IS NULL)
    AND (predicted_mid IS NULL OR (predicted_low <= predicted_mid AND predicted_mid <= predicted_high))
);
ALTER TABLE observations ADD COLUMN baseline_id TEXT CHECK (
    baseline_id IS NULL OR predicted_mid IS NOT NULL
);
""",
)
#: the columns of ``runs``, in the order of :func:`to_row` and :func:`from_row`.
COLUMNS = (
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
JSON_COLUMNS = ("tags", "params", "metrics")
SELECT = f"SELECT {', '.join(COLUMNS)} FROM runs"
INSERT = f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_SQLITE_MAGIC = b"SQLite format 3\x00"


# --------------------------------------------------------------------------- rows


def to_row(run: Run) -> tuple[Any, ...]:
    """The values of ``run`` for :data:`INSERT`, in the order of :data:`COLUMNS`."""
    return (
        run.id,
        run.name,
        run.target,
        run.hypothesis,
        run.expect,
        json.dumps(list(run.tags), ensure_ascii=False),
        json.dumps(dict(run.params), ensure_ascii=False, default=str),
        int(run.is_baseline),
        run.status,
        run.error,
        run.started_at,
        run.duration_s,
        json.dumps(dict(run.metrics), ensure_ascii=False),
        run.notebook,
        run.cell_id,
        run.git_commit,
        None if run.git_dirty is None else int(run.git_dirty),
        run.python_version,
        run.bizml_version,
        run.eng_hours,
        run.deployed_on,
    )


def from_row(row: Sequence[Any]) -> Run:
    """The run stored in a row of :data:`COLUMNS`."""
    data = dict(zip(COLUMNS, row, strict=True))
    data["tags"] = tuple(json.loads(data["tags"]))
    data["params"] = json.loads(data["params"])
    data["metrics"] = json.loads(data["metrics"])
    data["is_baseline"] = bool(data["is_baseline"])
    data["git_dirty"] = None if data["git_dirty"] is None else bool(data["git_dirty"])
    return Run(**data)


def json_column(texts: Sequence[str]) -> list[Any]:
    """Decode a column of JSON texts in one call (one parse, not one per row)."""
    return list(json.loads("[" + ",".join(texts) + "]")) if texts else []


def check_row(row: Sequence[Any]) -> None:
    """Raise if a stored row is not a valid run (the record schema, as on every write)."""
    validate_record(from_row(row).to_record())


# --------------------------------------------------------------------------- the file


def check_header(path: Path) -> None:
    """Refuse a file that is not a ledger this version reads, before SQLite writes to it."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as exc:
        raise LedgerError(f"cannot read the ledger {path}: {exc.strerror or exc}") from None
    if len(header) == 0:
        return  # an empty file (e.g. touched by hand) is initialised like a new one
    if not header.startswith(_SQLITE_MAGIC):
        raise LedgerError(
            f"{path} is not a bizml ledger (not a SQLite file); it was left untouched. "
            f"Point BIZML_LEDGER elsewhere, or move it aside. {RECOVER_HINT}"
        )
    application_id = int.from_bytes(header[68:72], "big")
    user_version = int.from_bytes(header[60:64], "big")
    if application_id not in (0, APPLICATION_ID):
        raise LedgerError(
            f"{path} is a SQLite file of another application, not a bizml ledger; "
            "it was left untouched. Point BIZML_LEDGER at a new file."
        )
    if user_version > SCHEMA_VERSION:
        raise LedgerError(newer(path, user_version))


def create_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the schema to SCHEMA_VERSION: all migrations for a new file, the rest for an old one."""
    conn.execute("BEGIN IMMEDIATE")
    version = 0
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for script in MIGRATIONS[version:]:
            for statement in statements(script):
                conn.execute(statement)
        moved: list[tuple[str, str]] = []
        if 0 < version < 5:  # rows an older bizml_nb wrote without the record schema
            moved = set_aside_damaged(conn, COLUMNS, check_row, now_iso())
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
        if moved:
            warnings.warn(describe(path, moved), BizmlWarning, stacklevel=2)
    except BaseException as exc:
        conn.rollback()  # one transaction: a failed upgrade leaves the old schema whole
        text = str(exc)
        upgrading = 0 < version < SCHEMA_VERSION
        if upgrading and isinstance(exc, sqlite3.Error) and not waited(text):
            raise LedgerError(
                f"cannot upgrade the ledger {path} from schema {version} to "
                f"{SCHEMA_VERSION} ({text}); it was left as it was. {RECOVER_HINT}"
            ) from None
        raise


def check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Accept an existing ledger file: create or upgrade its schema, refuse a stranger's."""
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
                f"{path} is a SQLite file but not a bizml ledger; it was left untouched. "
                "Point BIZML_LEDGER at a new file."
            )
        create_schema(conn, path)
    elif version < SCHEMA_VERSION:  # a ledger of an older bizml_nb: upgrade it in place
        create_schema(conn, path)
    elif version > SCHEMA_VERSION:  # written concurrently since the header check
        raise LedgerError(newer(path, version))


def statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, in order (a trigger's body keeps its semicolons)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                yield pending.strip()
            pending = ""


def waited(text: str) -> bool:
    """Whether a SQLite error says another connection held the file too long."""
    return "locked" in text or "busy" in text


def newer(path: Path, version: int) -> str:
    """The refusal of a ledger written by a newer bizml_nb."""
    return (
        f"{path} was written by a newer bizml_nb (ledger schema {version}; this one reads up "
        f"to {SCHEMA_VERSION}); it was left untouched. Upgrade with `pip install -U bizml_nb`, "
        f"or: {RECOVER_HINT}"
    )
