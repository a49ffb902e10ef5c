"""The KPI registry: reading, validating and editing bizml.toml."""

from __future__ import annotations

import math
import os
import stat
import textwrap
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bizml_nb.core._io import WriteError
from bizml_nb.core.errors import RegistryError
from bizml_nb.core.registry import (
    FILENAME,
    BusinessMetric,
    Link,
    Registry,
    find_root,
    init_file,
    upsert_link,
    upsert_metric,
)
from bizml_nb.projects.project import Project

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# Line numbers below are 1-based lines of this text (the first line is "# The KPIs ...").
VALID = """\
# The KPIs of the home-page recommender.
[project]
name = "recsys-home"
currency = "EUR"
format = 1

[metrics.take_rate]
unit = "ratio"
direction = "higher"
baseline = 0.112
target = 0.120
value_per_unit = 2.5e9
owner = "growth PM"
description = "quality plays / recommendations seen"

[metrics.churn]
unit = "ratio"
direction = "lower"
baseline = 0.05
target = 0.04
value_per_unit = -8e8

[[links]]
ml_metric = "ndcg@10"
business_metric = "take_rate"
kind = "linear"
elasticity = 0.35
interval = [0.20, 0.50]
ml_baseline = 0.41
source = "A/B tests 2026 Q1-Q3"

[[links]]
ml_metric = "auc"
business_metric = "churn"
elasticity = -0.1
"""

# A small valid file with comments everywhere, for the editing tests.
COMMENTED = """\
# Owned by the growth team; ask before changing value_per_unit.
[project]
name = "recsys-home"  # the repo name
currency = "USD"

# The north-star KPI.
[metrics.take_rate]
direction = "higher"  # more plays is better
unit = "ratio"
baseline = 0.112
value_per_unit = 2.5e9  # finance, 2026 plan
"""

TAKE_RATE = BusinessMetric("take_rate", "ratio", "higher")


def _write(folder: Path, text: str) -> Path:
    path = folder / FILENAME
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _load_error(folder: Path, text: str) -> str:
    path = _write(folder, text)
    with pytest.raises(RegistryError) as info:
        Registry.load(path)
    return str(info.value)


def _assert_located(message: str, path: Path, key: str, line: int) -> None:
    assert message.startswith(f"{path}, line {line}: "), message
    assert key in message, message


LOCK = f".{FILENAME}.lock"  # the edit lock's file stays beside bizml.toml once created


def _temp_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in (FILENAME, LOCK))


# --------------------------------------------------------------------------- loading


def test_load_reads_project_section(tmp_path: Path) -> None:
    """[project] name and currency are read; format 1 is accepted."""
    reg = Registry.load(_write(tmp_path, VALID))
    assert reg.name == "recsys-home"
    assert reg.currency == "EUR"
    assert reg.path == tmp_path / FILENAME


def test_project_defaults_when_section_is_absent(tmp_path: Path) -> None:
    """Without [project] the name is None and the currency is USD."""
    reg = Registry.load(_write(tmp_path, '[metrics.m]\nunit = "count"\ndirection = "lower"\n'))
    assert reg.name is None
    assert reg.currency == "USD"
    assert list(reg.metrics) == ["m"]


def test_load_reads_every_metric_key(tmp_path: Path) -> None:
    """A [metrics.NAME] table with all keys becomes an equal BusinessMetric."""
    reg = Registry.load(_write(tmp_path, VALID))
    assert reg.metric("take_rate") == BusinessMetric(
        name="take_rate",
        unit="ratio",
        direction="higher",
        baseline=0.112,
        target=0.12,
        value_per_unit=2_500_000_000.0,
        owner="growth PM",
        description="quality plays / recommendations seen",
    )
    churn = reg.metric("churn")
    assert (churn.direction, churn.value_per_unit, churn.better) == ("lower", -800_000_000.0, -1)
    assert reg.metric("take_rate").better == 1


def test_metrics_keep_file_order(tmp_path: Path) -> None:
    """Metrics are listed in the order the file declares them."""
    assert list(Registry.load(_write(tmp_path, VALID)).metrics) == ["take_rate", "churn"]


def test_load_reads_linear_link_with_all_parameters(tmp_path: Path) -> None:
    """A [[links]] table gives elasticity, interval, ml_baseline and source."""
    link = Registry.load(_write(tmp_path, VALID)).links[0]
    assert link == Link(
        "ndcg@10",
        "take_rate",
        "linear",
        {"elasticity": 0.35, "interval": (0.2, 0.5), "ml_baseline": 0.41},
        "A/B tests 2026 Q1-Q3",
    )
    assert link.elasticity == 0.35
    assert link.interval == (0.2, 0.5)
    assert link.label == "ndcg@10 -> take_rate"


def test_link_kind_defaults_to_linear(tmp_path: Path) -> None:
    """A link without kind is linear; without interval its interval is the point elasticity."""
    link = Registry.load(_write(tmp_path, VALID)).links[1]
    assert link.kind == "linear"
    assert link.interval == (-0.1, -0.1)
    assert link.source is None
    assert dict(link.params) == {"elasticity": -0.1}


def test_links_to_filters_in_file_order(tmp_path: Path) -> None:
    """links_to returns the links of one KPI only, in file order."""
    text = (
        VALID
        + '\n[[links]]\nml_metric = "recall@50"\nbusiness_metric = "take_rate"\nelasticity = 0.1\n'
    )
    reg = Registry.load(_write(tmp_path, text))
    assert [link.ml_metric for link in reg.links_to("take_rate")] == ["ndcg@10", "recall@50"]
    assert [link.ml_metric for link in reg.links_to("churn")] == ["auc"]
    assert reg.links_to("nothing") == []


def test_integers_are_read_as_floats(tmp_path: Path) -> None:
    """Whole numbers in the file are accepted where numbers are expected."""
    text = '[metrics.tickets]\nunit = "count"\ndirection = "lower"\nbaseline = 1200\ntarget = 1000\nvalue_per_unit = -35\n'
    metric = Registry.load(_write(tmp_path, text)).metric("tickets")
    assert (metric.baseline, metric.target, metric.value_per_unit) == (1200.0, 1000.0, -35.0)
    assert isinstance(metric.baseline, float)


