"""Template notebooks: list them with their parameters, instantiate one, run a notebook.

    bizml templates
    bizml new roi_analysis my_roi.ipynb -p annual_benefit_mode 2e6 -p years 3
    bizml run my_roi.ipynb --out my_roi.done.ipynb

A template is a notebook in ``templates/`` whose cell tagged ``parameters`` holds
one typed assignment per parameter with a comment (papermill's convention)::

    eng_months: float = 6.0  # engineering person-months to build and deploy
    deploy_days: float | None = None  # days to go live; None: the survey prior

The cell is parsed with :mod:`ast` (papermill's ``inspect_notebook`` skips an
annotation such as ``float | None``). Values given as text (``-p NAME VALUE``)
are converted to the declared type;
``None`` is accepted where the type allows it. Each template ends with a cell
tagged ``decision-summary`` that prints a plain-language summary and displays a
JSON record (``application/vnd.bizml.roi+json`` or ``...maturity+json``), which
:func:`read_record` reads back from an executed notebook.

papermill and nbformat are imported only inside the functions that execute or
write notebooks: listing templates reads the JSON directly.
"""

from __future__ import annotations

import ast
import io
import logging
import math
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core._io import atomic_write_text
from bizml_nb.core.errors import BizmlError, did_you_mean
from bizml_nb.core.nbfile import RECORD_PREFIX, displayed, notebook_problem
from bizml_nb.core.nbfile import tags as _tags
from bizml_nb.core.outputs import check_target, make_folder

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
    type: str  # as declared, e.g. "float | None"; "" when not annotated
    default: Any
    comment: str

    @property
    def kinds(self) -> tuple[str, ...]:
        """The accepted kinds, among bool, int, float, str and None ("any" if unknown)."""
        declared = self.type or _kind_of(self.default)
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
        converted = _from_text(value, kinds) if isinstance(value, str) else _check(value, kinds)
        if converted is _REFUSED:
            place = f" of {where}" if where else ""
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
    summary: str  # what the decision-summary cell printed ("" if the notebook has none)
    record: dict[str, Any] | None  # its JSON record (None if it displayed none)


# --------------------------------------------------------------------------- public functions


def templates_dir() -> Path:
    """The folder of the shipped templates: inside the package (wheel), else the repository's."""
    import bizml_nb

    package = Path(bizml_nb.__file__).resolve().parent
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
            f"unknown template {name!r}{_did_you_mean(stem, templates)}; "
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


def new(
    template: str,
    dest: Path | str,
    parameters: Mapping[str, object] | None = None,
    *,
    force: bool = False,
) -> Path:
    """Write ``dest``: the template with ``parameters`` injected (papermill's prepare step).

    Nothing runs. Refuses an unknown template or parameter, a value of the wrong
    type, and an existing ``dest`` unless ``force``.
    """
    chosen = get_template(template)
    values = chosen.convert(parameters or {})
    dest = Path(dest)
    if dest.suffix != ".ipynb":
        raise TemplateError(f"the new notebook's name must end in .ipynb (got {str(dest)!r})")
    _not_a_template(dest, "pick a name elsewhere")
    check_target(dest, force=force)
    make_folder(dest)
    import nbformat
    import papermill

    with _quiet_papermill():
        nb = papermill.execute_notebook(
            chosen.path, None, parameters=values, prepare_only=True, progress_bar=False
        )
    nb.metadata.papermill["output_path"] = str(dest)
    atomic_write_text(dest, nbformat.writes(nb), force=force)  # type: ignore[no-untyped-call]
    return dest


