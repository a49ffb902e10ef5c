"""The KPI's fields are declared once (BusinessMetric's field metadata); every list follows."""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import bizml_nb
from bizml_nb.core.errors import RegistryError
from bizml_nb.core.registry import (
    FILENAME,
    METRIC_KEYS,
    BusinessMetric,
    Registry,
    init_file,
    upsert_metric,
)
from bizml_nb.core.registry.fields import FieldSpec, flag, specs
from bizml_nb.core.registry.links import LINK_ARGUMENTS
from bizml_nb.interfaces import api
from bizml_nb.interfaces.magics import PARSERS
from bizml_nb.projects.project import Project

if TYPE_CHECKING:
    from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]

EXPECTED = (
    "unit",
    "direction",
    "baseline",
    "target",
    "value_per_unit",
    "owner",
    "description",
    "traffic_per_week",
    "test_weeks",
    "std",
)


def test_the_declared_fields_are_the_kpi_keys_in_canonical_order() -> None:
    assert tuple(specs(BusinessMetric)) == EXPECTED
    assert METRIC_KEYS == EXPECTED
    assert all(isinstance(spec, FieldSpec) and spec.help for spec in specs(BusinessMetric).values())
    required = [key for key, spec in specs(BusinessMetric).items() if spec.required]
    assert required == ["unit", "direction"]
    # every declared field is a field of the dataclass, with no default exactly when required
    fields = {f.name: f for f in dataclasses.fields(BusinessMetric)}
    for key, spec in specs(BusinessMetric).items():
        has_default = fields[key].default is not dataclasses.MISSING
        assert has_default is not spec.required, key


@pytest.mark.parametrize("function", [api.metric, bizml_nb.metric, Project.metric])
def test_the_python_keywords_are_the_declared_fields(function: Any) -> None:
    parameters = inspect.signature(function).parameters
    keywords = [p for p in parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert tuple(p.name for p in keywords) == METRIC_KEYS
    for p in keywords:
        if specs(BusinessMetric)[p.name].required:
            assert p.default is inspect.Parameter.empty, p.name
        else:
            assert p.default is None, p.name


def test_the_magic_flags_are_the_declared_fields() -> None:
    parser = PARSERS["metric"]()
    options = {a.dest: a for a in parser._actions if a.option_strings and a.dest != "help"}
    assert list(options) == list(METRIC_KEYS)
    for key, action in options.items():
        assert action.option_strings == [flag(key)]
        assert action.required is specs(BusinessMetric)[key].required
        assert action.help
    assert options["direction"].choices == ("higher", "lower")
    ns = parser.parse_args(["m", "--unit", "ratio", "--direction", "lower", "--std", "2.5"])
    assert (ns.name, ns.unit, ns.direction, ns.std, ns.baseline) == (
        "m",
        "ratio",
        "lower",
        2.5,
        None,
    )


LINK_EXPECTED = (
    "elasticity",
    "interval",
    "source",
    "ml_baseline",
    "fit",
    "from_observed",
    "value_matrix",
    "cases_per_year",
    "expr",
    "amount_column",
)


@pytest.mark.parametrize("function", [api.link, bizml_nb.link, Project.link])
def test_the_link_keywords_are_the_declared_link_arguments(function: Any) -> None:
    parameters = inspect.signature(function).parameters
    keywords = [p for p in parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    assert tuple(p.name for p in keywords) == tuple(LINK_ARGUMENTS) == LINK_EXPECTED
    assert all(p.default is None for p in keywords)
    positional = [p.name for p in parameters.values() if p.kind is not p.KEYWORD_ONLY]
    assert positional[-2:] == ["ml_metric", "business_metric"]


def test_the_link_flags_are_the_declared_link_arguments() -> None:
    parser = PARSERS["link"]()
    options = {a.dest: a for a in parser._actions if a.option_strings and a.dest != "help"}
    assert tuple(options) == LINK_EXPECTED
    assert [options[k].option_strings for k in options] == [[flag(k)] for k in LINK_EXPECTED]
    assert (options["interval"].nargs, options["interval"].metavar) == (2, ("LOW", "HIGH"))
    assert options["value_matrix"].nargs == 4
    assert options["fit"].metavar == "HISTORY.csv"
    ns = parser.parse_args(["ndcg", "kpi", "--interval", "0.2", "0.5", "--ml-baseline", "-1e-2"])
    assert (ns.interval, ns.ml_baseline, ns.elasticity) == ([0.2, 0.5], -0.01, None)
    assert "90% interval" in parser.format_help()


def test_every_declared_field_round_trips_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / FILENAME
    init_file(path, project="p")
    metric = BusinessMetric(
        "m",
        unit="count",
        direction="higher",
        baseline=10.0,
        target=12.0,
        value_per_unit=3.0,
        owner="PM",
        description="orders",
        traffic_per_week=5000.0,
        test_weeks=3.0,
        std=1.5,
    )
    assert all(getattr(metric, key) is not None for key in METRIC_KEYS)
    upsert_metric(path, metric)
    assert Registry.load(path).metric("m") == metric
    text = path.read_text(encoding="utf-8")
    assert text.index("unit =") < text.index("direction =") < text.index("std =")


def test_the_reader_refuses_a_key_that_is_not_declared() -> None:
    with pytest.raises(RegistryError) as info:
        Registry.from_text('[metrics.m]\nunit = "count"\ndirection = "higher"\nstdev = 1\n')
    assert str(info.value) == (
        "bizml.toml, line 4: metrics.m.stdev = 1 is not a known key (did you mean 'std'?); "
        "known: " + ", ".join(repr(k) for k in sorted(METRIC_KEYS))
    )


def test_the_reader_checks_a_choice_from_the_declared_choices() -> None:
    with pytest.raises(RegistryError) as info:
        Registry.from_text('[metrics.m]\nunit = "count"\ndirection = "up"\n')
    assert str(info.value) == (
        "bizml.toml, line 3: metrics.m.direction = 'up' must be 'higher' or 'lower'"
    )


def _sync_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "sync_formats_doc", ROOT / "tools" / "sync_formats_doc.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_formats_table_is_generated_from_the_field_metadata() -> None:
    """Fails when docs/formats.md differs; fix with `python tools/sync_formats_doc.py`."""
    doc = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    assert _sync_tool().synced(doc) == doc, "run `python tools/sync_formats_doc.py`"
    for key, spec in specs(BusinessMetric).items():
        assert f"| `{key}` |" in doc
        assert f"`{flag(key)}` | {spec.help} |" in doc


def test_the_sync_tool_rewrites_a_stale_table() -> None:
    doc = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    stale = doc.replace("| `std` |", "| `stdev` |")
    assert stale != doc
    assert _sync_tool().synced(stale) == doc