def test_quoted_metric_names_are_read(tmp_path: Path) -> None:
    """Quoted metric names with unicode, spaces, dots and quotes are read as written."""
    text = """\
    [metrics."café conversion"]
    unit = "ratio"
    direction = "higher"

    [metrics.'say "hi" rate']
    unit = "ratio"
    direction = "higher"

    [metrics."v1.2 \\"gold\\" users"]
    unit = "count"
    direction = "higher"

    [[links]]
    ml_metric = "f1 score"
    business_metric = "café conversion"
    elasticity = 1.5
    """
    reg = Registry.load(_write(tmp_path, text))
    assert list(reg.metrics) == ["café conversion", 'say "hi" rate', 'v1.2 "gold" users']
    assert reg.links[0].business_metric == "café conversion"


def test_quoted_metric_names_round_trip_through_upsert(tmp_path: Path) -> None:
    """Names needing quotes are written so that reading them back gives the same names."""
    path = tmp_path / FILENAME
    init_file(path, project="p")
    names = ["café conversion", 'say "hi" rate', "it's", "a.b", "日本語 KPI", "back\\slash"]
    for name in names:
        upsert_metric(path, BusinessMetric(name, "ratio", "higher", owner=f"owner of {name}"))
    upsert_link(path, Link("f1 score", 'say "hi" rate', params={"elasticity": 2.0}))
    reg = Registry.load(path)
    assert list(reg.metrics) == names
    assert [reg.metric(n).owner for n in names] == [f"owner of {n}" for n in names]
    assert reg.links[0].business_metric == 'say "hi" rate'


def test_from_text_without_path_names_bizml_toml(tmp_path: Path) -> None:
    """Text parsed without a path is reported as bizml.toml."""
    with pytest.raises(RegistryError, match=r"^bizml\.toml, line 3: metrics\.m\.direction"):
        Registry.from_text('[metrics.m]\nunit = "count"\ndirection = "up"\n')


def test_load_of_missing_file_says_to_init(tmp_path: Path) -> None:
    """Loading a file that is not there says how to create it."""
    with pytest.raises(RegistryError, match="does not exist; create it with `%bizml init`"):
        Registry.load(tmp_path / FILENAME)


def test_load_of_undecodable_file_is_a_registry_error(tmp_path: Path) -> None:
    """A file that is not UTF-8 gives a RegistryError naming it, not a UnicodeDecodeError."""
    path = tmp_path / FILENAME
    path.write_bytes(b'[project]\nname = "\xff\xfe"\n')
    with pytest.raises(RegistryError, match=f"cannot read {path}"):
        Registry.load(path)


def test_unknown_metric_suggests_the_close_name(tmp_path: Path) -> None:
    """Registry.metric of an unknown name suggests the close one and lists the known ones."""
    reg = Registry.load(_write(tmp_path, VALID))
    with pytest.raises(RegistryError) as info:
        reg.metric("take_rat")
    message = str(info.value)
    assert "no business metric 'take_rat'" in message
    assert "(did you mean 'take_rate'?)" in message
    assert "known: 'churn', 'take_rate'" in message
    # from Python, the hint is the Python call; the error is also a KeyError with a plain str()
    assert "Declare it with `bizml_nb.metric('take_rat', unit=..., direction=" in message
    assert "--unit" not in message
    assert isinstance(info.value, KeyError)
    assert message.startswith("no business metric")


# --------------------------------------------------------------------------- BusinessMetric


def test_metric_direction_must_be_higher_or_lower() -> None:
    """A direction other than higher|lower is refused, naming the metric."""
    with pytest.raises(RegistryError, match="metric 'm': direction must be 'higher' or 'lower'"):
        BusinessMetric("m", "ratio", "up")  # type: ignore[arg-type]


def test_metric_name_and_unit_must_not_be_blank() -> None:
    """A blank name or unit is refused."""
    with pytest.raises(RegistryError, match="name is empty"):
        BusinessMetric("  ", "ratio", "higher")
    with pytest.raises(RegistryError, match="metric 'm': unit is empty"):
        BusinessMetric("m", "", "higher")


def test_negative_value_when_higher_is_better_suggests_positive() -> None:
    """Higher is better with a negative value_per_unit is refused; the message gives the sign."""
    with pytest.raises(RegistryError) as info:
        BusinessMetric("revenue", "USD", "higher", value_per_unit=-1500)
    message = str(info.value)
    assert "metric 'revenue': value_per_unit -1500 is negative but higher is better" in message
    assert "so use 1500" in message


def test_positive_value_when_lower_is_better_suggests_negative() -> None:
    """Lower is better with a positive value_per_unit is refused; the message gives the sign."""
    with pytest.raises(RegistryError) as info:
        BusinessMetric("churn", "ratio", "lower", value_per_unit=250000)
    message = str(info.value)
    assert "value_per_unit 250000 is positive but lower is better" in message
    assert "so use -250000" in message


@pytest.mark.parametrize("direction", ["higher", "lower"])
def test_zero_value_per_unit_is_refused(direction: str) -> None:
    """value_per_unit 0 is refused in either direction; omitting it is the way to say unknown."""
    with pytest.raises(RegistryError, match="value_per_unit is 0; omit it"):
        BusinessMetric("m", "ratio", direction, value_per_unit=0.0)  # type: ignore[arg-type]


def test_value_per_unit_with_agreeing_sign_is_accepted() -> None:
    """Positive for higher and negative for lower are both accepted."""
    assert BusinessMetric("a", "USD", "higher", value_per_unit=1.0).value_per_unit == 1.0
    assert BusinessMetric("b", "hours", "lower", value_per_unit=-2.0).value_per_unit == -2.0


def test_target_below_baseline_is_refused_when_higher_is_better() -> None:
    """For a higher-is-better KPI a target under the baseline is refused."""
    with pytest.raises(RegistryError, match=r"target 0\.1 is worse than baseline 0\.112"):
        BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, target=0.1)


def test_target_above_baseline_is_refused_when_lower_is_better() -> None:
    """For a lower-is-better KPI a target over the baseline is refused."""
    with pytest.raises(RegistryError, match=r"target 0\.06 is worse than baseline 0\.05"):
        BusinessMetric("churn", "ratio", "lower", baseline=0.05, target=0.06)


def test_target_equal_to_baseline_is_accepted() -> None:
    """A target equal to the baseline is not worse, so it is accepted."""
    assert BusinessMetric("m", "ratio", "lower", baseline=0.05, target=0.05).target == 0.05


