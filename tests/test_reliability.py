"""Reliability: concurrent writers, killed writers, damaged ledgers, hostile names, no network.

The ledger tests here go through the real recording path
(``Projects().get(root).experiment(...)`` against a declared KPI) in separate
processes; test_ledger.py covers the Ledger class itself.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from datetime import UTC
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from bizml_nb.core.errors import RegistryError
from bizml_nb.core.ledger import SCHEMA_VERSION, Ledger, Run
from bizml_nb.core.registry import FILENAME, Registry
from bizml_nb.interfaces.cli import main
from bizml_nb.present.cards import RUN_MIME
from bizml_nb.present.views import compare
from bizml_nb.present.widgets import Dashboard
from bizml_nb.projects.project import Projects

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

HINT = "bizml ledger import"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def child_env() -> dict[str, str]:
    """The environment of a writer process: no ledger override, warnings are errors."""
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    for name in ("BIZML_LEDGER", "JPY_SESSION_NAME"):
        env.pop(name, None)
    return env


def integrity(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


@pytest.fixture
def kpi_project(tmp_path: Path) -> Path:
    """A project folder with bizml.toml declaring take_rate, and no ledger yet."""
    projects = Projects()
    project = projects.get(tmp_path)
    project.init("reliability")
    project.metric("take_rate", unit="ratio", direction="higher", baseline=0.1, value_per_unit=1e9)
    project.link("ndcg@10", "take_rate", elasticity=0.35, interval=(0.2, 0.5))
    projects.close()
    assert not project.ledger.path.exists()
    return tmp_path


# --------------------------------------------------------------------------- concurrency

WRITERS = 4
RUNS_PER_WRITER = 2500
CONCURRENT_WRITER = """
import sys, time
from pathlib import Path
from bizml_nb.projects.project import Projects
root, worker, count, go = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4])
project = Projects().get(root)
print("ready", flush=True)
while not go.exists():
    time.sleep(0.001)
for i in range(count):
    with project.experiment(f"w{worker}-{i}", target="take_rate", params={"w": worker}) as run:
        run.log({"ndcg@10": i / count})
project.ledger.close()
"""


@pytest.mark.slow
def test_four_processes_recording_10000_experiments_at_once_lose_nothing(kpi_project: Path) -> None:
    """4 processes each record 2,500 experiments into one new ledger at the same moment:
    all 10,000 runs are there, and no writer saw an error or a warning."""
    go = kpi_project / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                CONCURRENT_WRITER,
                str(kpi_project),
                str(worker),
                str(RUNS_PER_WRITER),
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=kpi_project,
        )
        for worker in range(WRITERS)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        go.touch()  # every writer has imported bizml_nb: start them together
        results = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert "locked" not in err
        assert err == ""
        assert proc.returncode == 0
    path = kpi_project / ".bizml" / "ledger.sqlite"
    assert integrity(path) == [("ok",)]
    ledger = Ledger(path)
    try:
        runs = ledger.runs()
    finally:
        ledger.close()
    assert len(runs) == WRITERS * RUNS_PER_WRITER
    assert len({run.id for run in runs}) == len(runs)
    for worker in range(WRITERS):
        mine = {run.name for run in runs if run.params == {"w": worker}}
        assert mine == {f"w{worker}-{i}" for i in range(RUNS_PER_WRITER)}
    assert all(run.status == "ok" and run.target == "take_rate" for run in runs)


# --------------------------------------------------------------------------- crashes

KILLS = 20
CRASH_WRITER = """
import random, sys
from pathlib import Path
from bizml_nb.projects.project import Projects
root, attempt = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(attempt)
project = Projects().get(root)
print("ready", flush=True)
i = 0
while True:
    notes = "n" * rng.randrange(0, 9000)  # 0 to 2 overflow pages: commits of varied size
    with project.experiment(f"a{attempt}-{i}", target="take_rate", hypothesis=notes) as run:
        run.log({"ndcg@10": rng.random()})
    print("recorded", run.id, flush=True)
    if i % 4 == 3:
        run.log(extra=float(i))  # after the run ended: an UPDATE of the recorded row
        print("updated", run.id, flush=True)
    i += 1
