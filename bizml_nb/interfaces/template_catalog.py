"""The templates and the parameters of a notebook: find, read, parse and convert.

What both :mod:`bizml_nb.interfaces.templates` (``bizml templates``, ``bizml new``)
and :mod:`bizml_nb.interfaces.runner` (``bizml run``) need, below them both: the
shipped templates (:func:`list_templates`, :func:`get_template`), a notebook's
``parameters`` cell (:func:`parameters_of`, :func:`parse_parameters`), values given as
text converted to the declared types (:func:`convert`), and a notebook read and
checked against the notebook format. Nothing here runs or writes a notebook.
"""

from __future__ import annotations

import ast
import io
import logging
import math
import re
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import BizmlError, did_you_mean
from bizml_nb.core.nbfile import notebook_problem
from bizml_nb.core.nbfile import tags as _tags
from bizml_nb.core.schema import JSONProblem, parse_json

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
KINDS = ("bool", "int", "float", "str", "None")


class TemplateError(BizmlError):
    """A template, a notebook or a parameter value was refused."""


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook: its name, declared type, default and comment."""

    name: str
    type: str  # as declared, e.g. "Optional[float]" or "float | None"; "" when not annotated
    default: Any
    comment: str

    @property
    def kinds(self) -> tuple[str, ...]:
        """The accepted kinds, among bool, int, float, str and None ("any" if unknown).

        ``Optional[float]`` is ``float | None`` (papermill parses the first, not the second).

        >>> Parameter("deploy_days", "Optional[float]", None, "").kinds
        ('float', 'None')
        """
        declared = self.type or _kind_of(self.default)
        optional = re.fullmatch(r"(?:typing\.)?Optional\[\s*(\w+)\s*\]", declared)
        if optional:
            declared = f"{optional.group(1)} | None"
        parts = tuple(part.strip() for part in declared.split("|"))
        return parts if all(p in KINDS for p in parts) else ("any",)

    def convert(self, value: object, where: str = "") -> object:
        """``value`` as this parameter's type; text is parsed (``"6e5"``, ``"true"``, ``"None"``).

        >>> Parameter("years", "int", 5, "").convert("3")
        3
        """
        kinds = self.kinds
        if kinds == ("any",):
            return _literal(value) if isinstance(value, str) else value
        place = f" of {where}" if where else ""
        try:
            converted = _from_text(value, kinds) if isinstance(value, str) else _check(value, kinds)
        except OverflowError:
            raise TemplateError(
                f"parameter {self.name!r}{place} is too large a number; it expects "
                f"{_expected(kinds)}"
            ) from None
        if converted is _REFUSED:
            raise TemplateError(
                f"parameter {self.name!r}{place} expects {_expected(kinds)}, not {value!r}"
            )
        return converted

    def line(self) -> str:
        """``name: type = default  # comment``, as in the parameters cell."""
        declared = f": {self.type}" if self.type else ""
        comment = f"  # {self.comment}" if self.comment else ""
        return f"{self.name}{declared} = {self.default!r}{comment}"


@dataclass(frozen=True)
class Template:
    """A template notebook: its name (the file's stem), path, title and parameters."""

    name: str
    path: Path
    title: str
    parameters: tuple[Parameter, ...]

    def convert(self, values: Mapping[str, object]) -> dict[str, object]:
        """``values`` checked against the parameters and converted to their types."""
        return convert(self.parameters, values, f"template {self.name}")


@dataclass(frozen=True)
class Execution:
    """An executed notebook: where it was written, how long it took, its summary and record."""

    notebook: Path
    seconds: float
    summary: str  # the decision in words: its card's text, or what the cell printed; "" if none
    record: dict[str, Any] | None  # its JSON record (None if it displayed none)


# --------------------------------------------------------------------------- public functions


def templates_dir() -> Path:
    """The folder of the shipped templates: inside the package (wheel), else the repository's."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "data" / "templates", package.parent / "templates"):
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            return folder
    raise TemplateError(
        f"no templates found (looked in {package / 'data' / 'templates'} and {package.parent / 'templates'})"
    )


def list_templates() -> list[Template]:
    """Every shipped template, by name."""
    return [_template(path) for path in sorted(templates_dir().glob("*.ipynb"))]


def get_template(name: str) -> Template:
    """The template called ``name`` (``.ipynb`` may be added); the message lists the valid names."""
    stem = name.removesuffix(".ipynb")
    templates = {t.name: t for t in list_templates()}
    if stem not in templates:
        raise TemplateError(
            f"unknown template {name!r}{did_you_mean_template(stem, templates)}; "
            f"the templates are: {', '.join(templates)}"
        )
    return templates[stem]


def parameters_of(notebook: Mapping[str, Any]) -> tuple[Parameter, ...] | None:
    """The parameters declared in a notebook's ``parameters`` cell (None: it has no such cell)."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code" and PARAMETERS_TAG in _tags(cell):
            return parse_parameters(_source(cell))
    return None


