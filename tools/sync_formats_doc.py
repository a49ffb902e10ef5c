"""Rewrite the generated tables of docs/formats.md from the registry's field metadata.

    python tools/sync_formats_doc.py          # rewrite docs/formats.md
    python tools/sync_formats_doc.py --check  # exit 1 when it is out of date

The table of ``[metrics.NAME]`` keys is built from the ``FieldSpec`` of each field
of :class:`bizml_nb.core.registry.BusinessMetric`; tests/test_fields.py fails when
the file differs from what this script writes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from bizml_nb.core.registry import BusinessMetric
from bizml_nb.core.registry.fields import markdown_table, specs

DOC = Path(__file__).resolve().parents[1] / "docs" / "formats.md"
BLOCK = re.compile(r"(<!-- metric-keys:[^\n]*-->\n)(.*?)(<!-- end metric-keys -->)", re.DOTALL)


def synced(text: str) -> str:
    """``text`` (docs/formats.md) with its metric-keys table generated afresh."""
    table = markdown_table(specs(BusinessMetric), command="%bizml metric")
    new, count = BLOCK.subn(lambda m: m[1] + table + m[3], text)
    if count != 1:
        raise SystemExit(f"{DOC}: expected one metric-keys block, found {count}")
    return new


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = synced(text)
    if "--check" in argv:
        if new != text:
            print(f"{DOC} is out of date: run `python tools/sync_formats_doc.py`")
            return 1
        return 0
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"rewrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
