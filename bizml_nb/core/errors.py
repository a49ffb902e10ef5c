"""The small exception family of bizml_nb.

Every error a user can cause is one of these, with a message that names what was
wrong and how to fix it. The magics turn them into a plain ``UsageError``.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


class BizmlError(Exception):
    """Base class of every error bizml_nb raises on purpose."""


class RegistryError(BizmlError):
    """bizml.toml is missing, malformed, or asked for something it does not hold."""


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