def run(
    notebook: Path | str,
    parameters: Mapping[str, object] | None = None,
    out: Path | str | None = None,
    *,
    force: bool = False,
    progress: bool = True,
    cwd: Path | str | None = None,
    timeout: float | None = None,
) -> Execution:
    """Execute ``notebook`` with papermill and write it to ``out`` (default: in place).

    ``notebook`` is a path, or a template's name (then ``out`` is required: a
    template is never changed). An existing ``out`` is refused before anything
    runs, unless ``force``. ``parameters`` are checked and converted like
    :func:`new`'s and merged with those injected before. Only a run whose cells
    all succeed writes the target. A cell that raises stops the run with a message
    naming the cell (its number in the notebook as given, its ``In [n]`` and first
    line) and the error; the target is left as it was and the executed part, with
    papermill's error banners, is written beside it as ``NAME.failed.ipynb``
    (numbered ``NAME.failed-2.ipynb``... rather than replacing an earlier one).
    ``cwd`` is the kernel's working folder (default: this process's, never changed).
    The notebook is first checked against the notebook format (TemplateError naming
    the place of a problem); one whose metadata names no kernel (no ``kernelspec``)
    runs with the ``python3`` kernel, unless its ``language_info`` names another
    language.
    """
    from bizml_nb.interfaces.runner import run_notebook

    return run_notebook(
        notebook, parameters, out, force=force, progress=progress, cwd=cwd, timeout=timeout
    )


def read_record(
    notebook: Path | str | Mapping[str, Any], mime: str | None = None
) -> dict[str, Any]:
    """The JSON record an executed notebook displayed (``application/vnd.bizml.*+json``).

    The decision-summary cell's record is preferred; otherwise the last record
    in the notebook. ``mime`` picks one type, e.g. ``application/vnd.bizml.roi+json``.
    The notebook must fit the notebook format, and the record the rules every reader
    of records applies (:func:`bizml_nb.interfaces.nbimport.check_record`: finite numbers, short
    integers, sizes); else TemplateError names the place, or the cell and the field.
    """
    from bizml_nb.core.schema import RecordError
    from bizml_nb.interfaces.nbimport import check_record

    nb: Mapping[str, Any] = notebook if not isinstance(notebook, str | Path) else {}
    label = "the notebook"
    if isinstance(notebook, str | Path):
        label, nb = str(notebook), _read_json(Path(notebook))
    _check_structure(nb, label)
    found = displayed(nb, mime)
    if found.record is None:
        what = mime or f"{RECORD_PREFIX}*+json"
        raise TemplateError(f"the notebook displayed no {what} record (was it executed?)")
    try:
        check_record(found.record, found.mime, f"{label}, cell {found.cell + 1}")
    except RecordError as exc:
        raise TemplateError(str(exc)) from None
    record: dict[str, Any] = found.record
    return record


# --------------------------------------------------------------------------- helpers


def _template(path: Path) -> Template:
    nb = _read_json(path)
    title = ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            first = _source(cell).strip().splitlines()
            title = first[0].lstrip("#").strip() if first else ""
            break
    return Template(path.stem, path, title, parameters_of(nb) or ())


def _not_a_template(path: Path, hint: str) -> None:
    """Templates stay without outputs and injected parameters: never write over one."""
    if path.resolve().parent == templates_dir().resolve():
        raise TemplateError(f"{path} is in the templates folder, which is never written to; {hint}")


def _did_you_mean(given: str, names: Iterable[str]) -> str:
    """Like :func:`did_you_mean`, and also for a unique start of a name (``roi``)."""
    names = list(names)
    starts = [n for n in names if given and n.startswith(given)]
    return f" (did you mean {starts[0]!r}?)" if len(starts) == 1 else did_you_mean(given, names)


def _read_json(path: Path) -> dict[str, Any]:
    from bizml_nb.core.schema import JSONProblem, parse_json

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


def _check_structure(nb: Mapping[str, Any], label: str) -> None:
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


def _declared(parameters: Sequence[Parameter], name: str) -> bool:
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
def _quiet_papermill() -> Iterator[None]:
    """Hide papermill's warnings about parameters: they are checked here, with clearer words."""
    logger = logging.getLogger("papermill")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


__all__ = [
    "Execution",
    "Parameter",
    "Template",
    "TemplateError",
    "convert",
    "get_template",
    "list_templates",
    "new",
    "parameters_of",
    "parse_parameters",
    "read_record",
    "run",
    "templates_dir",
]
