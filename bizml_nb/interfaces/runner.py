"""``bizml run``: execute a notebook with papermill, never losing what a notebook held.

papermill writes its output while the notebook runs, and writes a failed run over
its output path. Here it writes to a private scratch file beside the target
instead, and only a finished run reaches the target:

- **Success**: the executed notebook replaces the target atomically (in place, the
  notebook that was run; with ``--out``, a new file, or an existing one only with
  ``--force``, which is checked before any cell runs).
- **A cell raised**: the target is untouched. The notebook as executed so far, with
  papermill's error banners, is written beside the target as ``NAME.failed.ipynb``
  (``NAME.failed-2.ipynb`` and so on when that name is taken: an earlier failure
  is never overwritten), and the message names the cell, its error and that file.
- **The kernel failed** (none installed, it died, a cell timed out): the target is
  untouched; a run that had started keeps its partial notebook as
  ``NAME.failed.ipynb`` too. On any other error (one line naming it) or Ctrl-C
  the target is untouched and the scratch file is removed.

Before any of this the notebook is checked against the notebook format
(:mod:`bizml_nb.core.nbfile`): a damaged one is refused in one line naming the file,
the place and the problem, and nothing runs. A notebook that names no kernel
(no ``kernelspec`` in its metadata, as some tools write them) runs with the
``python3`` kernel, unless its ``language_info`` names another language.

Use :func:`bizml_nb.interfaces.templates.run`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core._io import WriteError, atomic_write_text, scratch_file
from bizml_nb.core.nbfile import displayed, tags
from bizml_nb.core.outputs import check_target, make_folder, write_beside
from bizml_nb.interfaces.template_catalog import (
    INJECTED_TAG,
    PARAMETERS_TAG,
    Execution,
    TemplateError,
    check_notebook,
    convert,
    declares,
    did_you_mean_template,
    list_templates,
    not_a_template,
    parameters_of,
    quiet_papermill,
    read_notebook,
)
from bizml_nb.interfaces.template_checks import check_together, template_of

DEFAULT_KERNEL = "python3"  # for a notebook that names no kernel
#: how many times a kernel that dies before any cell ran is started: jupyter_client picks
#: its five ports, frees them and the kernel binds them later, so on a busy machine
#: another process can take one in between and the kernel dies at start
KERNEL_STARTS = 3

if TYPE_CHECKING:
    from collections.abc import Mapping


def run_notebook(
    notebook: Path | str,
    parameters: Mapping[str, object] | None,
    out: Path | str | None,
    *,
    force: bool,
    progress: bool,
    cwd: Path | str | None,
    timeout: float | None,
) -> Execution:
    """See :func:`bizml_nb.interfaces.templates.run` and this module's promises."""
    source, label = _resolve_notebook(notebook, out)
    in_place = out is None
    target = source if out is None else Path(out)
    if target.suffix != ".ipynb":
        raise TemplateError(f"--out must end in .ipynb (got {str(target)!r})")
    not_a_template(target, "give --out OUT.ipynb elsewhere")
    replace = force or in_place  # in place, replacing the notebook on success is the request
    check_target(target, force=replace)
    nb = read_notebook(source)
    check_notebook(nb, label)
    kernel = _kernel(nb, label)
    values = _values(nb, parameters, label)
    _check_together(nb, source, values, label, None if cwd is None else Path(cwd))
    injected_at = _injected_at(nb) if values else None
    make_folder(target)
    untouched = (
        f"{target} was not changed" if target.exists() else f"nothing was written to {target}"
    )

    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with scratch_file(target, suffix=".ipynb") as scratch:
        started = time.perf_counter()
        for attempt in range(1, KERNEL_STARTS + 1):
            try:
                with quiet_papermill():
                    executed = papermill.execute_notebook(
                        _literal_path(source),
                        _literal_path(scratch),
                        parameters=values or None,
                        progress_bar=progress,
                        # the kernel's folder, given to nbclient: papermill's own cwd= would
                        # chdir this whole process (and race with other threads running)
                        resources={"metadata": {"path": str(cwd)}} if cwd is not None else {},
                        execution_timeout=timeout,
                        **kernel,
                    )
                break
            except PapermillExecutionError as exc:
                kept = _keep_failed(scratch, target)
                raise TemplateError(_failure(exc, label, injected_at, untouched, kept)) from None
            except Exception as exc:
                if attempt < KERNEL_STARTS and _kernel_never_started(exc, scratch):
                    continue  # e.g. a port it was given was taken meanwhile: start another
                message, had_started = _kernel_problem(exc) or (_other_problem(exc), False)
                if attempt > 1:
                    message += f" (the kernel was started {attempt} times)"
                kept = _keep_failed(scratch, target) if had_started else ""
                lines = [f"{label} could not be run: {message}", *([f"  {kept}"] if kept else [])]
                raise TemplateError("\n".join([*lines, f"  {untouched}"])) from None
        seconds = time.perf_counter() - started
        executed.metadata.papermill["output_path"] = str(target)
        text = nbformat.writes(executed)  # type: ignore[no-untyped-call]
        try:
            atomic_write_text(target, text, force=replace)
        except WriteError as exc:  # e.g. OUT appeared while the notebook ran: keep the work
            kept = _keep(target, text, "executed")
            raise WriteError(f"{exc}\n  {kept}") from None
    shown = displayed(executed)
    record = shown.record if isinstance(shown.record, dict) else None
    return Execution(target, seconds, shown.summary, record)


