"""The adoption_maturity template's cards: the decision it leads with, and its smaller notes.

:class:`MaturityDecision` words a :class:`~bizml_nb.present.analyses.maturity.MaturityAnalysis`
through the card protocol, with the template's record under
``application/vnd.bizml.maturity+json``; the others say which answers the analysis uses,
that no history was given, or that the team is at the top level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core import units
from bizml_nb.core.card import CardMixin, Row
from bizml_nb.finance.maturity import (
    ALGORITHMIA_CITATION,
    DIMENSIONS,
    MATURITY_MIME,
    QUESTIONS,
    survey_shares,
    within_days,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bizml_nb.finance.maturity import Question
    from bizml_nb.present.analyses.maturity import MaturityAnalysis

TEMPLATE = "adoption_maturity"
SHOWN_STEPS = 3  # steps the decision names; the rest are listed below it


@dataclass(frozen=True, repr=False)
class MaturityDecision(CardMixin):
    """Where the team stands and what to fix first: the card the template leads with."""

    mime_type: ClassVar[str | None] = MATURITY_MIME
    css_class: ClassVar[str] = "bizml-maturity bizml-decision"
    label_width: ClassVar[int] = 16

    analysis: MaturityAnalysis

    def title(self) -> str:
        a = self.analysis
        head = f"{a.organisation}: ML maturity level {a.level} of 4"
        if a.level == 4:
            return f"{head}; keep it"
        return f"{head}; {changes(len(a.to_next))} to reach level {a.level + 1}"

    def rows(self) -> Sequence[Row]:
        a, result = self.analysis, self.analysis.assessment
        yes = sum(a.answers.values())
        rows: list[Row] = [
            (
                "Level",
                f"{a.level} ({result.name}) on Microsoft's 0-4 scale, {result.google_level} on "
                f"Google's 0-2 scale; {yes} of {len(QUESTIONS)} answers yes",
            )
        ]
        prior = a.prior()
        if a.level < 4:
            weakest = [d for d in DIMENSIONS if result.by_dimension[d] == a.level]
            steps = [q.next_step.rstrip(".") for q in a.to_next]
            more = len(steps) - SHOWN_STEPS
            rows += [
                ("Set by", f"{', '.join(weakest)} (the weakest headings)"),
                (
                    "Fix first",
                    "; ".join(steps[:SHOWN_STEPS])
                    + (f"; and {more} more below" if more > 0 else ""),
                ),
                (
                    "Time to deploy",
                    f"median {prior.median:.0f} days at level {a.level}, "
                    f"{a.prior(a.level + 1).median:.0f} days at level {a.level + 1} "
                    "(illustrative, shaped to the Algorithmia 2020 survey)",
                ),
            ]
        else:
            rows.append(
                (
                    "Time to deploy",
                    f"median {prior.median:.0f} days (illustrative, shaped to the "
                    "Algorithmia 2020 survey)",
                )
            )
        if a.history is not None:
            survey = survey_shares()
            rows.append(
                (
                    "Own deployments",
                    f"{len(a.history.days)}, median {a.history.median:.0f} days, "
                    f"{units.percent(a.history.within_30_days)} within 30 days (survey: "
                    f"{units.percent(survey['7 days or less'] + survey['8-30 days'])})",
                )
            )
        rows.append(
            (
                "To change it",
                "answer yes to more questions (in the quiz or the parameters) and run again"
                if a.level < 4
                else "the top of the scale: keep the practices that got the team here",
            )
        )
        return rows

    def record(self) -> dict[str, Any]:
        """The assessment's record with the template's figures and the card's text."""
        a = self.analysis
        prior = a.prior()
        survey = survey_shares()
        return {
            **a.assessment.record(),
            "template": TEMPLATE,
            "organisation": a.organisation,
            "level_name": a.assessment.name,
            "yes_answers": sum(a.answers.values()),
            "to_next_level": [q.key for q in a.to_next],
            "deploy_prior": {
                "level": a.level,
                "median_days": float(prior.median),
                "within_30_days": within_days(prior, 30),
                "illustrative": True,
            },
            "survey": {"source": ALGORITHMIA_CITATION, "shares": dict(survey)},
            "history": None if a.history is None else a.history.record(),
            "parameters": {
                "organisation": a.organisation,
                "deployment_history": a.deployment_history,
                **a.answers,
            },
            "summary": self.text(),
        }


@dataclass(frozen=True, repr=False)
class AnswersUsed(CardMixin):
    """Which answers the cells below use: the parameters', or the quiz's where they differ."""

    css_class: ClassVar[str] = "bizml-maturity-answers-used"
    label_width: ClassVar[int] = 28

    analysis: MaturityAnalysis
    changed: tuple[Question, ...]

    def title(self) -> str:
        if not self.changed:
            return "The analysis below uses the answers of the parameters cell"
        n = len(self.changed)
        return (
            f"The analysis below uses the quiz's answers: {n} differ{'s' if n == 1 else ''} "
            f"from the parameters cell (level {self.analysis.level} with them)"
        )

    def rows(self) -> Sequence[Row]:
        answers = self.analysis.answers
        return [(q.key, "yes" if answers[q.key] else "no") for q in self.changed]

    def notes(self) -> list[str]:
        if not self.changed:
            return []
        flags = " ".join(
            f"-p {q.key} {'true' if self.analysis.answers[q.key] else 'false'}"
            for q in self.changed
        )
        return [
            "The decision at the top was made from the parameters cell. To make it from these "
            f"answers: bizml run NOTEBOOK.ipynb {flags}"
        ]


class NoHistory(CardMixin):
    """What the team's own deployments section says when none were given."""

    css_class: ClassVar[str] = "bizml-maturity-history"

    def title(self) -> str:
        return "Own deployments"

    def rows(self) -> Sequence[Row]:
        return []

    def notes(self) -> list[str]:
        return [
            "None given. Set deployment_history to a CSV with one row per deployed model "
            "(columns started and deployed) to compare them with the survey."
        ]


class TopLevel(CardMixin):
    """What the next-steps section says at level 4."""

    css_class: ClassVar[str] = "bizml-maturity-steps"

    def title(self) -> str:
        return "Level 4 is the top of the scale"

    def rows(self) -> Sequence[Row]:
        return []

    def notes(self) -> list[str]:
        return ["Keep the practices that got the team here."]


def changes(n: int) -> str:
    """``"1 change"``, ``"3 changes"``."""
    return f"{n} change{'' if n == 1 else 's'}"


__all__ = ["TEMPLATE", "AnswersUsed", "MaturityDecision", "NoHistory", "TopLevel", "changes"]