@pytest.mark.parametrize("key", ["baseline", "target", "value_per_unit"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_metric_numbers_must_be_finite(key: str, bad: float) -> None:
    """NaN and infinities are refused for every numeric key, naming the key."""
    with pytest.raises(RegistryError, match=f"metric 'm': {key} must be a finite number"):
        BusinessMetric("m", "ratio", "higher", **{key: bad})  # type: ignore[arg-type]


def test_metric_to_table_omits_unset_keys_in_canonical_order() -> None:
    """to_table lists only the keys that are set, in the documented order."""
    metric = BusinessMetric("m", "ratio", "higher", target=0.2, owner="me", baseline=0.1)
    assert list(metric.to_table().items()) == [
        ("unit", "ratio"),
        ("direction", "higher"),
        ("baseline", 0.1),
        ("target", 0.2),
        ("owner", "me"),
    ]


# --------------------------------------------------------------------------- Link


def test_link_unknown_kind_suggests_the_close_one() -> None:
    """An unknown link kind is refused with a did-you-mean and the known kinds."""
    with pytest.raises(RegistryError) as info:
        Link("ndcg", "take_rate", "linaer", {"elasticity": 0.3})
    message = str(info.value)
    assert "link ndcg -> take_rate: unknown kind 'linaer'" in message
    assert "(did you mean 'linear'?)" in message
    assert "known: 'confusion', 'fitted', 'formula', 'linear'" in message


def test_link_needs_elasticity() -> None:
    """A linear link without elasticity is refused."""
    with pytest.raises(
        RegistryError, match="link ndcg -> take_rate: elasticity is needed by a linear link"
    ):
        Link("ndcg", "take_rate", params={"interval": (0.1, 0.2)})


def test_link_needs_an_ml_metric_name() -> None:
    """A blank ML metric name is refused."""
    with pytest.raises(RegistryError, match="a link needs the name of an ML metric"):
        Link(" ", "take_rate", params={"elasticity": 0.3})


def test_link_interval_low_above_high_is_refused() -> None:
    """An interval written [high, low] is refused with both numbers."""
    with pytest.raises(RegistryError, match=r"interval low 0\.5 is above high 0\.2"):
        Link("ndcg", "take_rate", params={"elasticity": 0.35, "interval": (0.5, 0.2)})


def test_link_elasticity_outside_interval_is_refused() -> None:
    """An elasticity outside its own interval is refused."""
    with pytest.raises(RegistryError, match=r"interval does not contain the elasticity 0\.6"):
        Link("ndcg", "take_rate", params={"elasticity": 0.6, "interval": (0.2, 0.5)})


def test_link_elasticity_on_interval_edge_is_accepted() -> None:
    """The interval is closed: an elasticity equal to an end is accepted."""
    link = Link("ndcg", "take_rate", params={"elasticity": 0.5, "interval": (0.2, 0.5)})
    assert link.interval == (0.2, 0.5)


def test_link_unknown_parameter_suggests_the_close_one() -> None:
    """A parameter that a linear link does not take is refused with a did-you-mean."""
    with pytest.raises(RegistryError) as info:
        Link("ndcg", "take_rate", params={"elasticity": 0.3, "elastcity_low": 0.1})
    message = str(info.value)
    assert "elastcity_low is not a parameter of a linear link" in message
    assert "known: 'elasticity', 'interval', 'ml_baseline'" in message


def test_link_misspelt_parameter_gets_did_you_mean() -> None:
    """A misspelt parameter name is answered with the right spelling."""
    with pytest.raises(RegistryError, match=r"\(did you mean 'ml_baseline'\?\)"):
        Link("ndcg", "take_rate", params={"elasticity": 0.3, "ml_basline": 0.4})


@pytest.mark.parametrize("bad", [math.nan, math.inf, True, "0.3"])
def test_link_elasticity_must_be_a_finite_number(bad: object) -> None:
    """NaN, infinity, bool and text are refused as an elasticity."""
    with pytest.raises(RegistryError, match="elasticity must be a finite number"):
        Link("ndcg", "take_rate", params={"elasticity": bad})


def test_link_interval_must_be_a_pair() -> None:
    """An interval of three numbers is refused."""
    with pytest.raises(RegistryError, match=r"interval must be two numbers \[low, high\]"):
        Link("ndcg", "take_rate", params={"elasticity": 0.3, "interval": (0.1, 0.3, 0.5)})


def test_link_to_table_writes_interval_as_list() -> None:
    """to_table writes the canonical keys, the interval as a list and source last."""
    link = Link(
        "ndcg",
        "t",
        params={"ml_baseline": 0.4, "elasticity": 0.3, "interval": (0.1, 0.5)},
        source="s",
    )
    assert list(link.to_table().items()) == [
        ("ml_metric", "ndcg"),
        ("business_metric", "t"),
        ("kind", "linear"),
        ("elasticity", 0.3),
        ("interval", [0.1, 0.5]),
        ("ml_baseline", 0.4),
        ("source", "s"),
    ]


# --------------------------------------------------------------------------- malformed files


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    """A TOML syntax error names the file and the line of the error."""
    message = _load_error(tmp_path, '[project]\nname = "recsys\ncurrency = "USD"\n')
    assert str(tmp_path / FILENAME) in message
    assert "is not valid TOML" in message
    assert "line 2" in message


def test_invalid_toml_on_a_later_line(tmp_path: Path) -> None:
    """A value with no right-hand side on line 4 is reported at line 4."""
    message = _load_error(tmp_path, '[project]\nname = "x"\n\ncurrency =\n')
    assert str(tmp_path / FILENAME) in message
    assert "line 4" in message


def test_unknown_section_is_located_and_suggests(tmp_path: Path) -> None:
    """A misspelt section header is reported at its line with a did-you-mean."""
    text = """\
    [project]
    name = "x"

    [metric.take_rate]
    unit = "ratio"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "unknown section [metric]", 4)
    assert "(did you mean 'metrics'?)" in message


def test_stray_top_level_key_is_located(tmp_path: Path) -> None:
    """A key written above [project] is reported as unknown, at its line."""
    text = """\
    # project settings
    nme = "x"
    [project]
    name = "x"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "[nme]", 2)


def test_unknown_metric_key_is_located_and_suggests(tmp_path: Path) -> None:
    """A misspelt key in a metric names section.key, its line, and the right spelling."""
    text = """\
    [project]
    name = "x"

    [metrics.take_rate]
    unit = "ratio"
    dirction = "higher"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.take_rate.dirction = 'higher'", 6)
    assert "is not a known key (did you mean 'direction'?)" in message


def test_unknown_project_key_is_located(tmp_path: Path) -> None:
    """A misspelt key in [project] names project.key and its line."""
    message = _load_error(tmp_path, '[project]\nname = "x"\ncurency = "EUR"\n')
    _assert_located(message, tmp_path / FILENAME, "project.curency", 3)
    assert "(did you mean 'currency'?)" in message


def test_unknown_link_key_is_located(tmp_path: Path) -> None:
    """A misspelt key in the second [[links]] table is reported at its own line."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"

    [[links]]
    ml_metric = "a"
    business_metric = "t"
    elasticity = 1

    [[links]]
    ml_metric = "b"
    business_metric = "t"
    elasticty = 1
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[1].elasticty", 13)
    assert "(did you mean 'elasticity'?)" in message


def test_string_where_number_expected(tmp_path: Path) -> None:
    """A quoted number is refused, naming the key and its line."""
    text = """\
    [metrics.take_rate]
    unit = "ratio"
    direction = "higher"
    baseline = "0.112"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.take_rate.baseline = '0.112'", 4)
    assert "must be a number" in message


def test_bool_where_number_expected(tmp_path: Path) -> None:
    """A boolean is not a number, even though Python would allow it."""
    text = """\
    [metrics.take_rate]
    unit = "ratio"
    direction = "higher"
    target = true
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.take_rate.target = True", 4)
    assert "must be a number" in message


def test_number_where_string_expected(tmp_path: Path) -> None:
    """A number where text is expected is refused, naming the key and its line."""
    text = """\
    [metrics.take_rate]
    direction = "higher"
    unit = 1
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.take_rate.unit = 1", 3)
    assert "must be a string (in quotes)" in message


def test_number_where_project_name_expected(tmp_path: Path) -> None:
    """A project name written as a number is refused at its line."""
    message = _load_error(tmp_path, "# header\n[project]\nname = 42\n")
    _assert_located(message, tmp_path / FILENAME, "project.name = 42", 3)


def test_link_elasticity_as_string_is_located(tmp_path: Path) -> None:
    """A quoted elasticity in a link names links[0].elasticity and its line."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"
    [[links]]
    ml_metric = "a"
    business_metric = "t"
    elasticity = "0.3"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[0].elasticity = '0.3'", 7)


def test_link_interval_of_strings_is_located(tmp_path: Path) -> None:
    """An interval that is not two numbers names links[0].interval and its line."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"
    [[links]]
    ml_metric = "a"
    business_metric = "t"
    elasticity = 0.3
    interval = ["low", 0.5]
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[0].interval", 8)
    assert "must be two numbers [low, high]" in message


def test_link_interval_not_containing_elasticity_is_located(tmp_path: Path) -> None:
    """Link validation errors from the file name links[i].interval and its line."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"
    [[links]]
    ml_metric = "a"
    business_metric = "t"
    elasticity = 0.7
    interval = [0.2, 0.5]
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[0].interval = [0.2, 0.5]", 8)
    assert "does not contain the elasticity 0.7" in message


def test_bad_direction_is_located(tmp_path: Path) -> None:
    """A direction other than higher|lower names metrics.NAME.direction and its line."""
    text = """\
    [project]
    name = "x"

    [metrics.churn]
    unit = "ratio"
    direction = "lower"

    [metrics.take_rate]
    unit = "ratio"
    direction = "up"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.take_rate.direction = 'up'", 10)
    assert "must be 'higher' or 'lower'" in message


def test_bad_direction_in_quoted_metric_is_located(tmp_path: Path) -> None:
    """The line is found for a metric whose name needs quotes."""
    text = """\
    [metrics."café conversion"]
    unit = "ratio"
    direction = "up"

    [metrics."say \\"hi\\""]
    unit = "ratio"
    direction = "higher"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, 'metrics."café conversion".direction', 3)


