"""The declared fields of a registry entry, written once as dataclass field metadata.

A field of :class:`~bizml_nb.core.registry.metric.BusinessMetric` that carries a
:class:`FieldSpec` (``field(metadata=declared(...))``) is a key of its
``[metrics.NAME]`` table, a keyword of ``bizml_nb.metric(...)`` and a flag of
``%bizml metric``: the TOML reader's allowed keys, the editor's key order, the
magic's parser and the table in docs/formats.md are all built from these specs.

The keywords that declare a link (``bizml_nb.link(...)``, ``%bizml link``) are not
fields of :class:`~bizml_nb.core.registry.links.Link` (whose parameters depend on its
kind), so they are declared as a mapping of specs,
:data:`~bizml_nb.core.registry.links.LINK_ARGUMENTS`.

>>> from bizml_nb.core.registry.metric import BusinessMetric
>>> list(specs(BusinessMetric))[:3]
['unit', 'direction', 'baseline']
>>> flag("value_per_unit")
'--value-per-unit'
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

SPEC = "bizml"  # the metadata key a FieldSpec is stored under
Kind = Literal["number", "text", "flag"]  # a flag: on when given, no value


@dataclass(frozen=True)
class FieldSpec:
    """How one field is declared: its type, whether it is required, and what it means.

    ``help`` is one line, shown by ``%bizml help`` and in docs/formats.md.
    ``choices`` limits a text field to those values; ``metavar`` names the values of
    a flag that takes several (``("LOW", "HIGH")``) or describes a single one.
    """

    help: str
    kind: Kind = "number"
    required: bool = False
    choices: tuple[str, ...] = ()
    metavar: tuple[str, ...] = ()


def declared(
    help: str,
    *,
    kind: Kind = "number",
    required: bool = False,
    choices: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The ``metadata`` of a declared field: ``field(metadata=declared("..."))``."""
    return {SPEC: FieldSpec(help, kind, required, choices)}


def specs(cls: Any) -> dict[str, FieldSpec]:
    """The declared fields of dataclass ``cls``, in declaration order."""
    return {f.name: f.metadata[SPEC] for f in fields(cls) if SPEC in f.metadata}


def flag(keyword: str) -> str:
    """The command-line flag of a keyword: ``value_per_unit`` -> ``--value-per-unit``."""
    return "--" + keyword.replace("_", "-")


def markdown_table(declared_specs: dict[str, FieldSpec], *, command: str) -> str:
    """The Markdown table of ``declared_specs``: key, type, required, flag of ``command``, meaning."""
    lines = [
        f"| key | type | required | `{command}` | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, spec in declared_specs.items():
        kind = " \\| ".join(f'`"{c}"`' for c in spec.choices) if spec.choices else spec.kind
        required = "yes" if spec.required else "no"
        lines.append(f"| `{key}` | {kind} | {required} | `{flag(key)}` | {spec.help} |")
    return "\n".join(lines) + "\n"
