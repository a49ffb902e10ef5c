"""The capacity card: a plan's memory, replicas, instances, yearly cost and assumptions.

It words a :class:`~bizml_nb.finance.capacity.planning.CapacityPlan` through the card
protocol (:class:`~bizml_nb.core.card.CardMixin`), with the plan's record under
``application/vnd.bizml.capacity+json``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row, text_html
from bizml_nb.finance.capacity.words import _pct, count, size

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.finance.capacity.planning import CapacityPlan

CAPACITY_MIME = "application/vnd.bizml.capacity+json"


@dataclass(frozen=True, repr=False)
class CapacityCard(CardMixin):
    """A capacity plan shown as a card: memory, replicas, instances, yearly cost, assumptions."""

    mime_type: ClassVar[str | None] = CAPACITY_MIME
    css_class: ClassVar[str] = "bizml-capacity"
    label_width: ClassVar[int] = 12

    plan: CapacityPlan

    def title(self) -> str:
        p = self.plan
        return (
            f"Capacity: {count(p.params)} parameters in {p.dtype}, {units.number(p.rps)} "
            f"requests/s at {units.number(p.latency_ms)} ms a batch of {p.serving.batch_size}"
        )

    def rows(self) -> Sequence[Row]:
        p, fit, cur = self.plan, self.plan.fit, self.plan.currency
        s = p.serving
        capacity_each = s.batch_size * s.concurrency_per_replica * s.target_utilisation
        copies = "copy" if fit.replicas_per_host == 1 else "copies"
        instance = fit.instance
        table = (
            "illustrative default table: prices are round illustrations, not quotes"
            if p.default_table
            else "the table given"
        )
        return [
            (
                "Memory",
                f"{size(p.breakdown.total_gb)} on each instance ({fit.replicas_per_host} "
                f"{copies} of the model, {size(p.breakdown.per_copy_gb)} each, with "
                f"{_pct(p.memory.headroom)} kept free)",
            ),
            (
                "Replicas",
                f"{p.replicas}, by Little's law: {units.number(p.rps)} req/s x "
                f"{units.number(p.latency_ms / 1000)} s = {units.number(p.in_flight)} requests "
                f"in flight; one replica serves {s.batch_size} a batch x "
                f"{s.concurrency_per_replica} at once x {_pct(s.target_utilisation)} busy = "
                f"{units.number(capacity_each)}; ceil({units.number(p.in_flight)} / "
                f"{units.number(capacity_each)}) = {p.replicas}",
            ),
            (
                "Instances",
                f"{fit.hosts} x {instance.name} ({instance.kind}, {instance.memory_gb:g} GB, "
                f"{units.money(instance.cost_per_hour, cur)}/h"
                + (f", {instance.note}" if instance.note else "")
                + f"), cheapest fit in the {table}",
            ),
            (
                "Yearly cost",
                f"{units.money(fit.yearly_cost, cur)} = {fit.hosts} x "
                f"{units.money(instance.cost_per_hour, cur)}/h x "
                f"{units.number(s.hours_per_year)} h; feeds the ROI model as cloud_per_year",
            ),
            ("Assumptions", self.assumptions()),
        ]

    def assumptions(self) -> str:
        p = self.plan
        bpp = (
            f"bytes_per_param {p.bytes_per_param:g} ({p.dtype})"
            if p.memory.bytes_per_param is None
            else f"bytes_per_param {p.bytes_per_param:g} (given)"
        )
        memory = [
            f"{f.name} {getattr(p.memory, f.name):g}"
            for f in fields(p.memory)
            if f.name != "bytes_per_param"
        ]
        serving = [f"{f.name} {getattr(p.serving, f.name):g}" for f in fields(p.serving)]
        hardware = f"hardware {p.hardware or 'any'} (latency taken to hold on the instance chosen)"
        return "; ".join([bpp, *memory, *serving, hardware])

    def details(self, label: str) -> list[str]:
        """Under the memory row, the breakdown: one line a part, then the total."""
        return self.plan.breakdown.lines() if label == "Memory" else []

    def details_html(self, label: str) -> str:
        """Under the memory row, the breakdown as a table: part, size, arithmetic."""
        if label != "Memory":
            return ""
        breakdown = self.plan.breakdown
        cells = [(part.label, size(part.gb), part.how) for part in breakdown.parts]
        cells.append(("total", size(breakdown.total_gb), ""))
        rows = "".join(
            f"<tr><td>{text_html(name)}</td>"
            f'<td style="text-align:right;padding:0 12px">{text_html(gb)}</td>'
            f"<td>{text_html(how) if how else ''}</td></tr>"
            for name, gb, how in cells
        )
        return f'<table class="bizml-capacity-breakdown">{rows}</table>'

    def record(self) -> dict[str, Any]:
        """The plan's record (``application/vnd.bizml.capacity+json``)."""
        return self.plan.record()


__all__ = ["CAPACITY_MIME", "CapacityCard"]
