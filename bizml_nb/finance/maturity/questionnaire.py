"""The maturity questionnaire: yes/no questions per dimension, scored into levels 0-4.

The levels and dimensions are Microsoft's "Machine Learning operations maturity model"
(People, Model creation, Model release, Application integration; levels 0 No MLOps to
4 Full MLOps automated operations); :func:`assess` also gives Google's level (0-2).
An :class:`Assessment` shows itself as a card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from bizml_nb.core.card import CardMixin, Row
from bizml_nb.core.errors import BizmlError, did_you_mean

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

MATURITY_MIME = "application/vnd.bizml.maturity+json"

DIMENSIONS = ("people", "model creation", "model release", "application integration")
LEVEL_NAMES = {
    0: "No MLOps",
    1: "DevOps but no MLOps",
    2: "Automated training",
    3: "Automated model deployment",
    4: "Full MLOps automated operations",
}


class MaturityError(BizmlError):
    """A maturity input is not valid."""


def check_level(level: int) -> None:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
        raise MaturityError(f"maturity levels run from 0 to 4 (not {level!r})")


@dataclass(frozen=True)
class Question:
    """A yes/no question that, answered yes, is evidence of ``level`` in ``dimension``."""

    key: str
    dimension: str
    level: int
    text: str
    next_step: str


QUESTIONS: tuple[Question, ...] = (
    # people
    Question(
        "separate_teams_collaborate",
        "people",
        1,
        "Do data scientists and engineers work together on releasing models (rather than handing notebooks over)?",
        "Pair a data scientist with a software engineer on the next model's release.",
    ),
    Question(
        "shared_ownership",
        "people",
        2,
        "Do data scientists, data engineers and software engineers share ownership of models in production?",
        "Name one owner per production model across the three roles.",
    ),
    Question(
        "release_by_engineers",
        "people",
        3,
        "Can software engineers release a new model version without a data scientist doing it by hand?",
        "Write down the release steps so an engineer can run them unaided.",
    ),
    Question(
        "ops_monitoring_owned",
        "people",
        4,
        "Does the team own production metrics and act on alerts about model quality?",
        "Put model-quality alerts on the on-call rotation.",
    ),
    # model creation
    Question(  # without a level-1 question, answering no to everything would score level 1
        "data_pipeline_automated",
        "model creation",
        1,
        "Is training data gathered by an automated pipeline rather than by hand?",
        "Script the extraction of training data so it runs without manual steps.",
    ),
    Question(
        "experiments_tracked",
        "model creation",
        2,
        "Are experiments tracked (code, data and results recorded for every run)?",
        "Record every experiment with its data, code version and metrics (e.g. %%bizml experiment).",
    ),
    Question(
        "code_and_model_versioned",
        "model creation",
        2,
        "Are training code and trained models versioned?",
        "Keep training code in git and store models in a versioned registry.",
    ),
    Question(
        "training_automated",
        "model creation",
        2,
        "Is training automated, so anyone can retrain from the versioned code and data?",
        "Turn the training notebook into a pipeline that runs end to end without edits.",
    ),
    Question(
        "retraining_triggered",
        "model creation",
        4,
        "Is retraining triggered automatically by production metrics or drift?",
        "Trigger retraining from a drift or performance alert.",
    ),
    # model release
    Question(
        "release_repeatable",
        "model release",
        1,
        "Is there a written, repeatable process for releasing a model?",
        "Write the release checklist and follow it for the next release.",
    ),
    Question(
        "release_automated_with_tests",
        "model release",
        3,
        "Is model release automated with tests (data validation, model validation) in CI/CD?",
        "Add data and model validation tests to a CI pipeline that deploys on success.",
    ),
    Question(
        "ab_testing_integrated",
        "model release",
        3,
        "Are models A/B tested against the current one before full rollout?",
        "Run the next model as an A/B test against production before rollout.",
    ),
    Question(
        "rollback_automatic",
        "model release",
        4,
        "Is a bad model rolled back automatically on production metrics?",
        "Automate rollback when the online metric drops below its guardrail.",
    ),
    # application integration
    Question(
        "app_has_tests",
        "application integration",
        1,
        "Does the application that uses the model have automated tests?",
        "Add integration tests for the application's calls to the model.",
    ),
    Question(
        "model_metrics_in_app",
        "application integration",
        2,
        "Does the application report the model's inputs and outputs so they can be monitored?",
        "Log model inputs and predictions from the application.",
    ),
    Question(
        "integration_tests_for_model",
        "application integration",
        3,
        "Are there integration tests that exercise each new model version inside the application?",
        "Run the application's integration tests against every new model version.",
    ),
    Question(
        "production_metrics_feed_back",
        "application integration",
        4,
        "Do production metrics feed back automatically into the next model version?",
        "Feed labelled production outcomes back into the training data automatically.",
    ),
)


@dataclass(frozen=True, repr=False)
class Assessment(CardMixin):
    """Maturity levels from a set of answers, with the next concrete steps.

    Shown as a card: the levels by dimension as rows, the next steps as notes, and the
    answers and levels under ``application/vnd.bizml.maturity+json``.
    """

    mime_type: ClassVar[str | None] = MATURITY_MIME
    css_class: ClassVar[str] = "bizml-maturity"
    label_width: ClassVar[int] = 24

    answers: Mapping[str, bool]
    by_dimension: Mapping[str, int]
    level: int
    google_level: int
    next_steps: tuple[tuple[str, str], ...]  # (dimension, step) for each gap, lowest level first

    @property
    def name(self) -> str:
        return LEVEL_NAMES[self.level]

    def title(self) -> str:
        return (
            f"ML adoption maturity: level {self.level} ({self.name}) on Microsoft's scale, "
            f"level {self.google_level} on Google's"
        )

    def rows(self) -> Sequence[Row]:
        """One row a dimension: its level and the level's name."""
        levels = self.by_dimension
        return [(d, f"level {levels[d]} ({LEVEL_NAMES[levels[d]]})") for d in DIMENSIONS]

    def notes(self) -> list[str]:
        """The next steps, one a gap, lowest level first (none when every item is in place)."""
        if not self.next_steps:
            return []
        return ["Next steps:", *(f"  {dimension}: {step}" for dimension, step in self.next_steps)]

    def record(self) -> dict[str, Any]:
        """The answers, the levels and the next steps as JSON-ready data."""
        return {
            "format": "bizml.maturity",
            "version": 1,
            "answers": dict(self.answers),
            "by_dimension": dict(self.by_dimension),
            "level": self.level,
            "google_level": self.google_level,
            "next_steps": [list(step) for step in self.next_steps],
        }


