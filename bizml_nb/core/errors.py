"""The small exception family of bizml_nb.

Every error a user can cause is one of these, with a message that names what was
wrong and how to fix it. The magics turn them into a plain ``UsageError``.

An error about one argument names it by its Python keyword (``value_per_unit``) and
carries it as :attr:`BizmlError.keyword`; a command line shows the message with
:meth:`BizmlError.worded`, which writes the keyword as its flag (``--value-per-unit``).
Each error also subclasses the built-in exception a Python user would catch: a bad
value is a ``ValueError``, an unknown name a ``KeyError``.

>>> err = InvalidValue("value_per_unit", "must be a finite number (not nan)", prefix="metric 'm': ")
>>> str(err), isinstance(err, ValueError), err.keyword
("metric 'm': value_per_unit must be a finite number (not nan)", True, 'value_per_unit')
>>> err.worded(lambda keyword: "--" + keyword.replace("_", "-"))
"metric 'm': --value-per-unit must be a finite number (not nan)"
"""

from __future__ import annotations

import difflib
import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


class BizmlError(Exception):
    """Base class of every error bizml_nb raises on purpose."""

    #: the Python keyword argument the error is about (``value_per_unit``), if one
    keyword: str | None = None

    def worded(self, name: Callable[[str], str]) -> str:
        """The message with its keyword written as ``name(keyword)`` (e.g. a flag)."""
        return str(self)


class RegistryError(BizmlError):
    """bizml.toml is missing, malformed, or asked for something it does not hold."""


class InvalidValue(RegistryError, ValueError):
    """A given value is not valid; ``key`` (also :attr:`keyword`) names it.

    The name is the keyword of ``bizml_nb.metric(...)``/``bizml_nb.link(...)`` and
    the key in bizml.toml, so the file's line can be found. A problem that names
    other keywords writes each as ``{field}`` and lists them in ``mentions``.
    """

    def __init__(
        self, key: str, problem: str, *, prefix: str = "", mentions: tuple[str, ...] = ()
    ) -> None:
        self.key = key
        self.keyword = key
        self.template = problem
        self.mentions = mentions
        self.prefix = prefix
        self.problem = self._problem(lambda keyword: keyword)
        super().__init__(f"{prefix}{key} {self.problem}")

    def _problem(self, name: Callable[[str], str]) -> str:
        if not self.mentions:
            return self.template
        return self.template.format_map({keyword: name(keyword) for keyword in self.mentions})

    def with_prefix(self, prefix: str) -> InvalidValue:
        """The same error, its message starting with ``prefix`` (``"metric 'm': "``)."""
        return type(self)(self.key, self.template, prefix=prefix, mentions=self.mentions)

    def __reduce__(self) -> tuple[Any, ...]:
        again = functools.partial(type(self), prefix=self.prefix, mentions=self.mentions)
        return (again, (self.key, self.template))

    def worded(self, name: Callable[[str], str]) -> str:
        return f"{self.prefix}{name(self.key)} {self._problem(name)}"


class InvalidArguments(RegistryError, ValueError):
    """Arguments that do not go together; each is named by its keyword.

    ``template`` writes each keyword as a ``{field}`` (``"drop {interval}"``);
    :attr:`keywords` lists them, :attr:`keyword` is the first.

    >>> err = InvalidArguments("a fitted link takes its interval from the fit; drop {interval}", "interval")
    >>> str(err), err.worded(lambda keyword: "--" + keyword)
    ('a fitted link takes its interval from the fit; drop interval', 'a fitted link takes its interval from the fit; drop --interval')
    """

    def __init__(self, template: str, *keywords: str) -> None:
        self.template = template
        self.keywords = keywords
        self.keyword = keywords[0] if keywords else None
        super().__init__(self.worded(lambda keyword: keyword))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.template, *self.keywords))

    def worded(self, name: Callable[[str], str]) -> str:
        return self.template.format_map({keyword: name(keyword) for keyword in self.keywords})


class UnknownMetric(RegistryError, KeyError):
    """No business metric of that name is declared (``name``).

    ``str()`` is the message (not the quoted repr a ``KeyError`` shows); it says how
    to declare the metric in Python, and :meth:`worded` (a command line's message)
    how with ``%bizml metric``.
    """

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(
            f"{problem}. Declare it with "
            f"`bizml_nb.metric({name!r}, unit=..., direction='higher' or 'lower')`"
        )
        self.name = name
        self.problem = problem

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.problem))

    def worded(self, name: Callable[[str], str]) -> str:
        return (
            f"{self.problem}. Declare it with "
            f"`%bizml metric {self.name} --unit ... --direction higher|lower`"
        )


class LedgerError(BizmlError):
    """The experiment ledger cannot be opened, read or written."""


class ExperimentError(BizmlError):
    """An experiment or a logged value is not valid."""


class BizmlWarning(UserWarning):
    """Something worth knowing that does not stop the work."""


def did_you_mean(given: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    >>> did_you_mean("take_rat", ["take_rate", "churn"])
    " (did you mean 'take_rate'?)"
    """
    close = difflib.get_close_matches(given, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def known(choices: Iterable[str]) -> str:
    """Return a short sentence listing the valid choices."""
    names = sorted(choices)
    if not names:
        return "none are declared yet"
    return "known: " + ", ".join(repr(n) for n in names)
