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
import json
import logging
import math
import time
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.errors import BizmlError, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping, Sequence

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
SUMMARY_TAG = "decision-summary"
RECORD_PREFIX = "application/vnd.bizml."
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
    for folder in (package / "templates", package.parent / "templates"):
        if folder.is_dir() and any(folder.glob("*.ipynb")):
            return folder
    raise TemplateError(
        f"no templates found (looked in {package / 'templates'} and {package.parent / 'templates'})"
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
    if dest.exists() and not force:
        raise TemplateError(
            f"{dest} already exists; pass --force to replace it, or pick another name"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    import papermill

    with _quiet_papermill():
        papermill.execute_notebook(
            str(chosen.path),
            str(dest),
            parameters=values,
            prepare_only=True,
            progress_bar=False,
        )
    return dest


def run(
    notebook: Path | str,
    parameters: Mapping[str, object] | None = None,
    out: Path | str | None = None,
    *,
    progress: bool = True,
    cwd: Path | str | None = None,
    timeout: float | None = None,
) -> Execution:
    """Execute ``notebook`` with papermill and write it to ``out`` (default: in place).

    ``notebook`` is a path, or a template's name (then ``out`` is required: a
    template is never changed). ``parameters`` are checked and converted like
    :func:`new`'s and merged with those injected before. A cell that raises
    stops the run with a message naming the cell (its number in the notebook as
    given, its ``In [n]`` and first line) and the error; the executed part is
    still written to ``out``, with papermill's error banners. ``cwd`` is the
    kernel's working folder (default: this process's, which is never changed).
    """
    source, label = _resolve_notebook(notebook, out)
    target = Path(out) if out is not None else source
    if target.suffix != ".ipynb":
        raise TemplateError(f"--out must end in .ipynb (got {str(target)!r})")
    _not_a_template(target, "give --out OUT.ipynb elsewhere")
    nb = _read_json(source)
    values: dict[str, object] = {}
    if parameters:
        declared = parameters_of(nb)
        if declared is None:
            raise TemplateError(
                f"{label} has no cell tagged 'parameters', so it takes no parameters"
            )
        given = convert(declared, parameters, label)
        previous = nb.get("metadata", {}).get("papermill", {}).get("parameters") or {}
        values = {k: v for k, v in previous.items() if _declared(declared, k)}
        values.update(given)  # papermill replaces the injected cell: keep what was injected
    injected_at = _injected_at(nb) if values else None
    target.parent.mkdir(parents=True, exist_ok=True)

    import papermill
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    try:
        with _quiet_papermill():
            executed = papermill.execute_notebook(
                str(source),
                str(target),
                parameters=values or None,
                progress_bar=progress,
                # the kernel's folder, given to nbclient: papermill's own cwd= would chdir
                # this whole process (and race with other threads running notebooks)
                resources={"metadata": {"path": str(cwd)}} if cwd is not None else {},
                execution_timeout=timeout,
                **_quiet_kernel(nb),
            )
    except PapermillExecutionError as exc:
        raise TemplateError(_failure(exc, label, target, injected_at)) from None
    except Exception as exc:
        message = _kernel_problem(exc)
        if message is None:
            raise
        raise TemplateError(f"{label} could not be run: {message}") from None
    seconds = time.perf_counter() - started
    summary, record = _summary(executed)
    return Execution(target, seconds, summary, record)


def read_record(
    notebook: Path | str | Mapping[str, Any], mime: str | None = None
) -> dict[str, Any]:
    """The JSON record an executed notebook displayed (``application/vnd.bizml.*+json``).

    The decision-summary cell's record is preferred; otherwise the last record
    in the notebook. ``mime`` picks one type, e.g. ``application/vnd.bizml.roi+json``.
    """
    nb = notebook if not isinstance(notebook, str | Path) else _read_json(Path(notebook))
    _, record = _summary(nb, mime)
    if record is None:
        what = mime or f"{RECORD_PREFIX}*+json"
        raise TemplateError(f"the notebook displayed no {what} record (was it executed?)")
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


def _resolve_notebook(notebook: Path | str, out: Path | str | None) -> tuple[Path, str]:
    path = Path(notebook)
    if path.is_file():
        return path, str(path)
    names = {t.name: t for t in list_templates()}
    stem = str(notebook).removesuffix(".ipynb")
    if stem in names and path.parent == Path():
        if out is None:
            raise TemplateError(
                f"{stem} is a template: give --out OUT.ipynb for the executed copy "
                f"(or `bizml new {stem} OUT.ipynb` first)"
            )
        return names[stem].path, f"template {stem}"
    hint = _did_you_mean(stem, names)
    raise TemplateError(
        f"no notebook at {str(path)!r}{hint}; give a notebook file or one of the templates: "
        f"{', '.join(names)}"
    )


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
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise TemplateError(f"{path} is not a notebook (not JSON: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise TemplateError(f"{path} is not a notebook (no list of cells)")
    return data


def _tags(cell: Mapping[str, Any]) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return list(tags) if isinstance(tags, list) else []


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


def _quiet_kernel(nb: Mapping[str, Any]) -> dict[str, Any]:
    """ipykernel logs a warning at start (TCP without encryption) and at times an error at shutdown."""
    metadata = nb.get("metadata", {})
    language = metadata.get("kernelspec", {}).get("language") or metadata.get(
        "language_info", {}
    ).get("name")
    return {"extra_arguments": ["--IPKernelApp.log_level=CRITICAL"]} if language == "python" else {}


def _injected_at(nb: Mapping[str, Any]) -> int | None:
    """Where papermill will add an injected-parameters cell (None: it replaces one in place)."""
    cells = nb.get("cells", [])
    if any(INJECTED_TAG in _tags(c) for c in cells):
        return None
    for index, cell in enumerate(cells):
        if PARAMETERS_TAG in _tags(cell):
            return index + 1
    return 0


def _failure(exc: Any, label: str, saved: Path, injected_at: int | None) -> str:
    """The message for a cell that raised; cell numbers count cells in the notebook as given."""
    index = int(exc.cell_index)  # in the executed notebook, before papermill's error banners
    if injected_at is not None and index == injected_at:
        cell = "the injected parameters cell"
    else:
        if injected_at is not None and index > injected_at:
            index -= 1  # papermill added the injected-parameters cell before this one
        cell = f"cell {index + 1}"
    source = str(exc.source or "").strip().splitlines()
    first = source[0] if source else ""
    count = f"In [{exc.exec_count}]" if exc.exec_count is not None else "not executed"
    error = f"{exc.ename}: {exc.evalue}" if exc.evalue else str(exc.ename)
    lines = [
        f"{label} failed in {cell} ({count}): {error}",
        f"  the cell begins: {first}",
        f"  the notebook as executed so far, with the error marked, is in {saved}",
    ]
    return "\n".join(lines)


def _kernel_problem(exc: Exception) -> str | None:
    """Words for the failures that are not a cell's error (no kernel, dead kernel, timeout)."""
    name = type(exc).__name__
    if name == "NoSuchKernel":
        return f"no Jupyter kernel named {exc.args[0]!r} (install one: `python -m ipykernel install --user`)"
    if name == "DeadKernelError":
        return f"the kernel died ({exc})"
    if name == "CellTimeoutError":
        return f"a cell timed out ({str(exc).strip().splitlines()[0]})"
    return None


def _summary(nb: Mapping[str, Any], mime: str | None = None) -> tuple[str, dict[str, Any] | None]:
    """The text printed by the decision-summary cell, and the notebook's JSON record."""
    summary = ""
    record: dict[str, Any] | None = None
    summary_record: dict[str, Any] | None = None
    for cell in nb.get("cells", []):
        is_summary = SUMMARY_TAG in _tags(cell)
        for output in cell.get("outputs", []) or []:
            if (
                is_summary
                and output.get("output_type") == "stream"
                and output.get("name") == "stdout"
            ):
                text = output.get("text", "")
                summary += "".join(text) if isinstance(text, list) else str(text)
            for key, value in (output.get("data") or {}).items():
                wanted = (
                    key == mime if mime else key.startswith(RECORD_PREFIX) and key.endswith("+json")
                )
                if wanted and isinstance(value, dict):
                    record = value
                    if is_summary:
                        summary_record = value
    return summary.rstrip("\n"), summary_record if summary_record is not None else record


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