@pytest.mark.parametrize("name", ["[x]", "a[b]", "a[1]", "links[0]"])
def test_bad_direction_in_bracketed_metric_name_is_located(tmp_path: Path, name: str) -> None:
    """Brackets in a metric name do not break the line lookup (it once raised ValueError)."""
    text = f'[project]\nname = "x"\n[metrics."{name}"]\nunit = "ratio"\ndirection = "up"\n'
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, f'metrics."{name}".direction', 5)


def test_missing_direction_is_located_at_the_header(tmp_path: Path) -> None:
    """A metric without a direction is reported at its header, naming the key."""
    text = """\
    [project]
    name = "x"

    [metrics.take_rate]
    unit = "ratio"
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "[metrics.take_rate] needs a direction key", 4)


def test_wrong_value_per_unit_sign_is_located(tmp_path: Path) -> None:
    """A value_per_unit with the wrong sign names the key, its line and the right sign."""
    text = """\
    [metrics.tickets]
    unit = "count"
    direction = "lower"
    baseline = 1200
    value_per_unit = 35
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.tickets.value_per_unit = 35", 5)
    assert "35 is positive but lower is better" in message
    assert "so use -35" in message


def test_target_worse_than_baseline_is_located(tmp_path: Path) -> None:
    """A target worse than the baseline is reported at the target's line."""
    text = """\
    [metrics.take_rate]
    unit = "ratio"
    target = 0.1
    direction = "higher"
    baseline = 0.112
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.take_rate.target = 0.1", 3)
    assert "worse than baseline 0.112" in message


def test_nan_in_file_is_refused(tmp_path: Path) -> None:
    """TOML's nan and inf literals are refused as metric numbers."""
    text = '[metrics.m]\nunit = "ratio"\ndirection = "higher"\nbaseline = nan\n'
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "metrics.m.baseline = nan", 4)
    assert "must be a finite number" in message
    text = '[metrics.m]\nunit = "ratio"\ndirection = "higher"\n[[links]]\nml_metric = "a"\nbusiness_metric = "m"\nelasticity = inf\n'
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[0].elasticity = inf", 7)


def test_link_to_undeclared_kpi_is_located(tmp_path: Path) -> None:
    """A link to a KPI the file does not declare names the key, its line and a suggestion."""
    text = """\
    [metrics.take_rate]
    unit = "ratio"
    direction = "higher"

    [[links]]
    ml_metric = "ndcg@10"
    business_metric = "take_rat"
    elasticity = 0.35
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[0].business_metric = 'take_rat'", 7)
    assert "is not a declared business metric (did you mean 'take_rate'?)" in message


def test_duplicate_link_is_located_at_the_second(tmp_path: Path) -> None:
    """Two links between the same metrics are refused at the second one's line."""
    text = """\
    [metrics.take_rate]
    unit = "ratio"
    direction = "higher"

    [[links]]
    ml_metric = "ndcg@10"
    business_metric = "take_rate"
    elasticity = 0.35

    [[links]]
    business_metric = "take_rate"
    ml_metric = "ndcg@10"
    elasticity = 0.4
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[1].ml_metric = 'ndcg@10'", 12)
    assert "a second link ndcg@10 -> take_rate" in message


def test_unknown_link_kind_in_file_is_located(tmp_path: Path) -> None:
    """An unknown kind in a link names links[0].kind, its line and the close kind."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"
    [[links]]
    ml_metric = "a"
    business_metric = "t"
    kind = "linaer"
    elasticity = 1
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "links[0].kind = 'linaer'", 7)
    assert "(did you mean 'linear'?)" in message


