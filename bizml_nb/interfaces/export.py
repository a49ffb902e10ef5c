"""Export the ledger's runs to CSV, JSON or Parquet."""

from __future__ import annotations

import importlib.util
import json
from typing import TYPE_CHECKING

from bizml_nb.core._io import atomic_write_text, atomic_write_with
from bizml_nb.core.errors import LedgerError
from bizml_nb.core.outputs import check_target

if TYPE_CHECKING:
    from pathlib import Path

    from bizml_nb.core.ledger import Ledger

FORMATS = ("csv", "json", "parquet")


def export_runs(
    ledger: Ledger, out: Path, *, fmt: str, target: str | None = None, force: bool = False
) -> int:
    """Write the runs to ``out``; return how many. Refuses to replace a file unless ``force``.

    JSON is a list of full run records (the same as the notebook MIME record),
    lossless and readable by ``bizml ledger import``. CSV and Parquet are the
    DataFrame of :meth:`Ledger.frame`, with tags and params as JSON text. The file
    is written whole or not at all (a unique temporary file beside it, then a
    rename); the folder must exist.
    """
    if fmt not in FORMATS:
        raise LedgerError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    check_target(out, force=force)
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:
        raise LedgerError(
            "Parquet export needs pyarrow: `pip install pyarrow`, or use --format csv"
        )
    if fmt == "json":
        records = [run.to_record() for run in ledger.runs(target)]
        atomic_write_text(
            out, json.dumps(records, indent=1, ensure_ascii=False) + "\n", force=force
        )
        return len(records)
    frame = ledger.frame(target)
    frame["tags"] = [json.dumps(list(t), ensure_ascii=False) for t in frame["tags"]]
    frame["params"] = [json.dumps(p, ensure_ascii=False, default=str) for p in frame["params"]]

    def write(path: Path) -> None:
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)

    atomic_write_with(out, write, force=force)
    return len(frame)