def parse_parameters(source: str) -> tuple[Parameter, ...]:
    """Parameters from the text of a parameters cell: ``name[: type] = literal  # comment``."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise TemplateError(f"the parameters cell is not valid Python: {exc.msg}") from None
    comments = _comments(source)
    found: list[Parameter] = []
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, declared, value = node.target.id, ast.unparse(node.annotation), node.value
        elif (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            name, declared, value = node.targets[0].id, "", node.value
        else:
            continue
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = ast.unparse(value) if value is not None else None
        comment = comments.get(node.end_lineno or node.lineno) or comments.get(node.lineno, "")
        found.append(Parameter(name, declared, default, comment))
    return tuple(found)


def convert(
    parameters: Sequence[Parameter], values: Mapping[str, object], where: str
) -> dict[str, object]:
    """``values`` by name, each converted to its parameter's type; unknown names are refused."""
    by_name = {p.name: p for p in parameters}
    unknown = [name for name in values if name not in by_name]
    if unknown:
        valid = ", ".join(by_name) or "none"
        raise TemplateError(
            f"unknown parameter {unknown[0]!r} for {where}{did_you_mean(unknown[0], by_name)}; "
            f"its parameters are: {valid}"
        )
    return {name: by_name[name].convert(value, where) for name, value in values.items()}


# --------------------------------------------------------------------------- helpers


def _template(path: Path) -> Template:
    nb = read_notebook(path)
    title = ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            first = _source(cell).strip().splitlines()
            title = first[0].lstrip("#").strip() if first else ""
            break
    return Template(path.stem, path, title, parameters_of(nb) or ())


def not_a_template(path: Path, hint: str) -> None:
    """Templates stay without outputs and injected parameters: never write over one."""
    if path.resolve().parent == templates_dir().resolve():
        raise TemplateError(f"{path} is in the templates folder, which is never written to; {hint}")


def did_you_mean_template(given: str, names: Iterable[str]) -> str:
    """Like :func:`did_you_mean`, and also for a unique start of a name (``roi``)."""
    names = list(names)
    starts = [n for n in names if given and n.startswith(given)]
    return f" (did you mean {starts[0]!r}?)" if len(starts) == 1 else did_you_mean(given, names)


def read_notebook(path: Path) -> dict[str, Any]:
    """The notebook JSON at ``path``; TemplateError in one line if it cannot be one."""
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise TemplateError(f"{path} is not a notebook (not UTF-8 text)") from None
    except JSONProblem as exc:
        if exc.deep:
            raise TemplateError(f"cannot read {path}: {exc.detail}") from None
        raise TemplateError(f"{path} is not a notebook (not JSON: {exc.detail})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise TemplateError(f"{path} is not a notebook (no list of cells)")
    return data


def check_notebook(nb: Mapping[str, Any], label: str) -> None:
    """Refuse a notebook that does not fit the notebook format, in one line."""
    problem = notebook_problem(nb)
    if problem is not None:
        raise TemplateError(f"{label} is not a valid notebook: {problem}")


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _comments(source: str) -> dict[int, str]:
    """Comment text by line number."""
    found: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                found[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def declares(parameters: Sequence[Parameter], name: str) -> bool:
    """Whether one of ``parameters`` is called ``name``."""
    return any(p.name == name for p in parameters)


def _kind_of(value: object) -> str:
    if value is None:
        return "None"
    for kind in (bool, int, float, str):  # bool before int: True is an int too
        if isinstance(value, kind):
            return kind.__name__
    return "any"


_REFUSED = object()
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_NONE = {"none", "null"}


def _from_text(text: str, kinds: Sequence[str]) -> object:
    """``text`` read as the first of ``kinds`` it can be, else ``_REFUSED``."""
    word = text.strip()
    lower = word.lower()
    if "None" in kinds and lower in _NONE:
        return None
    if "bool" in kinds and lower in _TRUE | _FALSE:
        return lower in _TRUE
    whole = _int(word)
    if "int" in kinds and whole is not None:
        return whole
    number = _float(word)
    if number is not None and ("float" in kinds or "int" in kinds):
        return _check(number, kinds)  # 2e4 is a whole number; 0.5 is not
    return text if "str" in kinds else _REFUSED


def _int(word: str) -> int | None:
    try:
        return int(word)
    except ValueError:
        return None


def _float(word: str) -> float | None:
    try:
        number = float(word)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _check(value: object, kinds: Sequence[str]) -> object:
    """``value`` if its type is one of ``kinds`` (an int widens to float), else ``_REFUSED``."""
    accepted: object = _REFUSED
    if value is None or isinstance(value, bool):
        accepted = value if ("None" if value is None else "bool") in kinds else _REFUSED
    elif isinstance(value, int | float) and math.isfinite(value):
        if isinstance(value, int) and "int" in kinds:
            accepted = value
        elif "float" in kinds:
            accepted = float(value)
        elif "int" in kinds and float(value).is_integer():
            accepted = int(value)
    elif isinstance(value, str) and "str" in kinds:
        accepted = value
    return accepted


_WORDS = {
    "bool": "true or false (bool)",
    "int": "a whole number (int), e.g. 5",
    "float": "a finite number (float), e.g. 0.2, 15000 or 1.5e6",
    "str": "text (str)",
}


def _expected(kinds: Sequence[str]) -> str:
    words = [_WORDS[k] for k in kinds if k in _WORDS]
    text = " or ".join(words)
    return f"{text}, or None" if "None" in kinds else text


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@contextmanager
def quiet_papermill() -> Iterator[None]:
    """Hide papermill's warnings about parameters: they are checked here, with clearer words."""
    logger = logging.getLogger("papermill")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