def test_link_without_elasticity_in_file_is_located(tmp_path: Path) -> None:
    """A link in the file without elasticity names the file, the link's line and the key."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"

    [[links]]
    ml_metric = "a"
    business_metric = "t"
    elasticity = 1

    [[links]]
    ml_metric = "b"
    business_metric = "t"
    interval = [0.1, 0.2]
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "elasticity", 10)
    assert "b -> t" in message


def test_link_without_ml_metric_in_file_is_located(tmp_path: Path) -> None:
    """A link without ml_metric is reported at its own [[links]] header."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"

    [[links]]
    ml_metric = "a"
    business_metric = "t"
    elasticity = 1

    [[links]]
    business_metric = "t"
    elasticity = 1
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "[links[1]] needs a ml_metric key", 10)


def test_link_with_blank_ml_metric_in_file_names_the_file(tmp_path: Path) -> None:
    """A blank ml_metric in the file is reported with the file and the link's line."""
    text = """\
    [metrics.t]
    unit = "ratio"
    direction = "higher"
    [[links]]
    ml_metric = " "
    business_metric = "t"
    elasticity = 1
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "needs the name of an ML metric", 4)


def test_newer_format_is_located_and_says_upgrade(tmp_path: Path) -> None:
    """A format newer than this version reads is refused at its line with an upgrade hint."""
    text = """\
    [project]
    name = "x"
    currency = "USD"
    format = 2
    """
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "project.format = 2", 4)
    assert "newer bizml_nb (format 2; this one reads up to 1)" in message
    assert "pip install -U bizml_nb" in message


@pytest.mark.parametrize("value", ["0", '"1"', "1.0", "true"])
def test_format_must_be_a_positive_whole_number(tmp_path: Path, value: str) -> None:
    """format 0, a string, a float or a bool is refused at its line."""
    message = _load_error(tmp_path, f'[project]\nname = "x"\nformat = {value}\n')
    _assert_located(message, tmp_path / FILENAME, "project.format", 3)
    assert "must be a whole number" in message


def test_project_as_a_value_is_refused(tmp_path: Path) -> None:
    """project written as a plain value rather than a table is refused at its line."""
    message = _load_error(tmp_path, '# hi\nproject = "x"\n')
    _assert_located(message, tmp_path / FILENAME, "project must be a table", 2)


def test_links_as_a_table_is_refused(tmp_path: Path) -> None:
    """[links] written with single brackets is refused at its header."""
    text = '[metrics.t]\nunit = "ratio"\ndirection = "higher"\n[links]\nml_metric = "a"\n'
    message = _load_error(tmp_path, text)
    _assert_located(message, tmp_path / FILENAME, "written [[links]]", 4)


# --------------------------------------------------------------------------- editing


def test_init_creates_a_valid_file(tmp_path: Path) -> None:
    """init_file creates bizml.toml with name, currency and format, and says created."""
    path = tmp_path / FILENAME
    assert init_file(path, project="recsys-home", currency="EUR") == "created"
    assert path.read_text(encoding="utf-8") == (
        '[project]\nname = "recsys-home"\ncurrency = "EUR"\nformat = 1\n'
    )
    reg = Registry.load(path)
    assert (reg.name, reg.currency) == ("recsys-home", "EUR")


def test_init_defaults_to_folder_name_and_usd(tmp_path: Path) -> None:
    """Without arguments the project is named after its folder, in USD."""
    folder = tmp_path / "churn-model"
    folder.mkdir()
    init_file(folder / FILENAME)
    reg = Registry.load(folder / FILENAME)
    assert (reg.name, reg.currency) == ("churn-model", "USD")


def test_init_again_is_unchanged(tmp_path: Path) -> None:
    """init_file on an existing project with nothing new says unchanged and leaves the bytes."""
    path = _write(tmp_path, COMMENTED)
    assert init_file(path) == "unchanged"
    assert init_file(path, project="recsys-home", currency="USD") == "unchanged"
    assert path.read_text(encoding="utf-8") == COMMENTED


def test_init_updates_currency_and_keeps_the_rest(tmp_path: Path) -> None:
    """init_file with a new currency says updated and keeps comments, name and metrics."""
    path = _write(tmp_path, COMMENTED)
    assert init_file(path, currency="EUR") == "updated"
    text = path.read_text(encoding="utf-8")
    assert text == COMMENTED.replace('currency = "USD"', 'currency = "EUR"')
    reg = Registry.load(path)
    assert (reg.name, reg.currency, list(reg.metrics)) == ("recsys-home", "EUR", ["take_rate"])


def test_upsert_metric_creates(tmp_path: Path) -> None:
    """A new metric is appended and reported as created."""
    path = tmp_path / FILENAME
    init_file(path, project="p")
    metric = BusinessMetric("churn", "ratio", "lower", 0.05, 0.04, -8e8, "CRM lead", "monthly")
    assert upsert_metric(path, metric) == "created"
    assert Registry.load(path).metric("churn") == metric


def test_upsert_same_metric_is_unchanged(tmp_path: Path) -> None:
    """Declaring a metric again with the same values says unchanged and leaves the bytes."""
    path = _write(tmp_path, COMMENTED)
    same = BusinessMetric("take_rate", "ratio", "higher", baseline=0.112, value_per_unit=2.5e9)
    assert upsert_metric(path, same) == "unchanged"
    assert path.read_text(encoding="utf-8") == COMMENTED


def test_upsert_metric_updates(tmp_path: Path) -> None:
    """Changing a value of an existing metric is reported as updated and stored."""
    path = _write(tmp_path, COMMENTED)
    new = BusinessMetric("take_rate", "ratio", "higher", baseline=0.115)
    assert upsert_metric(path, new) == "updated"
    metric = Registry.load(path).metric("take_rate")
    assert metric.baseline == 0.115


def test_upsert_metric_keeps_unset_keys(tmp_path: Path) -> None:
    """Keys the new declaration leaves None keep their values from the file."""
    path = _write(tmp_path, COMMENTED)
    upsert_metric(path, BusinessMetric("take_rate", "ratio", "higher", target=0.12, owner="PM"))
    assert Registry.load(path).metric("take_rate") == BusinessMetric(
        "take_rate", "ratio", "higher", 0.112, 0.12, 2.5e9, "PM", None
    )


def test_upsert_metric_keeps_comments_and_key_order(tmp_path: Path) -> None:
    """User comments and key order survive an update; new keys go after existing ones."""
    path = _write(tmp_path, COMMENTED)
    upsert_metric(path, BusinessMetric("take_rate", "ratio", "higher", baseline=0.115, target=0.12))
    text = path.read_text(encoding="utf-8")
    for comment in (
        "# Owned by the growth team; ask before changing value_per_unit.",
        'name = "recsys-home"  # the repo name',
        "# The north-star KPI.",
        'direction = "higher"  # more plays is better',
        "value_per_unit = 2.5e9  # finance, 2026 plan",
    ):
        assert comment in text
    keys = [line.split(" = ")[0] for line in text.splitlines()[6:] if " = " in line]
    assert keys == ["direction", "unit", "baseline", "value_per_unit", "target"]


def test_upsert_metric_keeps_comments_when_adding(tmp_path: Path) -> None:
    """Adding a second metric keeps the first one's text exactly."""
    path = _write(tmp_path, COMMENTED)
    upsert_metric(path, BusinessMetric("churn", "ratio", "lower"))
    text = path.read_text(encoding="utf-8")
    assert text.startswith(COMMENTED)
    assert list(Registry.load(path).metrics) == ["take_rate", "churn"]