def _values(
    nb: Mapping[str, Any], parameters: Mapping[str, object] | None, label: str
) -> dict[str, object]:
    """The parameters to inject: those injected before, updated with ``parameters``."""
    if not parameters:
        return {}
    declared = parameters_of(nb)
    if declared is None:
        raise TemplateError(f"{label} has no cell tagged 'parameters', so it takes no parameters")
    given = convert(declared, parameters, label)
    previous = nb.get("metadata", {}).get("papermill", {}).get("parameters") or {}
    values = {k: v for k, v in previous.items() if declares(declared, k)}
    values.update(given)  # papermill replaces the injected cell: keep what was injected
    return values


def _check_together(
    nb: Mapping[str, Any],
    source: Path,
    values: Mapping[str, object],
    label: str,
    folder: Path | None,
) -> None:
    """Refuse, before anything runs, what a template's first cell would refuse."""
    template = template_of(nb, source)
    declared = parameters_of(nb)
    if template is None or declared is None:
        return
    previous = nb.get("metadata", {}).get("papermill", {}).get("parameters") or {}
    injected = {k: v for k, v in previous.items() if declares(declared, k)}
    check_together(template, declared, {**injected, **values}, label, folder)


def _literal_path(path: Path) -> str:
    """``path`` as papermill expects it: papermill formats paths with the parameters."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _keep_failed(scratch: Path, target: Path) -> str:
    """Save the failed execution beside ``target``; the words that say where (or why not)."""
    try:
        text = scratch.read_text(encoding="utf-8")
    except OSError:
        text = ""
    return _keep(target, text, "failed") if text.strip() else ""


def _keep(target: Path, text: str, word: str) -> str:
    """Write ``text`` beside ``target`` as NAME.WORD.ipynb (numbered if taken); say where."""
    import nbformat

    try:
        kept = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except Exception:  # a half-written notebook is still worth keeping as it is
        kept = None
    stem = target.name.removesuffix(".ipynb")

    def name(number: int) -> str:
        return f"{stem}.{word}.ipynb" if number == 1 else f"{stem}.{word}-{number}.ipynb"

    def write(candidate: Path) -> None:
        content = text
        if kept is not None:
            kept.metadata.setdefault("papermill", {})["output_path"] = str(candidate)
            content = nbformat.writes(kept)  # type: ignore[no-untyped-call]
        atomic_write_text(candidate, content, force=False)

    what = "as executed so far, with the error marked," if word == "failed" else "as executed"
    try:
        path = write_beside(target, name, write)
    except WriteError as exc:
        return f"the notebook {what} could not be saved: {exc}"
    return f"the notebook {what} is in {path}"


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
    if path.is_dir():
        raise TemplateError(f"{path} is a folder; give a notebook file or a template's name")
    hint = did_you_mean_template(stem, names)
    raise TemplateError(
        f"no notebook at {str(path)!r}{hint}; give a notebook file or one of the templates: "
        f"{', '.join(names)}"
    )


def _kernel(nb: Mapping[str, Any], label: str) -> dict[str, Any]:
    """papermill's kernel arguments: ``python3`` for a notebook that names no kernel.

    ipykernel logs a warning at start (TCP without encryption) and at times an
    error at shutdown: a Python kernel is started with its logging turned down.
    """
    metadata = nb.get("metadata", {})
    spec = metadata.get("kernelspec") or {}
    language = spec.get("language") or (metadata.get("language_info") or {}).get("name")
    chosen: dict[str, Any] = {}
    if not spec.get("name"):
        if language not in (None, "python"):
            raise TemplateError(
                f"{label} names no kernel (its metadata has no kernelspec) and its language "
                f"is {language!r}: open it in Jupyter, choose its kernel, save it, and run it again"
            )
        chosen = {"kernel_name": DEFAULT_KERNEL, "language": "python"}
        language = "python"
    if language == "python":
        chosen["extra_arguments"] = ["--IPKernelApp.log_level=CRITICAL"]
    return chosen


def _injected_at(nb: Mapping[str, Any]) -> int | None:
    """Where papermill will add an injected-parameters cell (None: it replaces one in place)."""
    cells = nb.get("cells", [])
    if any(INJECTED_TAG in tags(c) for c in cells):
        return None
    for index, cell in enumerate(cells):
        if PARAMETERS_TAG in tags(cell):
            return index + 1
    return 0


def _failure(exc: Any, label: str, injected_at: int | None, untouched: str, kept: str) -> str:
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
    lines = [f"{label} failed in {cell} ({count}): {error}", f"  the cell begins: {first}"]
    return "\n".join([*lines, *([f"  {kept}"] if kept else []), f"  {untouched}"])


def _no_kernel(kernel: str) -> str:
    """Words for a missing kernel, with the one command that installs it for this Python."""
    import importlib.util
    import shlex

    python = shlex.quote(sys.executable)
    if importlib.util.find_spec("ipykernel") is None:
        return (
            f"no Jupyter kernel named {kernel!r}: ipykernel is not installed in this Python "
            f"(install it: `{python} -m pip install ipykernel`)"
        )
    return (
        f"no Jupyter kernel named {kernel!r} "
        f"(install one: `{python} -m ipykernel install --user --name {shlex.quote(kernel)}`)"
    )


def _kernel_problem(exc: Exception) -> tuple[str, bool] | None:
    """Words for the failures that are not a cell's error, and whether any cell had run."""
    name = type(exc).__name__
    if name == "NoSuchKernel":
        return _no_kernel(str(exc.args[0]) if exc.args else "python3"), False
    if name == "DeadKernelError":
        return f"the kernel died ({exc})", True
    if name == "CellTimeoutError":
        return f"a cell timed out ({_first_line(exc)})", True
    return None


def _kernel_never_started(exc: Exception, scratch: Path) -> bool:
    """Whether the kernel failed before any cell ran: papermill's notebook has no cell
    with a start time (a missing kernel, which no retry finds, is not this)."""
    if type(exc).__name__ == "NoSuchKernel" or not scratch.exists():
        return False
    try:
        nb = read_notebook(scratch)
    except Exception:
        return False
    cells = [cell.get("metadata", {}).get("papermill") for cell in nb["cells"]]
    return bool(cells) and all(
        isinstance(cell, dict) and cell.get("start_time") is None for cell in cells
    )


def _other_problem(exc: Exception) -> str:
    """Words for any other failure of papermill or the kernel: its type and first line."""
    line = _first_line(exc)
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else ""
