"""Per-example predictions of a run, kept beside the ledger as one compressed numpy file.

``bizml_nb.log_predictions(y_true, y_pred, proba=..., amount=..., ids=...)`` inside
an experiment stores what the model said about each test example, so that a
confusion link can price each error by its own amount and two runs scored on the
same examples can be compared pairwise. The file is
``<ledger folder>/predictions/<run id>.npz`` (``numpy.savez_compressed``, written
atomically through :mod:`bizml_nb.core._io`), with the arrays ``ids`` (strings or
integers; ``0 .. n-1`` when none are given), ``y_true`` and ``y_pred`` (0 or 1, int8),
``proba`` (float64, optional) and one float64 array per amount column, named
``col_<name>`` (``amount=`` gives the column ``amount``), and ``format`` (the string
``bizml.predictions 1``). The ledger's SQL schema and the run record do not change:
the file's existence, keyed by the run id, is the note that a run has predictions.

Which folders hold predictions: every :class:`~bizml_nb.core.ledger.Ledger` opened in
this process says where it lives (:func:`watch`), and :func:`find` looks a run id up
in those folders (run ids are unique across ledgers). A process that opens many
projects (the Jupyter server) computes each one inside :func:`scoped`, which limits
:func:`find` to that project's own predictions folder: two copies of a project share
their run ids. The folders and the cache (at most :data:`CACHE_SIZE` files, least
recently used dropped) are shared by threads under one lock. Numpy is imported inside
the functions: importing this module costs nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core.errors import InvalidArguments, LedgerError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]
    Ints = npt.NDArray[np.int8]

FORMAT = "bizml.predictions 1"
FOLDER = "predictions"
AMOUNT = "amount"
MAX_EXAMPLES = 100_000_000
AMOUNT_LIMIT = 1e15  # |amount| of one example, as for an ML metric

CACHE_SIZE = 64  # predictions files kept read

_lock = threading.Lock()  # guards _folders and _cache
_folders: dict[Path, None] = {}  # ordered: the latest ledger first when looked up
_cache: OrderedDict[Path, tuple[int, int, Predictions]] = OrderedDict()
_scope: ContextVar[Path | None] = ContextVar("bizml_predictions_scope", default=None)


@dataclass(frozen=True, eq=False)
class Predictions:
    """What a classifier said about each example: labels, decisions, scores, amounts."""

    ids: Any  # a numpy array of int64 or str
    y_true: Ints
    y_pred: Ints
    proba: Floats | None = None
    columns: Mapping[str, Floats] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.y_true.shape[0])

    def counts(self) -> dict[str, float]:
        """The confusion counts ``tn``, ``fp``, ``fn``, ``tp``."""
        t, p = self.y_true, self.y_pred
        return {
            "tn": float(((t == 0) & (p == 0)).sum()),
            "fp": float(((t == 0) & (p == 1)).sum()),
            "fn": float(((t == 1) & (p == 0)).sum()),
            "tp": float(((t == 1) & (p == 1)).sum()),
        }

    def column(self, name: str) -> Floats:
        """The amount column ``name``; InvalidArguments naming the columns there are."""
        if name not in self.columns:
            have = ", ".join(sorted(self.columns)) or "none"
            raise InvalidArguments(
                f"the predictions have no amount column {name!r} (columns: {have}); "
                "log it with log_predictions(..., amount=...)",
                "amount_column",
            )
        return self.columns[name]


def build(
    y_true: Any,
    y_pred: Any,
    *,
    proba: Any = None,
    amount: Any = None,
    ids: Any = None,
) -> Predictions:
    """Check what a user passes and make :class:`Predictions`; one clear error if wrong.

    ``amount`` is one array (the column ``amount``) or a mapping of column names to
    arrays. Every array must have one entry per example.
    """
    import numpy as np

    truth = _labels(y_true, "y_true")
    n = truth.shape[0]
    if n == 0:
        raise InvalidArguments("{y_true} is empty: log at least one example", "y_true")
    if n > MAX_EXAMPLES:
        raise InvalidArguments(f"at most {MAX_EXAMPLES:,} examples (got {n:,})", "y_true")
    decided = _labels(y_pred, "y_pred", n)
    scores = None if proba is None else _floats(proba, "proba", n, low=0.0, high=1.0)
    columns: dict[str, Floats] = {}
    if amount is not None:
        given = amount if isinstance(amount, Mapping) else {AMOUNT: amount}
        for name, values in given.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise InvalidArguments(
                    f"an amount column's name must be a Python identifier (not {name!r})",
                    "amount",
                )
            columns[name] = _floats(values, "amount", n, low=-AMOUNT_LIMIT, high=AMOUNT_LIMIT)
    if ids is None:
        keys: Any = np.arange(n, dtype=np.int64)
    else:
        keys = np.asarray(ids)
        if keys.ndim != 1 or keys.shape[0] != n:
            raise InvalidArguments(f"{{ids}} needs one id per example ({n:,})", "ids")
        if keys.dtype.kind in "iub":
            keys = keys.astype(np.int64)
        elif keys.dtype.kind in "UO":
            keys = keys.astype(str)
        else:
            raise InvalidArguments("{ids} must be integers or strings", "ids")
        if np.unique(keys).shape[0] != n:
            raise InvalidArguments("{ids} must not repeat", "ids")
    return Predictions(keys, truth, decided, scores, columns)


def _array(values: Any, keyword: str, n: int | None) -> Any:
    import numpy as np

    try:
        array = np.asarray(values)
    except (TypeError, ValueError):
        raise InvalidArguments(f"{{{keyword}}} must be an array of numbers", keyword) from None
    if array.ndim != 1:
        raise InvalidArguments(
            f"{{{keyword}}} must be one-dimensional (got shape {array.shape})", keyword
        )
    if n is not None and array.shape[0] != n:
        raise InvalidArguments(
            f"{{{keyword}}} has {array.shape[0]:,} entries; y_true has {n:,}", keyword
        )
    return array


def _labels(values: Any, keyword: str, n: int | None = None) -> Ints:
    import numpy as np

    array = _array(values, keyword, n)
    if array.dtype.kind not in "biuf" or not np.isin(array, (0, 1)).all():
        raise InvalidArguments(
            f"{{{keyword}}} must hold the classes 0 and 1 only (1: the positive class)", keyword
        )
    labels: Ints = array.astype(np.int8)
    return labels


def _floats(values: Any, keyword: str, n: int, *, low: float, high: float) -> Floats:
    import numpy as np

    array = _array(values, keyword, n)
    if array.dtype.kind not in "biuf":
        raise InvalidArguments(f"{{{keyword}}} must be numbers", keyword)
    floats: Floats = array.astype(np.float64)
    if not np.isfinite(floats).all() or (floats < low).any() or (floats > high).any():
        raise InvalidArguments(
            f"{{{keyword}}} must be finite numbers from {low:g} to {high:g}", keyword
        )
    return floats


# --------------------------------------------------------------------------- files


def folder_of(ledger_path: Path | str) -> Path:
    """The folder that holds the predictions of the runs of the ledger at ``ledger_path``."""
    return Path(ledger_path).parent / FOLDER


def path_of(ledger_path: Path | str, run_id: str) -> Path:
    return folder_of(ledger_path) / f"{run_id}.npz"


def save(ledger_path: Path | str, run_id: str, predictions: Predictions) -> Path:
    """Write ``predictions`` for ``run_id`` beside the ledger, atomically; return the path."""
    import io

    import numpy as np

    from bizml_nb.core._io import atomic_write_bytes, make_folder

    arrays: dict[str, Any] = {
        "format": np.array(FORMAT),
        "ids": predictions.ids,
        "y_true": predictions.y_true,
        "y_pred": predictions.y_pred,
    }
    if predictions.proba is not None:
        arrays["proba"] = predictions.proba
    for name, values in predictions.columns.items():
        arrays[f"col_{name}"] = values
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path = path_of(ledger_path, run_id)
    make_folder(path)
    atomic_write_bytes(path, buffer.getvalue())
    watch(ledger_path)
    with _lock:
        _cache.pop(path, None)
    return path


def load(path: Path) -> Predictions:
    """Read a predictions file; LedgerError naming it when it is not one."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as data:
            if "format" not in data or str(data["format"]) != FORMAT:
                raise LedgerError(f"{path} is not a bizml predictions file ({FORMAT})")
            proba = data["proba"].astype(np.float64) if "proba" in data else None
            columns = {
                key[4:]: data[key].astype(np.float64) for key in data.files if key[:4] == "col_"
            }
            result = Predictions(
                data["ids"], data["y_true"].astype(np.int8), data["y_pred"].astype(np.int8),
                proba, columns,
            )  # fmt: skip
    except (OSError, ValueError, KeyError) as exc:
        raise LedgerError(f"cannot read the predictions file {path}: {exc}") from None
    n = result.n
    if any(a.shape != (n,) for a in (result.ids, result.y_pred, *result.columns.values())):
        raise LedgerError(f"the predictions file {path} is damaged: its arrays differ in length")
    return result