def test_upsert_link_creates_updates_and_is_unchanged(tmp_path: Path) -> None:
    """A new link is created; the same again is unchanged; a new elasticity is an update."""
    path = _write(tmp_path, COMMENTED)
    link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.2, 0.5)})
    assert upsert_link(path, link) == "created"
    before = path.read_bytes()
    assert upsert_link(path, link) == "unchanged"
    assert path.read_bytes() == before
    moved = Link("ndcg@10", "take_rate", params={"elasticity": 0.4, "interval": (0.2, 0.5)})
    assert upsert_link(path, moved) == "updated"
    assert Registry.load(path).links == (moved,)


def test_upsert_same_link_keeps_user_number_format(tmp_path: Path) -> None:
    """Declaring a hand-written link again with equal values leaves the file alone."""
    text = (
        COMMENTED
        + '\n[[links]]\nml_metric = "ndcg@10"\nbusiness_metric = "take_rate"\nkind = "linear"\nelasticity = 3.5e-1  # fitted\ninterval = [0.20, 0.50]\n'
    )
    path = _write(tmp_path, text)
    link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35, "interval": (0.2, 0.5)})
    assert upsert_link(path, link) == "unchanged"
    assert path.read_text(encoding="utf-8") == text


def test_upsert_link_removes_stale_parameters(tmp_path: Path) -> None:
    """Re-declaring a link without interval or source removes them from the file."""
    path = _write(tmp_path, COMMENTED)
    upsert_link(
        path,
        Link(
            "ndcg@10",
            "take_rate",
            params={"elasticity": 0.35, "interval": (0.2, 0.5), "ml_baseline": 0.41},
            source="A/B",
        ),
    )
    assert upsert_link(path, Link("ndcg@10", "take_rate", params={"elasticity": 0.3})) == "updated"
    text = path.read_text(encoding="utf-8")
    assert "interval" not in text
    assert "ml_baseline" not in text
    assert "source" not in text
    link = Registry.load(path).links[0]
    assert dict(link.params) == {"elasticity": 0.3}
    assert link.interval == (0.3, 0.3)


def test_upsert_link_replaces_only_its_own_link(tmp_path: Path) -> None:
    """Updating one link leaves links between other metrics as they were, in order."""
    path = _write(tmp_path, VALID)
    new = Link("auc", "churn", params={"elasticity": -0.2, "interval": (-0.3, -0.1)})
    assert upsert_link(path, new) == "updated"
    reg = Registry.load(path)
    assert [link.label for link in reg.links] == ["ndcg@10 -> take_rate", "auc -> churn"]
    assert reg.links[1] == new
    assert reg.links[0].source == "A/B tests 2026 Q1-Q3"


def test_upsert_link_keeps_comments(tmp_path: Path) -> None:
    """User comments inside and around a link survive its update."""
    text = (
        COMMENTED
        + '\n# from the Q3 test\n[[links]]\nml_metric = "ndcg@10"  # offline\nbusiness_metric = "take_rate"\nelasticity = 0.35\n'
    )
    path = _write(tmp_path, text)
    upsert_link(path, Link("ndcg@10", "take_rate", params={"elasticity": 0.3}))
    new_text = path.read_text(encoding="utf-8")
    assert "# from the Q3 test" in new_text
    assert 'ml_metric = "ndcg@10"  # offline' in new_text
    assert new_text.startswith(COMMENTED)


def test_edit_that_makes_target_worse_is_refused_and_file_untouched(tmp_path: Path) -> None:
    """A target worse than the stored baseline is refused; the file keeps its bytes."""
    path = _write(tmp_path, COMMENTED)
    before = path.read_bytes()
    with pytest.raises(RegistryError) as info:
        upsert_metric(path, BusinessMetric("take_rate", "ratio", "higher", target=0.1))
    message = str(info.value)
    assert message.startswith(f"{path}, line ")
    assert "metrics.take_rate.target = 0.1" in message
    assert "worse than baseline 0.112" in message
    assert path.read_bytes() == before
    assert _temp_leftovers(tmp_path) == []


def test_edit_that_flips_direction_against_value_is_refused(tmp_path: Path) -> None:
    """Changing direction so it disagrees with the stored value_per_unit is refused."""
    path = _write(tmp_path, COMMENTED)
    before = path.read_bytes()
    with pytest.raises(RegistryError, match="positive but lower is better"):
        upsert_metric(path, BusinessMetric("take_rate", "ratio", "lower"))
    assert path.read_bytes() == before


