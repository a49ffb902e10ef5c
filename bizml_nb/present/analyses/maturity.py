"""The adoption_maturity template's analysis: the decision first, then what supports it.

:func:`check_parameters` checks the template's parameters (``bizml new`` and ``bizml run``
call it before anything is written, and the template's first cell calls it too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.finance.maturity import QUESTIONS

if TYPE_CHECKING:
    from collections.abc import Mapping

#: The template's parameters, in the order of its parameters cell.
PARAMETERS: tuple[str, ...] = (
    "organisation",
    "deployment_history",
    *(q.key for q in QUESTIONS),
)


def check_parameters(values: Mapping[str, Any]) -> None:
    """Refuse parameters the analysis cannot use, with one message naming the parameter.

    ``values`` holds every parameter of the template (names in :data:`PARAMETERS`);
    other names are ignored. Each parameter is named in the message as ``{name}``
    (:class:`~bizml_nb.core.errors.InvalidArguments`), so a command line can word it
    ``-p name``.

    >>> check_parameters({**dict.fromkeys(PARAMETERS, False), "organisation": "x",
    ...                   "deployment_history": None})
    """
    missing = [name for name in PARAMETERS if name not in values]
    if missing:
        raise InvalidArguments(
            f"no value for {{{missing[0]}}}: the maturity analysis needs every parameter "
            "of the adoption_maturity template",
            missing[0],
        )
    organisation = values["organisation"]
    if not isinstance(organisation, str) or not organisation.strip():
        raise InvalidArguments(
            "{organisation} is the name of the team assessed, as text such as "
            f"'our ML team' (got {_shown(organisation)})",
            "organisation",
        )
    history = values["deployment_history"]
    if history is not None and (not isinstance(history, str) or not history.strip()):
        raise InvalidArguments(
            "{deployment_history} is the path of a CSV of past deployments (columns started "
            f"and deployed), or None to skip the comparison (got {_shown(history)})",
            "deployment_history",
        )
    for question in QUESTIONS:
        answer = values[question.key]
        if not isinstance(answer, bool):
            raise InvalidArguments(
                f"{{{question.key}}} answers the question {_braced(repr(question.text))}: "
                f"True (yes) or False (no), not {_shown(answer)}",
                question.key,
            )


def _shown(value: object) -> str:
    """``repr(value)`` (shortened), safe inside an error's ``{name}`` template."""
    text = repr(value)
    return _braced(text if len(text) <= 60 else text[:57] + "...")


def _braced(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


__all__ = ["PARAMETERS", "check_parameters"]