def watch(ledger_path: Path | str) -> None:
    """Remember that runs of the ledger at ``ledger_path`` may have predictions."""
    folder = folder_of(ledger_path)
    with _lock:
        _folders.pop(folder, None)
        _folders[folder] = None


@contextmanager
def scoped(folder: Path | str) -> Iterator[None]:
    """Inside this block (in this thread or task), :func:`find` looks only in ``folder``.

    ``folder`` is a project's ``<ledger folder>/predictions``; the watched folders of
    other ledgers are not searched.
    """
    token = _scope.set(Path(folder))
    try:
        yield
    finally:
        _scope.reset(token)


def find(run_id: str) -> Predictions | None:
    """The predictions of run ``run_id`` in any watched folder, or None (read once, cached).

    Inside :func:`scoped`, only the scope's folder is searched.
    """
    scope = _scope.get()
    if scope is not None:
        folders = [scope]
    else:
        with _lock:
            folders = list(reversed(_folders))
    for folder in folders:
        path = folder / f"{run_id}.npz"
        try:
            stat = path.stat()
        except OSError:
            continue
        with _lock:
            cached = _cache.get(path)
            if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
                _cache.move_to_end(path)
                return cached[2]
        predictions = load(path)
        with _lock:
            _cache[path] = (stat.st_mtime_ns, stat.st_size, predictions)
            _cache.move_to_end(path)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return predictions
    return None


__all__ = [
    "AMOUNT",
    "FOLDER",
    "FORMAT",
    "Predictions",
    "build",
    "find",
    "folder_of",
    "load",
    "path_of",
    "save",
    "scoped",
    "watch",
]