def test_upsert_link_to_undeclared_kpi_is_refused_and_file_untouched(tmp_path: Path) -> None:
    """upsert_link to a KPI the file lacks raises and leaves the file's bytes."""
    path = _write(tmp_path, COMMENTED)
    before = path.read_bytes()
    with pytest.raises(RegistryError, match="is not a declared business metric"):
        upsert_link(path, Link("ndcg@10", "revenue", params={"elasticity": 1.0}))
    assert path.read_bytes() == before
    assert _temp_leftovers(tmp_path) == []


BROKEN = '[project]\nname = "x"\n[metrics.take_rate]\nunit = "ratio"\ndirection = "up"\n'


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: init_file(p, currency="EUR"),
        lambda p: upsert_metric(p, BusinessMetric("churn", "ratio", "lower")),
        lambda p: upsert_link(p, Link("a", "take_rate", params={"elasticity": 1.0})),
    ],
    ids=["init", "metric", "link"],
)
def test_editing_a_broken_file_is_refused_and_file_untouched(
    tmp_path: Path, edit: Callable[[Path], object]
) -> None:
    """An edit on top of an invalid file reports the existing problem and writes nothing."""
    path = _write(tmp_path, BROKEN)
    with pytest.raises(RegistryError) as info:
        edit(path)
    _assert_located(str(info.value), path, "metrics.take_rate.direction", 5)
    assert path.read_text(encoding="utf-8") == BROKEN
    assert _temp_leftovers(tmp_path) == []


def test_edit_that_would_repair_a_broken_file_is_still_refused(tmp_path: Path) -> None:
    """The existing file is checked before editing, even when the edit would fix it."""
    path = _write(tmp_path, BROKEN)
    with pytest.raises(RegistryError) as info:
        upsert_metric(path, BusinessMetric("take_rate", "ratio", "higher"))
    _assert_located(str(info.value), path, "metrics.take_rate.direction = 'up'", 5)
    assert path.read_text(encoding="utf-8") == BROKEN


def test_editing_a_file_with_toml_syntax_error_is_refused(tmp_path: Path) -> None:
    """An edit on top of unparsable TOML raises and keeps the bytes."""
    text = '[project]\nname = "x\n'
    path = _write(tmp_path, text)
    with pytest.raises(RegistryError, match="is not valid TOML"):
        upsert_metric(path, TAKE_RATE)
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "edit",
    [
        lambda p: upsert_metric(p, TAKE_RATE),
        lambda p: upsert_link(p, Link("a", "take_rate", params={"elasticity": 1.0})),
    ],
    ids=["metric", "link"],
)
def test_upsert_without_file_says_to_init(tmp_path: Path, edit: Callable[[Path], object]) -> None:
    """Declaring before init raises a RegistryError that says to run init, and creates nothing."""
    with pytest.raises(RegistryError) as info:
        edit(tmp_path / FILENAME)
    message = str(info.value)
    assert f"no {FILENAME} in {tmp_path}" in message
    assert "run `%bizml init` (or `bizml init`) first" in message
    assert list(tmp_path.iterdir()) == []


def test_successful_edits_leave_no_temporary_files(tmp_path: Path) -> None:
    """After init, metric and link edits the folder holds only bizml.toml and its lock file."""
    path = tmp_path / FILENAME
    init_file(path)
    upsert_metric(path, TAKE_RATE)
    upsert_link(path, Link("a", "take_rate", params={"elasticity": 1.0}))
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK, FILENAME]


def test_failed_write_leaves_file_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the final rename fails, the error names the file and the old bytes and folder remain."""
    path = _write(tmp_path, COMMENTED)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(WriteError) as info:
        upsert_metric(path, BusinessMetric("churn", "ratio", "lower"))
    assert str(info.value) == (
        f"cannot write {path}: permission denied; choose a folder you can write to"
    )
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert _temp_leftovers(tmp_path) == []


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_edits_through_a_symlinked_bizml_toml_change_the_shared_file(
    tmp_path: Path, relative: bool
) -> None:
    """init, metric and link edits through a symlinked bizml.toml write the file it points
    to; the link stays the same link, and the lock file sits beside the shared file."""
    shared = tmp_path / "shared" / FILENAME
    shared.parent.mkdir()
    shared.write_text(COMMENTED, encoding="utf-8")
    project_dir = tmp_path / "project"
    project_dir.mkdir()
    link = project_dir / FILENAME
    pointed = os.path.join("..", "shared", FILENAME) if relative else str(shared)
    link.symlink_to(pointed)
    project = Project.at(project_dir)
    assert project.init(currency="EUR") == "updated"
    assert project.metric("churn", unit="ratio", direction="lower").name == "churn"
    project.link("auc", "churn", elasticity=-0.1)
    assert link.is_symlink()
    assert os.readlink(link) == pointed
    registry = Registry.load(shared)
    assert (registry.currency, list(registry.metrics)) == ("EUR", ["take_rate", "churn"])
    assert [(k.ml_metric, k.business_metric) for k in registry.links] == [("auc", "churn")]
    assert shared.read_text(encoding="utf-8").startswith(COMMENTED.partition("currency")[0])
    assert sorted(p.name for p in shared.parent.iterdir()) == [LOCK, FILENAME]
    assert sorted(p.name for p in project_dir.iterdir()) == [FILENAME]


def test_init_in_a_missing_folder_names_it_and_creates_nothing(tmp_path: Path) -> None:
    """init_file into a folder that does not exist says which folder, and makes none."""
    path = tmp_path / "nowhere" / FILENAME
    with pytest.raises(WriteError) as info:
        init_file(path)
    assert str(info.value) == (
        f"cannot write {path}: the folder {path.parent} does not exist; create it first"
    )
    assert list(tmp_path.iterdir()) == []


def test_edit_keeps_file_permissions(tmp_path: Path) -> None:
    """The rewritten file keeps the permission bits of the one it replaces."""
    path = _write(tmp_path, COMMENTED)
    path.chmod(0o640)
    upsert_metric(path, BusinessMetric("churn", "ratio", "lower"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


# --------------------------------------------------------------------------- find_root


def test_find_root_finds_the_nearest_folder_upward(tmp_path: Path) -> None:
    """From a deep folder, the nearest ancestor holding bizml.toml is the root."""
    (tmp_path / FILENAME).write_text("", encoding="utf-8")
    inner = tmp_path / "analysis"
    deep = inner / "notebooks" / "2026"
    deep.mkdir(parents=True)
    assert find_root(deep) == tmp_path.resolve()
    (inner / FILENAME).write_text("", encoding="utf-8")
    assert find_root(deep) == inner.resolve()
    assert find_root(inner) == inner.resolve()


def test_find_root_from_a_file_starts_at_its_folder(tmp_path: Path) -> None:
    """Given a notebook file, the search starts in the notebook's folder."""
    (tmp_path / FILENAME).write_text("", encoding="utf-8")
    notebook = tmp_path / "nb" / "explore.ipynb"
    notebook.parent.mkdir()
    notebook.write_text("{}", encoding="utf-8")
    assert find_root(notebook) == tmp_path.resolve()


