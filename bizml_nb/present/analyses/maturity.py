"""The adoption_maturity template's analysis: the decision first, then what supports it.

:func:`check_parameters` checks the template's parameters (``bizml new`` and ``bizml run``
call it before anything is written, and the template's first cell calls it too);
:func:`analyse` scores the answers and reads the deployment history once, and the
:class:`MaturityAnalysis` it returns gives each cell its output: the decision card
(:class:`MaturityDecision`, with the ``application/vnd.bizml.maturity+json`` record),
the quiz preset with the answers, the levels chart, the answers, the time to deploy, the
team's own deployments and the changes that would lift the level.

>>> from bizml_nb.finance.maturity import QUESTIONS
>>> values = {"organisation": "data team", "deployment_history": None,
...           **{q.key: q.level <= 2 for q in QUESTIONS}}
>>> check_parameters(values)
>>> print(analyse(values).decision.title())
data team: ML maturity level 2 of 4; 6 changes to reach level 3
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizml_nb.core import units
from bizml_nb.core.errors import InvalidArguments
from bizml_nb.finance.maturity import (
    ALGORITHMIA_CITATION,
    DEFAULT_ASSUMPTIONS,
    DEPLOY_BINS,
    DIMENSIONS,
    LEVEL_NAMES,
    QUESTIONS,
    Assessment,
    History,
    Question,
    assess,
    binned,
    survey_shares,
)
from bizml_nb.present.analyses import parts
from bizml_nb.present.analyses.maturity_cards import (
    TEMPLATE,
    AnswersUsed,
    MaturityDecision,
    NoHistory,
    TopLevel,
    changes,
)
from bizml_nb.present.analyses.parts import Chart, TextTable
from bizml_nb.present.analyses.parts import braced as _braced
from bizml_nb.present.analyses.parts import shown as _shown

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bizml_nb.finance.roi import Lognormal
    from bizml_nb.present.widgets.maturity_quiz import MaturityQuiz

#: The template's parameters, in the order of its parameters cell.
PARAMETERS: tuple[str, ...] = (
    "organisation",
    "deployment_history",
    *(q.key for q in QUESTIONS),
)
QUESTION_WIDTH = 60  # characters of a question or a step per line in text


def check_parameters(values: Mapping[str, Any], *, folder: Path | None = None) -> None:
    """Refuse parameters the analysis cannot use, with one message naming the parameter.

    ``values`` holds every parameter of the template (names in :data:`PARAMETERS`);
    other names are ignored. A relative ``deployment_history`` is looked for in
    ``folder`` (the folder the notebook will run in; default: the current one). Each parameter is named in the message as ``{name}``
    (:class:`~bizml_nb.core.errors.InvalidArguments`), so a command line can word it
    ``-p name``.
    """
    missing = [name for name in PARAMETERS if name not in values]
    if missing:
        raise InvalidArguments(
            f"no value for {{{missing[0]}}}: the maturity analysis needs every parameter "
            f"of the {TEMPLATE} template",
            missing[0],
        )
    organisation = values["organisation"]
    if not isinstance(organisation, str) or not organisation.strip():
        raise InvalidArguments(
            "{organisation} is the name of the team assessed, as text such as "
            f"'our ML team' (got {_shown(organisation)})",
            "organisation",
        )
    history = values["deployment_history"]
    if history is not None and (not isinstance(history, str) or not history.strip()):
        raise InvalidArguments(
            "{deployment_history} is the path of a CSV of past deployments (columns started "
            f"and deployed), or None to skip the comparison (got {_shown(history)})",
            "deployment_history",
        )
    if history is not None and not (folder or Path()).joinpath(history).is_file():
        raise InvalidArguments(
            f"{{deployment_history}} is {_shown(history, None)}, which is not a file (a relative "
            "path is read from the folder the notebook runs in)",
            "deployment_history",
        )
    for question in QUESTIONS:
        answer = values[question.key]
        if not isinstance(answer, bool):
            raise InvalidArguments(
                f"{{{question.key}}} answers the question {_braced(repr(question.text))}: "
                f"True (yes) or False (no), not {_shown(answer)}",
                question.key,
            )


def parameters_from(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The template's parameters from a notebook's namespace (``globals()``), by name."""
    return parts.parameters_from(namespace, PARAMETERS)


