"""A fitted link needs at least 3 past A/B results; with fewer it is refused, not made precise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import bizml_nb
from bizml_nb.core.errors import RegistryError

TWO_ROWS = "ml_delta,business_delta\n0.01,0.00103\n0.02,0.00206\n"
THREE_ROWS = TWO_ROWS + "0.03,0.0031\n"
MESSAGE = (
    "the history has 2 past A/B result(s); fitting a link needs at least 3 (with fewer, its "
    "interval is unknown). Add results, or declare the link with --elasticity and an --interval"
)
PYTHON_MESSAGE = MESSAGE.replace("--elasticity", "elasticity").replace("--interval", "interval")


@pytest.fixture
def project(project_dir: Path) -> Path:
    bizml_nb.init("shop")
    bizml_nb.metric("take_rate", unit="ratio", direction="higher", baseline=0.1)
    return project_dir


def test_two_rows_are_refused_and_bizml_toml_is_unchanged(project: Path) -> None:
    """Two rows once gave a zero-width 90% interval [0.103, 0.103] and a 'material' verdict."""
    (project / "history.csv").write_text(TWO_ROWS)
    before = (project / "bizml.toml").read_bytes()
    with pytest.raises(RegistryError) as info:
        bizml_nb.link("ndcg@10", "take_rate", fit=project / "history.csv")
    assert str(info.value) == PYTHON_MESSAGE  # from Python, the keywords
    assert (project / "bizml.toml").read_bytes() == before


def test_the_magic_says_the_same_as_a_usage_error(ip: Any) -> None:
    from IPython.core.error import UsageError

    ip.run_line_magic("bizml", "init --project shop")
    ip.run_line_magic("bizml", "metric take_rate --unit ratio --direction higher --baseline 0.1")
    Path("history.csv").write_text(TWO_ROWS)
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", "link ndcg@10 take_rate --fit history.csv")
    assert MESSAGE in str(info.value)


def test_three_rows_fit_with_a_finite_interval(project: Path) -> None:
    (project / "history.csv").write_text(THREE_ROWS)
    bizml_nb.link("ndcg@10", "take_rate", fit=project / "history.csv")
    link = bizml_nb.project().registry.ml_links_to("take_rate")[0]
    low, high = link.interval
    assert low < link.elasticity < high
    assert high - low < 1  # finite, not a fallback