def assess(answers: Mapping[str, bool]) -> Assessment:
    """Score ``answers`` (question key -> yes/no; missing keys count as no).

    A dimension is at level L when every question of that dimension at levels
    1..L is answered yes (a level with no question is passed through). The
    overall level is the lowest dimension's: a release process is as mature as
    its weakest part. Google's level: 0 for Microsoft 0-1, 1 for 2, 2 for 3-4.
    """
    unknown = [key for key in answers if key not in {q.key for q in QUESTIONS}]
    if unknown:
        raise MaturityError(
            f"unknown question {unknown[0]!r}{did_you_mean(unknown[0], [q.key for q in QUESTIONS])}"
        )
    for key, value in answers.items():
        if not isinstance(value, bool):
            raise MaturityError(f"answer to {key!r} must be True or False (not {value!r})")
    by_dimension: dict[str, int] = {}
    steps: list[tuple[int, str, str]] = []
    for dimension in DIMENSIONS:
        level = 0
        for target in range(1, 5):
            needed = [q for q in QUESTIONS if q.dimension == dimension and q.level == target]
            missing = [q for q in needed if not answers.get(q.key, False)]
            if missing:
                steps.extend((q.level, dimension, q.next_step) for q in missing)
                break
            level = target
        by_dimension[dimension] = level
    overall = min(by_dimension.values())
    google = 0 if overall <= 1 else (1 if overall == 2 else 2)
    ordered = tuple((d, s) for _, d, s in sorted(steps, key=lambda item: item[0]))
    return Assessment(dict(answers), by_dimension, overall, google, ordered)


__all__ = [
    "DIMENSIONS",
    "LEVEL_NAMES",
    "MATURITY_MIME",
    "QUESTIONS",
    "Assessment",
    "MaturityError",
    "Question",
    "assess",
    "check_level",
]