"""


def kill_after(proc: subprocess.Popen[str], runs: int, delay: float) -> list[str]:
    """Read the writer's lines until it has reported ``runs`` recorded runs, wait ``delay``
    seconds (it is writing the next one meanwhile), SIGKILL it; the lines read."""
    assert proc.stdout is not None
    lines = [proc.stdout.readline()]
    assert lines == ["ready\n"]
    while sum(line.startswith("recorded ") for line in lines) < runs:
        line = proc.stdout.readline()
        assert line, f"the writer stopped by itself: {proc.communicate()[1]}"
        lines.append(line)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    return lines


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_writer_killed_at_random_points_loses_no_recorded_run(kpi_project: Path) -> None:
    """A writer is killed with SIGKILL 20 times, each after a seeded number of recorded
    runs (0 to 8) and a seeded pause of up to 20 ms, so in the middle of writing the next
    run or of adding a metric. The writer reports each run once its commit has returned,
    so the test knows which runs every kill must leave: after each kill the file passes
    PRAGMA integrity_check, every run reported recorded is there with its content (and
    every metric reported added), and nothing half-written is."""
    path = kpi_project / ".bizml" / "ledger.sqlite"
    rng = random.Random(20261128)
    everything: set[str] = set()
    for attempt in range(KILLS):
        runs_before, delay = rng.randrange(0, 9), rng.uniform(0.0, 0.02)
        proc = subprocess.Popen(
            [sys.executable, "-c", CRASH_WRITER, str(kpi_project), str(attempt)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
            cwd=kpi_project,
        )
        try:
            read = kill_after(proc, runs_before, delay)
            assert proc.stdout is not None
            assert proc.stderr is not None
            out = proc.stdout.read()  # through the buffer readline() filled: every line
            err = proc.stderr.read()
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL, err
        lines = [*read, *out.splitlines(keepends=True)]
        said = [line.split() for line in lines if line.endswith("\n")]
        recorded = [words[1] for words in said if words[0] == "recorded"]
        updated = [words[1] for words in said if words[0] == "updated"]
        assert len(recorded) >= runs_before

        if not path.exists():  # killed before the first run of the first writer was written
            assert recorded == [] == sorted(everything)
            continue
        assert integrity(path) == [("ok",)], f"kill {attempt}"
        ledger = Ledger(path)
        try:
            runs = {run.id: run for run in ledger.runs()}
        finally:
            ledger.close()
        missing = [run_id for run_id in [*everything, *recorded] if run_id not in runs]
        assert missing == [], f"kill {attempt}: recorded runs lost"
        for run_id in updated:
            assert "extra" in runs[run_id].metrics, f"kill {attempt}: an added metric was lost"
        # this writer's runs are its first k, whole: k is what it reported, or one more
        # when the kill came between the commit and the report
        mine = [run for run in runs.values() if run.name.startswith(f"a{attempt}-")]
        assert len(mine) - len(recorded) in (0, 1), f"kill {attempt}"
        assert {run.name for run in mine} == {f"a{attempt}-{i}" for i in range(len(mine))}
        replay = random.Random(attempt)  # the writer's draws, to check each run's content
        for i, run in enumerate(sorted(mine, key=lambda r: int(r.name.split("-")[1]))):
            notes, ndcg = "n" * replay.randrange(0, 9000), replay.random()
            assert (run.status, run.hypothesis or "") == ("ok", notes)
            assert run.metrics["ndcg@10"] == ndcg
            assert set(run.metrics) <= {"ndcg@10", "extra"}
            assert "extra" not in run.metrics or run.metrics["extra"] == float(i)
        everything.update(recorded)


# --------------------------------------------------------------------------- damage

NOTEBOOK_CELLS = [
    "%load_ext bizml_nb",
    "%bizml init --project recovery --currency USD",
    "%bizml metric take_rate --unit ratio --direction higher --baseline 0.112 --target 0.12 "
    "--value-per-unit 2.5e9",
    "%bizml link ndcg@10 take_rate --elasticity 0.35 --interval 0.2 0.5",
    '%%bizml experiment "popularity baseline" --target take_rate --baseline\n'
    'bizml_nb.log({"ndcg@10": 0.40})',
    '%%bizml experiment "two-tower <v2> \\"q\\" ✓" --target take_rate --tag retrieval\n'
    'bizml_nb.log({"ndcg@10": 0.4125})',
    "%bizml log recall=0.5",  # a second card of the same run, with one more metric
    '%%bizml experiment "crashes" --target take_rate\n'
    "bizml_nb.log(auc=0.7)\n"
    'raise ValueError("boom")',
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Run]]:
    """A notebook of experiments executed in a real kernel: its folder and its runs."""
    import nbformat
    from nbclient import NotebookClient

    root = tmp_path_factory.mktemp("executed")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("BIZML_LEDGER", raising=False)
        patch.delenv("JPY_SESSION_NAME", raising=False)
        client = NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,  # the last cell fails on purpose: a failed run
            resources={"metadata": {"path": str(root)}},
        )
        client.execute()
    nbformat.write(nb, root / "experiments.ipynb")
    ledger = Ledger(root / ".bizml" / "ledger.sqlite")
    try:
        runs = ledger.runs()
    finally:
        ledger.close()  # the last connection: the WAL is folded into the file
    assert [run.name for run in runs] == [
        "popularity baseline",
        'two-tower <v2> "q" ✓',
        "crashes",
    ]
    assert runs[1].metrics == {"ndcg@10": 0.4125, "recall": 0.5}
    assert runs[2].status == "failed"
    assert not Path(f"{ledger.path}-wal").exists()
    return root, runs


def truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def random_bytes(path: Path) -> None:
    path.write_bytes(random.Random(11).randbytes(path.stat().st_size))


def newer_schema(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def damaged_page(path: Path) -> None:
    """Random bytes over the root page of the runs table; the header and schema stay valid."""
    conn = sqlite3.connect(path)
    try:
        (root,) = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'runs'").fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    finally:
        conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(random.Random(5).randbytes(size))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": truncate,
    "random bytes": random_bytes,
    "newer schema": newer_schema,
    "damaged page": damaged_page,
}
MAGIC_READS = ["runs", "show last", "compare", "tree", "dashboard", "baseline last"]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_ledger_is_explained_left_untouched_and_rebuilt_from_notebooks(
    executed: tuple[Path, list[Run]],
    ip: Any,
    project_dir: Path,
    capsys: pytest.CaptureFixture[str],
    damage: str,
) -> None:
    """Through the CLI and the magics, a damaged ledger gives a clear message naming
    `bizml ledger import` and stays byte-identical; doing what the message says (move it
    aside, import the executed notebook) gives back every run, equal to the original."""
    source, runs = executed
    for name in (FILENAME, "experiments.ipynb"):
        shutil.copy(source / name, project_dir / name)
    ledger = project_dir / ".bizml" / "ledger.sqlite"
    ledger.parent.mkdir()
    shutil.copy(source / ".bizml" / "ledger.sqlite", ledger)
    DAMAGE[damage](ledger)
    before = sha256(ledger)

    for argv in (
        ["ledger", "list"],
        ["ledger", "show", "last"],
        ["ledger", "import", "experiments.ipynb"],
    ):
        assert main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("bizml: error: "), err
        assert "left untouched" in err
        assert HINT in err
        assert "Traceback" not in err
    for line in MAGIC_READS:
        with pytest.raises(UsageError) as info:
            ip.run_line_magic("bizml", line)
        assert type(info.value) is UsageError
        assert HINT in str(info.value), line
    with capture_output():
        result = ip.run_cell(
            '%%bizml experiment "after the damage" --target take_rate\n'
            'bizml_nb.log({"ndcg@10": 0.5})\n'
        )
    assert type(result.error_in_exec) is UsageError
    assert HINT in str(result.error_in_exec)
    assert "'ndcg@10': 0.5" in str(result.error_in_exec)  # the metrics are not lost
    assert sha256(ledger) == before

    # what the message says: move it aside, rebuild from the executed notebook
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["ledger.sqlite"]
    ledger.rename(ledger.with_name("damaged.sqlite"))
    assert main(["ledger", "import", "experiments.ipynb"]) == 0
    assert (
        capsys.readouterr().out
        == "experiments.ipynb: 3 runs found, 3 imported, 0 already present\n"
    )
    rebuilt = Ledger(ledger)
    try:
        assert rebuilt.runs() == runs
    finally:
        rebuilt.close()
    frame = ip.run_line_magic("bizml", "runs")
    assert list(frame["name"]) == [run.name for run in runs]
    assert sha256(ledger.with_name("damaged.sqlite")) == before


# --------------------------------------------------------------------------- bizml.toml

VALID_TOML = """\
# a valid registry; each test below breaks one value of it
[project]
name = "recsys-home"
currency = "EUR"
format = 1
min_annual_value = 1e6
eng_cost_per_hour = 120

