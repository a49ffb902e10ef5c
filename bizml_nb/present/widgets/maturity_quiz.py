"""The maturity questionnaire as a widget: checkboxes per dimension, a level gauge, next steps."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from bizml_nb.finance.maturity import (
    DIMENSIONS,
    LEVEL_NAMES,
    MATURITY_MIME,
    QUESTIONS,
    Assessment,
    assess,
    compare_with_survey,
    survey_prior,
    survey_shares,
)
from bizml_nb.present.widgets.bundle import with_text

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd


class MaturityQuiz:
    """Answer yes/no per question; the levels, the next steps and the comparison update live.

    ``history`` (columns model, started, deployed, days) is the organisation's own
    deployments, e.g. ``bizml_nb.project().deployments()``; it is compared with the
    Algorithmia 2020 survey. ``answers`` ticks the boxes to start with; :meth:`answers`
    reads them back. ``with_record=False`` leaves the maturity record out of the display
    (where a decision card already carries it).
    """

    def __init__(
        self,
        history: pd.DataFrame | None = None,
        answers: Mapping[str, bool] | None = None,
        *,
        with_record: bool = True,
    ) -> None:
        import ipywidgets as w

        self.history = history
        self.with_record = with_record
        answers = answers or {}
        self.boxes: dict[str, Any] = {}
        sections = []
        for dimension in DIMENSIONS:
            boxes = []
            for question in (q for q in QUESTIONS if q.dimension == dimension):
                box = w.Checkbox(
                    value=bool(answers.get(question.key, False)),
                    description=question.text,
                    indent=False,
                    layout=w.Layout(width="100%"),
                )
                box.observe(lambda _change: self.update(), names="value")
                self.boxes[question.key] = box
                boxes.append(box)
            sections.append(
                w.VBox([w.HTML(f"<b>{html.escape(dimension.capitalize())}</b>"), *boxes])
            )
        self.gauge = w.IntProgress(min=0, max=4, description="level", bar_style="info")
        self.levels = w.HTML()
        self.steps = w.HTML()
        self.deploy = w.HTML()
        self.widget = w.VBox([*sections, self.gauge, self.levels, self.steps, self.deploy])
        self.widget.add_class("bizml-maturity-quiz")
        self.update()

    def answers(self) -> dict[str, bool]:
        """The answers as ticked now, by question key (True: yes)."""
        return {key: bool(box.value) for key, box in self.boxes.items()}

    @property
    def assessment(self) -> Assessment:
        return assess(self.answers())

    def update(self) -> None:
        result = self.assessment
        self.gauge.value = result.level
        rows = "".join(
            f"<tr><td>{html.escape(d)}</td><td>{lvl}: {html.escape(LEVEL_NAMES[lvl])}</td></tr>"
            for d, lvl in result.by_dimension.items()
        )
        self.levels.value = (
            f"<p>Level <b>{result.level}</b> ({html.escape(result.name)}) on Microsoft's scale, "
            f"level {result.google_level} on Google's.</p><table>{rows}</table>"
        )
        self.steps.value = (
            "<p><b>Next steps</b></p><ul>"
            + "".join(f"<li>{html.escape(d)}: {html.escape(s)}</li>" for d, s in result.next_steps)
            + "</ul>"
            if result.next_steps
            else "<p>Every item is in place.</p>"
        )
        self.deploy.value = self._deploy_html()

    def _deploy_html(self) -> str:
        prior = survey_prior()
        text = (
            f"<p>Time to deploy in the Algorithmia 2020 survey: median about {prior.median:.0f} days "
            "(fitted to its answers).</p>"
        )
        if self.history is None or self.history.empty or "days" not in self.history:
            shares = survey_shares()
            items = "".join(f"<li>{html.escape(k)}: {v * 100:.0f}%</li>" for k, v in shares.items())
            return (
                text
                + f"<ul>{items}</ul><p>Mark deployments with <code>%bizml deployed RUN --on DATE</code> to compare yours.</p>"
            )
        table = compare_with_survey(self.history["days"])
        rows = "".join(
            f"<tr><td>{html.escape(str(row['days']))}</td><td>{float(row['yours']) * 100:.0f}%</td>"
            f"<td>{float(row['survey']) * 100:.0f}%</td></tr>"
            for row in table.to_dict("records")
        )
        return text + f"<table><tr><th>days</th><th>yours</th><th>survey</th></tr>{rows}</table>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_text(
            self.widget._repr_mimebundle_(**kwargs),
            self.assessment.text(),
            {MATURITY_MIME: self.assessment.record()} if self.with_record else None,
        )