def analyse(values: Mapping[str, Any]) -> MaturityAnalysis:
    """The analysis of checked parameters: the answers scored, the history read if given.

    The deployment history's path is read from the working folder (a notebook's own).
    """
    check_parameters(values)
    answers = {q.key: bool(values[q.key]) for q in QUESTIONS}
    path = values["deployment_history"]
    return MaturityAnalysis(
        organisation=str(values["organisation"]),
        deployment_history=path,
        assessment=assess(answers),
        history=None if path is None else History.read(path),
    )


# --------------------------------------------------------------------------- the analysis


@dataclass(frozen=True)
class MaturityAnalysis:
    """The maturity of one team: its answers scored, the history, and what each cell shows."""

    organisation: str
    deployment_history: str | None
    assessment: Assessment
    history: History | None

    @property
    def answers(self) -> dict[str, bool]:
        return {q.key: bool(self.assessment.answers.get(q.key, False)) for q in QUESTIONS}

    @property
    def level(self) -> int:
        return self.assessment.level

    @property
    def to_next(self) -> list[Question]:
        """The questions still answered no at or below the next level (none at level 4)."""
        if self.level == 4:
            return []
        return [q for q in QUESTIONS if q.level <= self.level + 1 and not self.answers[q.key]]

    def prior(self, level: int | None = None) -> Lognormal:
        """The illustrative time to deploy at ``level`` (default: the team's)."""
        return DEFAULT_ASSUMPTIONS.deploy_prior(self.level if level is None else level)

    @property
    def decision(self) -> MaturityDecision:
        """The decision card, with the template's record."""
        return MaturityDecision(self)

    def quiz(self) -> MaturityQuiz:
        """The questionnaire widget, ticked as the answers are (its record left to the card)."""
        from bizml_nb.present.widgets.maturity_quiz import MaturityQuiz

        history = None
        if self.history is not None:  # the quiz sets the team's deployments beside the survey
            import pandas as pd

            history = pd.DataFrame({"days": list(self.history.days)})
        return MaturityQuiz(history, answers=self.answers, with_record=False)

    def with_answers(self, answers: Mapping[str, bool]) -> MaturityAnalysis:
        """The same analysis with ``answers`` (e.g. ``quiz.answers()``) in place of the team's."""
        values = {
            "organisation": self.organisation,
            "deployment_history": self.deployment_history,
            **self.answers,
            **answers,
        }
        check_parameters(values)
        return MaturityAnalysis(
            self.organisation,
            self.deployment_history,
            assess({q.key: bool(values[q.key]) for q in QUESTIONS}),
            self.history,
        )

    def answers_used(self, parameters: Mapping[str, Any]) -> AnswersUsed:
        """What the analysis below uses, against the ``parameters`` cell's answers."""
        changed = tuple(q for q in QUESTIONS if bool(parameters[q.key]) != self.answers[q.key])
        return AnswersUsed(self, changed)

    def levels_chart(self) -> Chart:
        """The level of each heading as bars; the weakest, which set the team's level, in orange."""
        import matplotlib.pyplot as plt

        levels = [self.assessment.by_dimension[d] for d in DIMENSIONS]
        figure, axes = plt.subplots(figsize=(7, 2.6))
        axes.barh(
            range(len(DIMENSIONS)),
            levels,
            color=["tab:orange" if v == self.level else "tab:blue" for v in levels],
        )
        axes.set_yticks(range(len(DIMENSIONS)), list(DIMENSIONS))
        axes.invert_yaxis()
        axes.set_xlim(0, 4)
        axes.set_xticks(range(5))
        axes.set_xlabel("maturity level (orange: the weakest headings, which set the team's level)")
        axes.set_title("Maturity by heading")
        figure.tight_layout()
        by_heading = ", ".join(f"{d} {v}" for d, v in zip(DIMENSIONS, levels, strict=True))
        return Chart.of(
            figure,
            f"Chart: maturity level by heading ({by_heading}); the weakest set the team's "
            f"level, {self.level}.",
        )

    def answers_table(self) -> TextTable:
        """Every question, whole, with its heading, its level and the answer."""
        return TextTable(
            f"The answers of {self.organisation}, question by question",
            ("heading", "level", "question", "answer"),
            tuple(
                (q.dimension, str(q.level), q.text, "yes" if self.answers[q.key] else "no")
                for q in QUESTIONS
            ),
            right=(1,),
            wrap={2: QUESTION_WIDTH},
            css_class="bizml-maturity-answers",
        )

    def deploy_table(self) -> TextTable:
        """Shares of models by days to deploy: the survey, then this level and the next."""
        survey = survey_shares()
        shown = [self.level] + ([self.level + 1] if self.level < 4 else [])
        curves = [binned(self.prior(level)) for level in shown]
        return TextTable(
            "Days to deploy a model: the survey and the illustrative curves per level",
            (
                "days to deploy",
                "survey (all who answered)",
                *(f"level {level} (illustrative)" for level in shown),
            ),
            tuple(
                (name, units.percent(survey[name]), *(units.percent(c[name]) for c in curves))
                for name, _, _ in DEPLOY_BINS
            ),
            right=tuple(range(1, 2 + len(shown))),
            css_class="bizml-maturity-deploy",
            notes=(f"Survey: {ALGORITHMIA_CITATION}.",),
        )

    def deploy_chart(self) -> Chart:
        """The same shares as bars."""
        import matplotlib.pyplot as plt
        from matplotlib.ticker import PercentFormatter

        survey = survey_shares()
        shown = [self.level] + ([self.level + 1] if self.level < 4 else [])
        series = [("survey (all who answered)", survey)] + [
            (f"level {level} (illustrative)", binned(self.prior(level))) for level in shown
        ]
        figure, axes = plt.subplots(figsize=(7, 3))
        width = 0.8 / len(series)
        for i, (label, shares) in enumerate(series):
            axes.bar(
                [x + i * width for x in range(len(DEPLOY_BINS))],
                [shares[name] for name, _, _ in DEPLOY_BINS],
                width=width,
                label=label,
            )
        axes.set_xticks(
            [x + width * (len(series) - 1) / 2 for x in range(len(DEPLOY_BINS))],
            [name for name, _, _ in DEPLOY_BINS],
        )
        axes.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        axes.set_ylabel("share of models")
        axes.set_title("Time to deploy: survey and illustrative curves per level")
        axes.legend(fontsize=8)
        figure.tight_layout()
        return Chart.of(
            figure,
            "Chart: share of models by days to deploy, the survey's beside the illustrative "
            f"curves of level{'s' if len(shown) > 1 else ''} "
            + " and ".join(str(level) for level in shown)
            + " (the table below gives the figures).",
        )

    def own_deployments(self) -> TextTable | NoHistory:
        """The team's deployments beside the survey's, or how to give them."""
        if self.history is None:
            return NoHistory()
        history = self.history
        survey = survey_shares()
        within = units.percent(history.within_30_days)
        survey_30 = units.percent(survey["7 days or less"] + survey["8-30 days"])
        return TextTable(
            f"Own deployments of {self.organisation}: {len(history.days)}, median "
            f"{history.median:.0f} days, {within} within 30 days (survey: {survey_30})",
            ("days to deploy", self.organisation, "survey"),
            tuple(
                (name, units.percent(share), units.percent(survey[name]))
                for name, share in history.shares().items()
            ),
            right=(1, 2),
            css_class="bizml-maturity-history",
        )

    def next_steps(self) -> TextTable | TopLevel:
        """The changes to reach the next level, each with a first concrete step."""
        if self.level == 4:
            return TopLevel()
        target = self.level + 1
        needed = self.to_next
        return TextTable(
            f"To reach level {target} ({LEVEL_NAMES[target]}): {changes(len(needed))}",
            ("heading", "level", "change (a question still answered no)", "first step"),
            tuple((q.dimension, str(q.level), q.text, q.next_step) for q in needed),
            right=(1,),
            wrap={2: 44, 3: 44},
            css_class="bizml-maturity-steps",
        )

    def record(self) -> dict[str, Any]:
        """The template's record (``application/vnd.bizml.maturity+json``), with its summary."""
        return self.decision.record()


# --------------------------------------------------------------------------- helpers


__all__ = [
    "PARAMETERS",
    "MaturityAnalysis",
    "analyse",
    "check_parameters",
    "parameters_from",
]
