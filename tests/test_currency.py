"""A project's currency is a short code or symbol, and the report shows it as text.

The currency is typed by a person (``bizml init --currency``, ``%bizml init``,
``bizml_nb.init``, or by hand in bizml.toml) and printed beside every amount of
money. A currency that is a URL, markup or a sentence is refused with a message that
says what a currency may be; and the Markdown report escapes the currency as a user
string all the same.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import bizml_nb
from bizml_nb.core.registry import FILENAME, Registry, RegistryError
from bizml_nb.interfaces.cli import main
from bizml_nb.present.report import Findings, to_markdown

if TYPE_CHECKING:
    from pathlib import Path

HOSTILE = "https://evil.example/pay <b>x</b> ![i](https://y.example/p.png)"
RULE = (
    "is not a currency: a currency is a code or symbol of 1 to 8 letters or currency "
    "signs, such as USD, EUR, CHF, $ or €, with no spaces, digits or punctuation"
)
TEXT_TAGS = {"h1", "h2", "ul", "li", "p", "table", "thead", "tbody", "tr", "th", "td"}
VALID = ["USD", "EUR", "JPY", "CHF", "usd", "$", "€", "£", "¥", "₹", "R$", "zł", "Kč", "ABCDEFGH"]
INVALID = [  # (an empty or blank one has its own message: "currency is empty")
    HOSTILE,
    "US D",
    "US-D",
    "USD1",
    "ABCDEFGHI",  # 9 characters
    "<b>",
    "U.S.",
    "US\nD",
    "\u202eUSD",
    "\x1b[2JUSD",
]


@pytest.mark.parametrize("currency", VALID)
def test_codes_and_symbols_are_accepted(project_dir: Path, currency: str) -> None:
    """Letters (any script) and currency signs, 1 to 8 of them."""
    bizml_nb.init("p", currency=currency)
    assert Registry.load(project_dir / FILENAME).currency == currency


@pytest.mark.parametrize("currency", INVALID)
def test_the_api_refuses_a_currency_that_is_not_one(project_dir: Path, currency: str) -> None:
    """`bizml_nb.init` refuses it, names it, says what is allowed and writes nothing."""
    with pytest.raises(RegistryError) as info:
        bizml_nb.init("p", currency=currency)
    assert str(info.value) == f"currency {currency!r} {RULE}"
    assert not (project_dir / FILENAME).exists()


def test_the_api_refuses_it_on_an_existing_project_and_changes_nothing(project_dir: Path) -> None:
    bizml_nb.init("p", currency="EUR")
    before = (project_dir / FILENAME).read_bytes()
    with pytest.raises(RegistryError, match=re.escape(f"currency 'US D' {RULE}")):
        bizml_nb.init(currency="US D")
    assert (project_dir / FILENAME).read_bytes() == before


def test_the_cli_refuses_it(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`bizml init --currency URL...`: one message, exit 1, no file."""
    assert main(["init", "--currency", HOSTILE]) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"bizml: error: currency {HOSTILE!r} {RULE}\n")
    assert not (project_dir / FILENAME).exists()


def test_the_magic_refuses_it(ip: Any, project_dir: Path) -> None:
    """`%bizml init --currency 'US D'` is a UsageError with the same message."""
    with capture_output(), pytest.raises(UsageError) as info:
        ip.run_line_magic("bizml", "init --currency 'US D'")
    assert str(info.value) == f"currency 'US D' {RULE}"
    assert not (project_dir / FILENAME).exists()


@pytest.mark.parametrize("currency", ["US D", "<b>x</b>", ""])
def test_a_bizml_toml_with_such_a_currency_is_refused_at_its_line(
    tmp_path: Path, currency: str
) -> None:
    path = tmp_path / FILENAME
    path.write_text(f'[project]\nname = "p"\ncurrency = "{currency}"\n', encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        Registry.load(path)
    assert str(info.value) == f"{path}, line 3: project.currency = {currency!r} {RULE}"


def test_the_markdown_report_escapes_the_currency_as_a_user_string() -> None:
    """Were a currency to get past the registry, the report still shows it as text: rendered
    with bare URLs linked, it gives no link, image or tag, and reads as its characters."""
    from tests.test_output_safety import _Rendered, render

    found = Findings("p", HOSTILE)
    found.kpis.append({"name": "k", "about": "", "worth": "", "description": ""})
    found.experiments.append(
        {
            "name": "b",
            "target": "k",
            "value_mid": 2e6,
            "value_low": 1e6,
            "value_high": 3e6,
            "verdict": "material",
            "rank_by_value": 1,
        }
    )
    found.decisions = [["about 2M ", HOSTILE]]
    page = _Rendered(render(to_markdown(found)))
    assert set(page.tags) <= {
        "h1",
        "h2",
        "ul",
        "li",
        "p",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
    } | {"td"}
    text = "".join(page.text)
    assert f"+2M {HOSTILE} [+1M {HOSTILE}, +3M {HOSTILE}]" in text
    assert f"about 2M {HOSTILE}" in text