[metrics.take_rate]
unit = "ratio"
direction = "higher"
baseline = 0.112
target = 0.120
value_per_unit = 2.5e9
owner = "growth PM"
description = "quality plays / recommendations seen"
traffic_per_week = 1e6
test_weeks = 2

[metrics."p95 <latency> ms"]
unit = "ms"
direction = "lower"
baseline = 180.0
std = 40.0

[metrics.savings]
unit = "USD"
direction = "higher"

[[links]]
ml_metric = "ndcg@10"
business_metric = "take_rate"
kind = "linear"
elasticity = 0.35
interval = [0.20, 0.50]
ml_baseline = 0.41
source = "A/B tests"

[[links]]
ml_metric = "confusion"
business_metric = "savings"
kind = "confusion"
value_matrix = [[0.0, -1.0], [-2.0, 3.0]]
cases_per_year = 1e6
"""
# (section as messages name it, path in the document, key, what the key holds)
SLOTS: list[tuple[str, tuple[Any, ...], str, str]] = [
    ("project", ("project",), "name", "text"),
    ("project", ("project",), "currency", "text"),
    ("project", ("project",), "format", "count"),
    ("project", ("project",), "min_annual_value", "number"),
    ("project", ("project",), "eng_cost_per_hour", "number"),
    *(
        ("metrics.take_rate", ("metrics", "take_rate"), key, kind)
        for key, kind in [
            ("unit", "text"),
            ("direction", "text"),
            ("baseline", "number"),
            ("target", "number"),
            ("value_per_unit", "number"),
            ("owner", "text"),
            ("description", "text"),
            ("traffic_per_week", "number"),
            ("test_weeks", "number"),
        ]
    ),
    *(
        ('metrics."p95 <latency> ms"', ("metrics", "p95 <latency> ms"), key, kind)
        for key, kind in [("unit", "text"), ("direction", "text"), ("std", "number")]
    ),
    *(
        ("links[0]", ("links", 0), key, kind)
        for key, kind in [
            ("ml_metric", "text"),
            ("business_metric", "text"),
            ("kind", "text"),
            ("elasticity", "number"),
            ("interval", "pair"),
            ("ml_baseline", "number"),
            ("source", "text"),
        ]
    ),
    *(
        ("links[1]", ("links", 1), key, kind)
        for key, kind in [("value_matrix", "matrix"), ("cases_per_year", "number")]
    ),
]
SCALARS = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.datetimes(timezones=st.just(UTC) | st.none()),
    st.dates(),
)
ARRAYS = st.lists(SCALARS, max_size=4)


def wrong_value(kind: str) -> st.SearchStrategy[Any]:
    """Values a key of this kind must refuse: other types (and NaN/inf for numbers)."""
    tables = st.dictionaries(st.text(min_size=1, max_size=5), SCALARS, max_size=2)
    anything = st.one_of(SCALARS, ARRAYS, tables)
    if kind == "text":
        return anything.filter(lambda v: not isinstance(v, str))
    if kind == "number":
        return anything.filter(
            lambda v: (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or (isinstance(v, float) and not math.isfinite(v))
            )
        )
    if kind == "count":
        return anything.filter(lambda v: isinstance(v, bool) or not isinstance(v, int) or v < 1)
    if kind == "pair":  # two finite numbers would be a pair: anything else is wrong
        return anything.filter(
            lambda v: (
                not isinstance(v, list)
                or len(v) != 2
                or not all(
                    isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
                    for x in v
                )
            )
        )
    return anything  # matrix: these are never two rows of two numbers


def key_line(text: str, section: tuple[Any, ...], key: str) -> int:
    """The 1-based line of ``key`` inside the table at ``section`` of VALID_TOML."""
    headers = {
        ("project",): "[project]",
        ("metrics", "take_rate"): "[metrics.take_rate]",
        ("metrics", "p95 <latency> ms"): '[metrics."p95 <latency> ms"]',
    }
    lines = text.splitlines()
    if section[0] == "links":
        starts = [i for i, line in enumerate(lines) if line == "[[links]]"]
        start = starts[section[1]]
    else:
        start = lines.index(headers[section])
    for number in range(start + 1, len(lines)):
        if lines[number].startswith(f"{key} ="):
            return number + 1
    raise AssertionError(f"{key} not in {section}")


def test_the_valid_registry_is_valid(tmp_path: Path) -> None:
    """The file the mutation test starts from loads (so every refusal is the mutation's)."""
    path = tmp_path / FILENAME
    path.write_text(VALID_TOML, encoding="utf-8")
    registry = Registry.load(path)
    assert len(registry.metrics) == 3
    assert len(registry.links) == 2


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_wrongly_typed_value_is_refused_naming_its_key_and_line(
    tmp_path: Path, data: st.DataObject
) -> None:
    """Any one value of a valid bizml.toml replaced by a value of the wrong type (or NaN or
    infinity for a number) is refused with a message that starts with the file and the
    key's line, and names the key as section.key."""
    section, where, key, kind = data.draw(st.sampled_from(SLOTS), label="slot")
    value = data.draw(wrong_value(kind), label="value")
    doc = tomlkit.parse(VALID_TOML)
    table: Any = doc
    for part in where:
        table = table[part]
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update(value)
        value = inline
    table[key] = value
    text = tomlkit.dumps(doc)
    path = tmp_path / FILENAME
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        Registry.load(path)
    message = str(info.value)
    line = key_line(VALID_TOML, where, key)
    assert text.splitlines()[line - 1].startswith(f"{key} ="), "the edit moved the key"
    assert message.startswith(f"{path}, line {line}: "), message
    assert f"{section}.{key}" in message, message


# --------------------------------------------------------------------------- logged values


@pytest.mark.parametrize(
    "literal",
    [
        "10**400",
        "10**5000",
    ],
)
def test_an_integer_too_large_for_a_float_is_refused_with_a_message(
    recsys: Any, literal: str
) -> None:
    """A logged integer beyond float range is a UsageError naming the metric, like NaN,
    not an OverflowError passed off as the cell's own error."""
    with pytest.raises(UsageError, match="'big'"), capture_output():
        recsys.run_cell_magic(
            "bizml", "experiment huge --target take_rate", f"bizml_nb.log(big={literal})\n"
        )


# --------------------------------------------------------------------------- hostile names

STRANGE = [
    '<script>alert("x")</script>',
    'O\'Brien "quoted" & <b>bold</b>',
    "line one\nline two\r\nthree",
    "日本語 ✓ Ünïcödé 🚀",
    "</td></tr></table><img src=x onerror=alert(1)>",
    "&amp; &lt;not a tag&gt; &#60;b&#62;",
    "<!-- comment --> <![CDATA[x]]> <?pi?>",
]
# the markup bizml_nb writes itself (user text is escaped inside it, or in <code> spans)
CARD_TAGS = {"div", "b", "span", "code", "table", "tr", "th", "td"}
LEADERBOARD_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "code"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element | str] = []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Element]:
        return [
            e
            for e in self.iter()
            if e.tag == tag and (cls is None or cls in (e.attrs.get("class") or "").split())
        ]


