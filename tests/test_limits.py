"""Numbers whose arithmetic would overflow, or mean nothing, are refused before anything is stored.

Each entry point is tried: bizml.toml as written by hand, ``bizml_nb.metric(...)``
and ``bizml_nb.link(...)``, ``%bizml init``, ``%bizml metric`` and ``%bizml link``.
Every refusal names the key and the range, and leaves bizml.toml byte for byte as
it was. Values at the very ends of the ranges are accepted, and everything a card
computes from them stays a finite number.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from IPython.core.error import UsageError

import bizml_nb
from bizml_nb.core.errors import RegistryError
from bizml_nb.core.limits import TOO_LARGE
from bizml_nb.core.registry import FILENAME, BusinessMetric, Link, Registry, init_file
from bizml_nb.impact.engine import estimate

if TYPE_CHECKING:
    from pathlib import Path

TRAFFIC = "must lie between 1 and 1e15: units an A/B test can randomise in a week"
WEEKS = "must lie between 0.01 and 520: the A/B test's length in weeks, from two hours to ten years"
CASES = "must lie between 1 and 1e15: cases the model decides on in a year"
NEAR_ZERO = (
    "is too close to 0: changes are shown relative to the baseline, so give 0 or a size of "
    "at least 1e-18"
)
YEARLY = (
    "holds up to 1e12 a case, which times cases_per_year (1e9) is 1e21 a year, above 1e18; "
    "check that the matrix holds the value of one case and cases_per_year the cases of one year"
)
DIGITS_400 = "1" + "0" * 399  # a whole number of 400 digits

HEADER = '[project]\nname = "p"\ncurrency = "USD"\n\n'


def _registry_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / FILENAME
    path.write_text(HEADER + text, encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        Registry.load(path)
    return str(info.value)


# --------------------------------------------------------------------------- bizml.toml


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            f'[metrics.m]\nunit = "USD"\ndirection = "higher"\nvalue_per_unit = {DIGITS_400}\n',
            f"line 8: metrics.m.value_per_unit = a 400-digit number {TOO_LARGE}",
        ),
        (
            '[metrics.m]\nunit = "USD"\ndirection = "higher"\nvalue_per_unit = 1e300\n',
            f"line 8: metrics.m.value_per_unit = 1e+300 {TOO_LARGE}",
        ),
        (
            '[metrics.m]\nunit = "ratio"\ndirection = "higher"\nbaseline = 0.1\n'
            "traffic_per_week = 1e-300\n",
            f"line 9: metrics.m.traffic_per_week = 1e-300 {TRAFFIC}",
        ),
        (
            '[metrics.m]\nunit = "ratio"\ndirection = "higher"\ntest_weeks = 1e300\n',
            f"line 8: metrics.m.test_weeks = 1e+300 {WEEKS}",
        ),
        (
            '[metrics.m]\nunit = "count"\ndirection = "higher"\nbaseline = 1e-300\n',
            f"line 8: metrics.m.baseline = 1e-300 {NEAR_ZERO}",
        ),
        (
            '[metrics.m]\nunit = "count"\ndirection = "higher"\nstd = 1e300\n',
            f"line 8: metrics.m.std = 1e+300 {TOO_LARGE}",
        ),
        (
            '[metrics.loss]\nunit = "USD"\ndirection = "higher"\n\n[[links]]\n'
            'ml_metric = "confusion"\nbusiness_metric = "loss"\nkind = "confusion"\n'
            "value_matrix = [[0, -5], [-500, 1e300]]\ncases_per_year = 1e6\n",
            f"line 13: links[0].value_matrix = [-500, 1e+300] {TOO_LARGE}",
        ),
        (
            '[metrics.loss]\nunit = "USD"\ndirection = "higher"\n\n[[links]]\n'
            'ml_metric = "confusion"\nbusiness_metric = "loss"\nkind = "confusion"\n'
            "value_matrix = [[0, -5], [-500, 1e12]]\ncases_per_year = 1e9\n",
            "line 13: links[0].value_matrix = [[0, -5], [-500, 1000000000000.0]] "
            f"{YEARLY} (link confusion -> loss)",
        ),
        (
            '[metrics.loss]\nunit = "USD"\ndirection = "higher"\n\n[[links]]\n'
            'ml_metric = "confusion"\nbusiness_metric = "loss"\nkind = "confusion"\n'
            "value_matrix = [[0, -5], [-500, 100]]\ncases_per_year = 1e-300\n",
            f"line 14: links[0].cases_per_year = 1e-300 {CASES} (link confusion -> loss)",
        ),
        (
            '[metrics.m]\nunit = "count"\ndirection = "higher"\n\n[[links]]\n'
            'ml_metric = "auc"\nbusiness_metric = "m"\nelasticity = 1e300\n',
            f"line 12: links[0].elasticity = 1e+300 {TOO_LARGE}",
        ),
        (
            '[metrics.m]\nunit = "count"\ndirection = "higher"\n\n[[links]]\n'
            f'ml_metric = "auc"\nbusiness_metric = "m"\nelasticity = 1\n'
            f"interval = [0, {DIGITS_400}]\n",
            f"line 13: links[0].interval = [0, a 400-digit number] {TOO_LARGE}",
        ),
    ],
    ids=[
        "value_per_unit-400-digits",
        "value_per_unit-1e300",
        "traffic_per_week-1e-300",
        "test_weeks-1e300",
        "baseline-1e-300",
        "std-1e300",
        "value_matrix-1e300",
        "value_matrix-times-cases",
        "cases_per_year-1e-300",
        "elasticity-1e300",
        "interval-400-digits",
    ],
)
def test_a_file_with_an_out_of_range_number_is_refused_naming_line_and_key(
    tmp_path: Path, body: str, message: str
) -> None:
    """A hand-written bizml.toml with such a number gives one RegistryError: file, line,
    key, value and the range."""
    assert _registry_error(tmp_path, body) == f"{tmp_path / FILENAME}, {message}"


def test_a_project_setting_too_large_is_refused(tmp_path: Path) -> None:
    """min_annual_value and the costs per hour are money: at most 1e18 in size."""
    message = _registry_error(tmp_path, "min_annual_value = 1e300\n")
    assert (
        message == f"{tmp_path / FILENAME}, line 5: project.min_annual_value = 1e+300 {TOO_LARGE}"
    )


def test_a_whole_number_of_thousands_of_digits_is_refused_plainly(tmp_path: Path) -> None:
    """A number longer than Python reads (over 4,300 digits) is a RegistryError too."""
    message = _registry_error(
        tmp_path, '[metrics.m]\nunit = "USD"\ndirection = "higher"\nvalue_per_unit = ' + "9" * 5000
    )
    assert message.startswith(f"{tmp_path / FILENAME} cannot be read: Exceeds the limit")
    assert message.endswith("numbers in bizml.toml must lie between -1e18 and 1e18")


# --------------------------------------------------------------------------- Python API


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value_per_unit": int(DIGITS_400)}, f"value_per_unit {TOO_LARGE}"),
        ({"value_per_unit": -1e300, "direction": "lower"}, f"value_per_unit {TOO_LARGE}"),
        ({"traffic_per_week": 1e-300}, f"traffic_per_week {TRAFFIC}"),
        ({"traffic_per_week": 0}, f"traffic_per_week {TRAFFIC}"),
        ({"test_weeks": 1e-300}, f"test_weeks {WEEKS}"),
        ({"baseline": 1e-300}, f"baseline {NEAR_ZERO}"),
        ({"baseline": 0.1, "target": 1e300}, f"target {TOO_LARGE}"),
    ],
    ids=[
        "vpu-400-digits",
        "vpu-minus-1e300",
        "traffic-1e-300",
        "traffic-0",
        "weeks-1e-300",
        "baseline-1e-300",
        "target-1e300",
    ],
)
def test_bizml_metric_refuses_and_stores_nothing(
    project_dir: Path, changes: dict[str, Any], message: str
) -> None:
    """``bizml_nb.metric(...)`` with such a value raises before bizml.toml is touched."""
    bizml_nb.init("p")
    before = (project_dir / FILENAME).read_bytes()
    fields: dict[str, Any] = {"unit": "ratio", "direction": "higher", **changes}
    with pytest.raises(RegistryError) as info:
        bizml_nb.metric("m", **fields)
    assert str(info.value) == f"metric 'm': {message}"
    assert (project_dir / FILENAME).read_bytes() == before


@pytest.mark.parametrize(
    ("matrix", "cases", "message"),
    [
        ([[0, -5], [-500, 1e300]], 1e6, f"link confusion -> loss: value_matrix {TOO_LARGE}"),
        ([[0, -5], [-500, int(DIGITS_400)]], 1e6, f"value_matrix {TOO_LARGE}"),
        ([[0, -5], [-500, 1e12]], 1e9, f"link confusion -> loss: value_matrix {YEARLY}"),
        ([[0, -5], [-500, 100]], 1e-300, f"link confusion -> loss: cases_per_year {CASES}"),
    ],
    ids=["matrix-1e300", "matrix-400-digits", "matrix-times-cases", "cases-1e-300"],
)
def test_bizml_link_confusion_refuses_and_stores_nothing(
    project_dir: Path, matrix: list[list[float]], cases: float, message: str
) -> None:
    """``bizml_nb.link(..., value_matrix=..., cases_per_year=...)`` out of range writes nothing."""
    bizml_nb.init("p")
    bizml_nb.metric("loss", unit="USD", direction="higher")
    before = (project_dir / FILENAME).read_bytes()
    with pytest.raises(RegistryError) as info:
        bizml_nb.link("confusion", "loss", value_matrix=matrix, cases_per_year=cases)
    assert str(info.value) == message
    assert (project_dir / FILENAME).read_bytes() == before


# --------------------------------------------------------------------------- the magics


def _usage_error(ip: Any, line: str) -> str:
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", line)
    return str(info.value)


def test_percent_bizml_metric_link_and_init_refuse_and_store_nothing(
    ip: Any, project_dir: Path
) -> None:
    """The same refusals through the magics, each a UsageError naming the key by its flag."""
    ip.run_line_magic("bizml", "init --project p")
    ip.run_line_magic("bizml", "metric loss --unit USD --direction higher")
    path = project_dir / FILENAME
    before = path.read_bytes()
    assert _usage_error(
        ip, "metric m --unit ratio --direction higher --baseline 0.1 --traffic-per-week 1e-300"
    ) == (f"metric 'm': --traffic-per-week {TRAFFIC}")
    assert _usage_error(ip, "metric m --unit USD --direction higher --value-per-unit 1e300") == (
        f"metric 'm': --value-per-unit {TOO_LARGE}"
    )
    assert _usage_error(
        ip, "link confusion loss --value-matrix 0 -5 -500 1e300 --cases-per-year 1e6"
    ) == (f"link confusion -> loss: --value-matrix {TOO_LARGE}")
    assert _usage_error(
        ip, "link confusion loss --value-matrix 0 -5 -500 1e12 --cases-per-year 1e9"
    ) == (
        "link confusion -> loss: --value-matrix "
        + YEARLY.replace("cases_per_year", "--cases-per-year")
    )
    message = _usage_error(ip, "init --min-annual-value 1e300")
    assert message == f"{path}, line 5: project.min_annual_value = 1e+300 {TOO_LARGE}"
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- the ends of the ranges


def test_values_at_the_ends_of_the_ranges_are_accepted(tmp_path: Path) -> None:
    """The bounds themselves are valid, from Python and read back from the file."""
    path = tmp_path / FILENAME
    init_file(path, project="p", settings={"min_annual_value": 1e18})
    project = bizml_nb.project(tmp_path)
    edges: list[dict[str, Any]] = [
        {"baseline": 1e-18, "value_per_unit": 1e18, "traffic_per_week": 1, "test_weeks": 0.01},
        {"baseline": -1e18, "target": 1e18, "traffic_per_week": 1e15, "test_weeks": 520},
        {"baseline": 0, "std": 1e18, "value_per_unit": 1e-300},
    ]
    for i, fields in enumerate(edges):
        project.metric(f"m{i}", unit="count", direction="higher", **fields)
    project.metric("loss", unit="USD", direction="higher")
    project.link("confusion", "loss", value_matrix=[[0, -1e9], [-1e9, 1e9]], cases_per_year=1e9)
    project.link("auc", "m0", elasticity=1e18, interval=(-1e18, 1e18))
    registry = Registry.load(path)
    for i, fields in enumerate(edges):
        metric = registry.metric(f"m{i}")
        assert {key: getattr(metric, key) for key in fields} == fields


def _sized(low: float, high: float) -> st.SearchStrategy[float]:
    """Numbers whose size lies in [low, high], of either sign, spread over the exponents."""
    exponent = st.floats(math.log10(low), math.log10(high))
    return st.tuples(exponent, st.sampled_from([-1.0, 1.0])).map(
        lambda pair: min(max(10 ** pair[0], low), high) * pair[1]
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    baseline=_sized(1e-18, 1e18),
    value_per_unit=_sized(1e-18, 1e18).map(abs),
    traffic=st.floats(1, 1e15),
    weeks=st.floats(0.01, 520),
    std=_sized(1e-18, 1e18).map(abs),
    elasticity=_sized(1e-18, 1e18),
    ml=st.tuples(_sized(1e-18, 1e15), _sized(1e-18, 1e15)),
)
def test_a_card_from_numbers_within_the_ranges_is_finite(
    *,
    baseline: float,
    value_per_unit: float,
    traffic: float,
    weeks: float,
    std: float,
    elasticity: float,
    ml: tuple[float, float],
) -> None:
    """Any KPI and link within the ranges, and ML values a ledger stores (up to 1e15),
    give a change, relative change, progress, yearly value and MDE that are all finite."""
    for kpi in (
        BusinessMetric(
            "k",
            "count",
            "higher",
            baseline=baseline,
            value_per_unit=value_per_unit,
            traffic_per_week=traffic,
            test_weeks=weeks,
            std=std,
        ),
        BusinessMetric(
            "k",
            "ratio",
            "higher",
            baseline=min(abs(baseline), 0.5) or 0.5,
            value_per_unit=value_per_unit,
            traffic_per_week=traffic,
            test_weeks=weeks,
        ),
    ):
        link = Link("auc", "k", params={"elasticity": elasticity})
        registry = Registry(metrics={"k": kpi}, links=(link,))
        impact = estimate(registry, {"auc": ml[0]}, {"auc": ml[1]}, target="k")
        assert impact.business_delta is not None
        assert impact.value_per_year is not None
        assert impact.relative_delta is not None
        assert impact.verdict is not None
        numbers = [
            *impact.business_delta.to_list(),
            *impact.value_per_year.to_list(),
            *impact.relative_delta.to_list(),
            impact.verdict.mde,
        ]
        assert all(isinstance(x, float) and math.isfinite(x) for x in numbers), numbers


@settings(max_examples=60, deadline=None)
@given(
    matrix=st.lists(_sized(1e-18, 1e18), min_size=4, max_size=4),
    cases=st.floats(1, 1e15),
    counts=st.lists(st.integers(0, 10**12), min_size=8, max_size=8).filter(
        lambda c: sum(c[:4]) > 0 and sum(c[4:]) > 0
    ),
)
def test_a_confusion_link_within_the_ranges_gives_a_finite_value(
    matrix: list[float], cases: float, counts: list[int]
) -> None:
    """A value matrix and cases_per_year the registry accepts give a finite yearly value."""
    largest = max(abs(v) for v in matrix)
    if largest * cases > 1e18:
        matrix = [v / (largest * cases) * 0.999e18 for v in matrix]  # at the bound
    loss = BusinessMetric("loss", "USD", "higher", value_per_unit=1.0)
    link = Link(
        "confusion",
        "loss",
        "confusion",
        {"value_matrix": ((matrix[0], matrix[1]), (matrix[2], matrix[3])), "cases_per_year": cases},
    )
    registry = Registry(metrics={"loss": loss}, links=(link,))
    names = ("tn", "fp", "fn", "tp")
    run = dict(zip(names, map(float, counts[:4]), strict=True))
    base = dict(zip(names, map(float, counts[4:]), strict=True))
    impact = estimate(registry, run, base, target="loss")
    assert impact.value_per_year is not None
    assert all(math.isfinite(x) for x in impact.value_per_year.to_list())
