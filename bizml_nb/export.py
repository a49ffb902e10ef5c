"""Export the ledger's runs to CSV, JSON or Parquet."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from bizml_nb.errors import LedgerError

if TYPE_CHECKING:
    from pathlib import Path

    from bizml_nb.ledger import Ledger

FORMATS = ("csv", "json", "parquet")


def export_runs(
    ledger: Ledger, out: Path, *, fmt: str, target: str | None = None, force: bool = False
) -> int:
    """Write the runs to ``out``; return how many. Refuses to replace a file unless ``force``.

    JSON is a list of full run records (the same as the notebook MIME record),
    lossless and readable by ``bizml ledger import``. CSV and Parquet are the
    DataFrame of :meth:`Ledger.frame`, with tags and params as JSON text.
    """
    if fmt not in FORMATS:
        raise LedgerError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if out.exists() and not force:
        raise LedgerError(
            f"{out} already exists; pass --force to replace it, or pick another --out"
        )
    if fmt == "json":
        records = [run.to_record() for run in ledger.runs(target)]
        _write_text(out, json.dumps(records, indent=1, ensure_ascii=False) + "\n")
        return len(records)
    frame = ledger.frame(target)
    frame["tags"] = [json.dumps(list(t), ensure_ascii=False) for t in frame["tags"]]
    frame["params"] = [json.dumps(p, ensure_ascii=False, default=str) for p in frame["params"]]
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        else:
            try:
                frame.to_parquet(tmp, index=False)
            except ImportError:
                raise LedgerError(
                    "Parquet export needs pyarrow: `pip install pyarrow`, or use --format csv"
                ) from None
        tmp.replace(out)
    except OSError as exc:
        raise LedgerError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return len(frame)


def _write_text(out: Path, text: str) -> None:
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LedgerError(f"cannot write {out}: {exc.strerror or exc}") from None