class Tree(HTMLParser):
    """Parses HTML into Elements; fails on a mismatched end tag, a comment or a declaration."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.feed(markup)
        self.close()
        assert self.stack == [self.root], f"unclosed: {[e.tag for e in self.stack[1:]]}"

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "source"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        raise AssertionError(f"a comment in the markup: {data!r}")

    def handle_decl(self, decl: str) -> None:
        raise AssertionError(f"a declaration in the markup: {decl!r}")

    def unknown_decl(self, data: str) -> None:
        raise AssertionError(f"a declaration in the markup: {data!r}")

    def handle_pi(self, data: str) -> None:
        raise AssertionError(f"a processing instruction in the markup: {data!r}")

    @property
    def tags(self) -> set[str]:
        return {e.tag for e in self.root.iter()} - {"#root"}


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # CJK and emoji in the plot
@pytest.mark.parametrize("name", STRANGE)
def test_strange_names_round_trip_and_are_escaped_wherever_they_are_html(
    project_dir: Path, name: str
) -> None:
    """Experiment, KPI and metric names with quotes, unicode, newlines and markup come
    back unchanged from the ledger and the registry, and are text, never markup, in the
    card, the dashboard's leaderboard and card, and in views.compare."""
    kpi, ml, other = f"kpi {name}", f"ml {name}", f"{name} other"
    projects = Projects()
    project = projects.get(project_dir)
    project.init(name)
    project.metric(kpi, unit="ratio", direction="higher", baseline=0.1, value_per_unit=1e9)
    project.link(ml, kpi, elasticity=0.35, interval=(0.2, 0.5), source=name)
    with project.experiment(f"base {name}", target=kpi, baseline=True) as base:
        base.log({ml: 0.40, other: 1.0})
    with project.experiment(
        name, target=kpi, hypothesis=name, tags=[name], params={name: name}
    ) as better:
        better.log({ml: 0.45, other: 2.0})
    run = better.record
    assert run is not None
    assert base.record is not None

    # the ledger and the registry, read back by fresh readers
    fresh = Ledger(project.ledger.path)
    try:
        assert fresh.get(run.id) == run
        assert fresh.get(run.id).name == name
        assert set(fresh.get(run.id).metrics) == {ml, other}
    finally:
        fresh.close()
    registry = Registry.load(project.registry_path)
    assert registry.name == name
    assert list(registry.metrics) == [kpi]
    assert (registry.links[0].ml_metric, registry.links[0].source) == (ml, name)

    # the card: HTML, text, and the record it carries
    card = project.card(run.id)
    tree = Tree(card.html())
    assert tree.tags <= CARD_TAGS
    (title,) = tree.root.find_all("div", "bizml-card-title")
    assert title.find_all("b")[0].text == name
    assert title.find_all("span", "bizml-card-kpi")[0].text == kpi
    cells = dict(card.rows())
    for td in tree.root.find_all("td"):
        label = td.attrs["class"]
        assert label is not None
        assert td.text in cells.values(), label
    assert tree.root.find_all("td", "bizml-hypothesis")[0].text == name
    assert tree.root.find_all("td", "bizml-tags")[0].text == name
    assert tree.root.find_all("td", "bizml-params")[0].text == f"{name}={name}"
    ml_cell = tree.root.find_all("td", "bizml-ml-metrics")[0].text
    assert f"{ml} 0.45" in ml_cell
    assert f"{other} 2" in ml_cell
    impact = tree.root.find_all("td", "bizml-impact")[0].text
    assert ml in impact
    assert kpi in impact
    assert len(card.text().splitlines()) == 1 + len(card.rows())  # newlines cannot add lines
    record = json.loads(json.dumps(card._repr_mimebundle_()[RUN_MIME]))
    assert Run.from_record(record) == run

    # views.compare
    board = compare(project, kpi)
    assert list(board["name"]) == [name, f"base {name}"]
    assert list(board[ml]) == [0.45, 0.40]
    assert list(board[other]) == [2.0, 1.0]
    assert board[f"rank_by_{ml}"].iloc[0] == 1  # the column is named after the metric

    # the dashboard
    dashboard = Dashboard(project, kpi)
    assert list(dashboard.kpi.options) == [kpi]
    board_html = Tree(dashboard.leaderboard.value)
    assert board_html.tags <= LEADERBOARD_TAGS
    headers = [th.text for th in board_html.root.find_all("th")]
    assert f"rank by {ml}" in headers
    rows = [[td.text for td in tr.find_all("td")] for tr in board_html.root.find_all("tr")[1:]]
    assert [row[headers.index("run")] for row in rows] == [name, f"base {name}"]
    labels = [label for label, _run_id in dashboard.run.options]
    assert labels == [f"{name} ({run.id[-6:]})", f"base {name} ({base.record.id[-6:]})"]
    shown = Tree(dashboard.card.value)
    assert shown.tags <= CARD_TAGS
    assert shown.root.find_all("div", "bizml-card-title")[0].find_all("b")[0].text == name
    dashboard.run.value = base.record.id
    shown = Tree(dashboard.card.value)
    assert shown.root.find_all("b")[0].text == f"base {name}"
    assert Tree(dashboard.message.value).tags <= {"p", "code"}
    projects.close()