def test_find_root_ignores_a_folder_named_bizml_toml(tmp_path: Path) -> None:
    """Only a file named bizml.toml marks a root, not a folder of that name."""
    (tmp_path / FILENAME).write_text("", encoding="utf-8")
    inner = tmp_path / "inner"
    (inner / FILENAME).mkdir(parents=True)
    assert find_root(inner) == tmp_path.resolve()


def test_find_root_defaults_to_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an argument the search starts in the current folder."""
    (tmp_path / FILENAME).write_text("", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert find_root() == tmp_path.resolve()


def test_find_root_returns_none_without_a_file(tmp_path: Path) -> None:
    """With no bizml.toml at or above the start, the answer is None."""
    start = tmp_path.resolve()
    if any((folder / FILENAME).is_file() for folder in start.parents):
        pytest.skip("a bizml.toml exists above the temporary folder")
    (start / "a" / "b").mkdir(parents=True)
    assert find_root(start / "a" / "b") is None


# --------------------------------------------------------------------------- Project


def test_project_registry_rereads_when_the_file_changes(tmp_path: Path) -> None:
    """Project.registry is cached while the file is the same and re-read after it changes."""
    path = _write(tmp_path, COMMENTED)
    project = Project.at(tmp_path)
    first = project.registry
    assert project.registry is first
    upsert_metric(path, BusinessMetric("churn", "ratio", "lower"))
    second = project.registry
    assert list(second.metrics) == ["take_rate", "churn"]
    assert project.registry is second


def test_project_registry_rereads_same_size_change(tmp_path: Path) -> None:
    """A change that keeps the size but moves the mtime is still seen."""
    path = _write(tmp_path, COMMENTED)
    project = Project.at(tmp_path)
    assert project.registry.metric("take_rate").baseline == 0.112
    old = path.stat()
    path.write_text(COMMENTED.replace("0.112", "0.113"), encoding="utf-8")
    assert path.stat().st_size == old.st_size
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns + 1_000_000_000))
    assert project.registry.metric("take_rate").baseline == 0.113


def test_project_registry_sees_a_change_within_one_clock_tick(tmp_path: Path) -> None:
    """A change that keeps the size and the modification time (two writes within one tick
    of a coarse file-system clock) is still seen by the next read."""
    path = _write(tmp_path, COMMENTED)
    project = Project.at(tmp_path)
    assert project.registry.metric("take_rate").baseline == 0.112
    old = path.stat()
    path.write_text(COMMENTED.replace("0.112", "0.113"), encoding="utf-8")
    os.utime(path, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    assert project.registry.metric("take_rate").baseline == 0.113


def test_project_registry_of_a_settled_file_still_sees_a_replacement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a file counts as settled (here at once), an unchanged status skips reading it,
    and a replacement (what every bizml edit and most editors do) is still seen."""
    from bizml_nb.projects import project as projects

    monkeypatch.setattr(projects, "_SETTLE_NS", -(10**12))
    path = _write(tmp_path, COMMENTED)
    project = Project.at(tmp_path)
    first = project.registry
    assert project.registry is first  # settled and unchanged: the same parsed registry
    new = tmp_path / "new.toml"
    new.write_text(COMMENTED.replace("0.112", "0.114"), encoding="utf-8")
    os.replace(new, path)
    assert project.registry.metric("take_rate").baseline == 0.114


def test_project_registry_that_cannot_be_decoded_says_which_file(tmp_path: Path) -> None:
    """A bizml.toml that is not UTF-8 gives a RegistryError naming the file."""
    path = tmp_path / FILENAME
    path.write_bytes(b"[project]\nname = '\xff'\n")
    with pytest.raises(RegistryError, match=f"^cannot read {path}: 'utf-8' codec"):
        _ = Project.at(tmp_path).registry


def test_project_registry_without_file_says_to_init(tmp_path: Path) -> None:
    """A project folder without bizml.toml gives a RegistryError that says to run init."""
    with pytest.raises(RegistryError, match="run `%bizml init`"):
        _ = Project.at(tmp_path).registry


def test_project_declare_refuses_link_to_unknown_kpi(tmp_path: Path) -> None:
    """Project.declare refuses a link to an undeclared KPI, with a suggestion, writing nothing."""
    path = _write(tmp_path, COMMENTED)
    project = Project.at(tmp_path)
    with pytest.raises(RegistryError) as info:
        project.declare(Link("ndcg@10", "take_rat", params={"elasticity": 0.35}))
    assert "no business metric 'take_rat'" in str(info.value)
    assert "(did you mean 'take_rate'?)" in str(info.value)
    assert path.read_text(encoding="utf-8") == COMMENTED


def test_project_declare_reports_outcomes(tmp_path: Path) -> None:
    """Project.declare passes on created, unchanged and updated for metrics and links."""
    path = tmp_path / FILENAME
    init_file(path, project="p")
    project = Project.at(tmp_path)
    assert project.declare(TAKE_RATE) == "created"
    assert project.declare(TAKE_RATE) == "unchanged"
    link = Link("ndcg@10", "take_rate", params={"elasticity": 0.35})
    assert project.declare(link) == "created"
    assert project.declare(link) == "unchanged"
    assert project.declare(Link("ndcg@10", "take_rate", params={"elasticity": 0.4})) == "updated"
    assert project.registry.links[0].elasticity == 0.4


# --------------------------------------------------------------------------- round trip


def _name() -> st.SearchStrategy[str]:
    return st.text().filter(lambda s: s.strip() != "")


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_name(), owner=st.text(), description=st.text())
def test_any_text_round_trips_through_the_file(
    tmp_path: Path, name: str, owner: str, description: str
) -> None:
    """Any metric name, owner and description is read back exactly as it was declared."""
    path = tmp_path / FILENAME
    path.unlink(missing_ok=True)
    init_file(path, project="p")
    metric = BusinessMetric(name, "ratio", "higher", owner=owner, description=description)
    assert upsert_metric(path, metric) == "created"
    reg = Registry.load(path)
    assert list(reg.metrics) == [name]
    assert reg.metric(name) == metric
    assert upsert_metric(path, metric) == "unchanged"