# --------------------------------------------------------------------------- no network


def refused_by_the_guard(error: BaseException) -> None:
    """``error`` is the guard's, raised by its check before any real socket call: the last
    frame is conftest.py's ``_check``, and no frame resolved a name or connected."""
    assert type(error).__name__ == "NetworkBlockedError"
    frames = traceback.extract_tb(error.__traceback__)
    assert (Path(frames[-1].filename).name, frames[-1].name) == ("conftest.py", "_check")
    reached = {frame.name for frame in frames}
    assert not reached & {"getaddrinfo", "gethostbyname", "_original_connect"}, reached


def test_outbound_connections_are_refused_at_once() -> None:
    """The suite's network guard (conftest.py) refuses any connection off this machine
    at once: its error comes from its own check, before a DNS lookup or a TCP handshake
    could start (no timeout is waited for)."""
    attempts: list[Callable[[], object]] = [
        lambda: socket.create_connection(("93.184.216.34", 80), timeout=10),
        lambda: socket.create_connection(("example.com", 443), timeout=10),
        lambda: socket.create_connection(("2606:2800:220:1:248:1893:25c8:1946", 80), timeout=10),
    ]
    for attempt in attempts:
        with pytest.raises(ConnectionRefusedError, match="network access is blocked") as info:
            attempt()
        refused_by_the_guard(info.value)
    for family, address in [
        (socket.AF_INET, ("93.184.216.34", 80)),
        (socket.AF_INET6, ("::ffff:93.184.216.34", 80, 0, 0)),
    ]:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            with pytest.raises(ConnectionRefusedError, match="network access is blocked") as info:
                sock.connect(address)
            refused_by_the_guard(info.value)
            with pytest.raises(ConnectionRefusedError, match="network access is blocked") as info:
                sock.connect_ex(address)
            refused_by_the_guard(info.value)
    with pytest.raises(urllib.error.URLError) as url_info:
        urllib.request.urlopen("http://93.184.216.34/", timeout=10)
    refused_by_the_guard(url_info.value.reason)  # type: ignore[arg-type]


def test_loopback_and_unix_sockets_still_connect(tmp_path: Path) -> None:
    """Loopback TCP (what ZMQ kernels and a browser test use) and Unix sockets still work."""
    for host in ("127.0.0.1", "localhost"):
        with socket.create_server(("127.0.0.1", 0)) as server:
            port = server.getsockname()[1]
            with socket.create_connection((host, port), timeout=5) as client:
                peer, _ = server.accept()
                with peer:
                    client.sendall(b"ping")
                    assert peer.recv(4) == b"ping"
    if socket.has_ipv6:
        try:
            server6 = socket.create_server(("::1", 0), family=socket.AF_INET6)
        except OSError:
            pass  # no IPv6 loopback here
        else:
            with server6, socket.socket(socket.AF_INET6) as client6:
                assert client6.connect_ex(("::1", server6.getsockname()[1])) == 0
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX) as unix_server:
        unix_server.bind(path)
        unix_server.listen()
        with socket.socket(socket.AF_UNIX) as unix_client:
            unix_client.connect(path)
