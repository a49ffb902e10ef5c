"""The adoption_maturity template's analysis: its checks, its decision card and record, the
quiz that holds its answers, and the template built on it.

Worked by hand for the template's illustrative team (6 of 17 answers yes): people stops at
level 1 (shared ownership: no), model creation at 1 (training not automated), model release
at 2, application integration at 1 (no model metrics in the app), so the team is at level 1
and the three level-2 questions answered no are the changes to reach level 2. The
illustrative time to deploy at level L is lognormal with sigma 1 and a share within 30 days
of 47.5% (level 1) and 55% (level 2): median 30 e^-z = 31.9 and 26.5 days.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from bizml_nb.core.errors import InvalidArguments
from bizml_nb.finance.maturity import MATURITY_MIME, QUESTIONS, MaturityError
from bizml_nb.interfaces import templates
from bizml_nb.present.analyses import maturity

DEFAULT_YES = {
    "separate_teams_collaborate",
    "data_pipeline_automated",
    "experiments_tracked",
    "code_and_model_versioned",
    "release_repeatable",
    "app_has_tests",
}
#: The keys of the template's record before its decision became a card: every one is kept.
RECORD_KEYS = {
    "format",
    "version",
    "answers",
    "by_dimension",
    "level",
    "google_level",
    "next_steps",
    "template",
    "organisation",
    "level_name",
    "yes_answers",
    "to_next_level",
    "deploy_prior",
    "survey",
    "history",
    "parameters",
    "summary",
}


def values(**changes: Any) -> dict[str, Any]:
    """The template's defaults (the illustrative team), with ``changes``."""
    base: dict[str, Any] = {"organisation": "our ML team", "deployment_history": None}
    base.update({q.key: q.key in DEFAULT_YES for q in QUESTIONS})
    return {**base, **changes}


def test_the_parameters_are_the_templates_in_its_order_with_its_defaults() -> None:
    template = templates.get_template("adoption_maturity")
    assert [p.name for p in template.parameters] == list(maturity.PARAMETERS)
    assert {p.name: p.default for p in template.parameters} == values()


# --------------------------------------------------------------------------- check_parameters


def test_the_defaults_pass_and_other_names_are_ignored() -> None:
    maturity.check_parameters(values())
    maturity.check_parameters({**values(), "something_else": object()})


@pytest.mark.parametrize(
    ("changes", "message", "keyword"),
    [
        (
            {"organisation": "  "},
            "organisation is the name of the team assessed, as text such as 'our ML team' "
            "(got '  ')",
            "organisation",
        ),
        (
            {"organisation": 3},
            "organisation is the name of the team assessed, as text such as 'our ML team' (got 3)",
            "organisation",
        ),
        (
            {"deployment_history": 12},
            "deployment_history is the path of a CSV of past deployments (columns started and "
            "deployed), or None to skip the comparison (got 12)",
            "deployment_history",
        ),
        (
            {"deployment_history": ""},
            "deployment_history is the path of a CSV of past deployments (columns started and "
            "deployed), or None to skip the comparison (got '')",
            "deployment_history",
        ),
        (
            {"experiments_tracked": "{maybe}"},
            "experiments_tracked answers the question 'Are experiments tracked (code, data and "
            "results recorded for every run)?': True (yes) or False (no), not '{maybe}'",
            "experiments_tracked",
        ),
        (
            {"rollback_automatic": 1},
            "rollback_automatic answers the question 'Is a bad model rolled back automatically "
            "on production metrics?': True (yes) or False (no), not 1",
            "rollback_automatic",
        ),
    ],
    ids=["blank-name", "name-not-text", "history-number", "history-empty", "braces", "one"],
)
def test_check_parameters_names_the_parameter_in_one_message(
    changes: dict[str, Any], message: str, keyword: str
) -> None:
    with pytest.raises(InvalidArguments) as caught:
        maturity.check_parameters(values(**changes))
    assert str(caught.value) == message
    assert caught.value.keywords == (keyword,)
    flagged = caught.value.worded(lambda name: f"-p {name}")
    assert flagged == message.replace(keyword, f"-p {keyword}", 1)


def test_a_missing_parameter_is_named() -> None:
    given = values()
    del given["app_has_tests"]
    with pytest.raises(InvalidArguments) as caught:
        maturity.check_parameters(given)
    assert str(caught.value) == (
        "no value for app_has_tests: the maturity analysis needs every parameter of the "
        "adoption_maturity template"
    )


def test_parameters_from_a_namespace_takes_the_templates_names_only() -> None:
    namespace = {**values(), "In": [], "quiz": None}
    assert maturity.parameters_from(namespace) == values()
    del namespace["organisation"]
    with pytest.raises(InvalidArguments, match=r"^no value for organisation: run the parameters"):
        maturity.parameters_from(namespace)


# --------------------------------------------------------------------------- the decision card


def test_the_decision_card_of_the_illustrative_team() -> None:
    """Title, then level, the headings that set it, the first steps, time to deploy."""
    card = maturity.analyse(values()).decision
    assert card.text() == (
        "our ML team: ML maturity level 1 of 4; 3 changes to reach level 2\n"
        "  Level            1 (DevOps but no MLOps) on Microsoft's 0-4 scale, 0 on Google's "
        "0-2 scale; 6 of 17 answers yes\n"
        "  Set by           people, model creation, application integration (the weakest "
        "headings)\n"
        "  Fix first        Name one owner per production model across the three roles; Turn "
        "the training notebook into a pipeline that runs end to end without edits; Log model "
        "inputs and predictions from the application\n"
        "  Time to deploy   median 32 days at level 1, 26 days at level 2 (illustrative, shaped "
        "to the Algorithmia 2020 survey)\n"
        "  To change it     answer yes to more questions (in the quiz or the parameters) and "
        "run again"
    )
    bundle = card._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", MATURITY_MIME}
    assert "vnd.bizml" not in bundle["text/plain"]
    assert "vnd.bizml" not in bundle["text/html"]
    assert 'class="bizml-card bizml-maturity bizml-decision"' in bundle["text/html"]


def test_one_change_is_a_change_not_changes() -> None:
    """Every answer yes but one level-2 question: level 1, and 1 change to reach level 2."""
    answers = {q.key: q.key != "shared_ownership" for q in QUESTIONS}
    analysis = maturity.analyse(values(**answers))
    assert analysis.level == 1
    assert analysis.decision.title() == (
        "our ML team: ML maturity level 1 of 4; 1 change to reach level 2"
    )
    steps = analysis.next_steps()
    assert steps.text().splitlines()[0] == "To reach level 2 (Automated training): 1 change"
    fix = dict(analysis.decision.rows())["Fix first"]
    assert fix == "Name one owner per production model across the three roles"


def test_more_than_three_steps_are_left_below() -> None:
    """Nothing answered yes: the four level-1 questions; the card names three."""
    analysis = maturity.analyse(values(**{q.key: False for q in QUESTIONS}))
    assert analysis.decision.title().endswith("level 0 of 4; 4 changes to reach level 1")
    assert dict(analysis.decision.rows())["Fix first"].endswith("; and 1 more below")


def test_the_top_level_says_keep_it() -> None:
    analysis = maturity.analyse(values(**{q.key: True for q in QUESTIONS}))
    assert analysis.decision.title() == "our ML team: ML maturity level 4 of 4; keep it"
    rows = dict(analysis.decision.rows())
    assert "Fix first" not in rows
    assert rows["Time to deploy"].startswith("median 15 days")
    assert analysis.next_steps().text() == (
        "Level 4 is the top of the scale\nKeep the practices that got the team here."
    )
    assert analysis.record()["to_next_level"] == []


def test_the_record_keeps_every_key_and_says_what_the_card_says() -> None:
    analysis = maturity.analyse(values())
    record = analysis.decision.record()
    assert set(record) == RECORD_KEYS
    assert record["summary"] == analysis.decision.text()
    assert record["template"] == "adoption_maturity"
    assert record["level"] == 1
    assert record["level_name"] == "DevOps but no MLOps"
    assert record["yes_answers"] == 6
    assert record["to_next_level"] == [
        "shared_ownership",
        "training_automated",
        "model_metrics_in_app",
    ]
    assert record["deploy_prior"]["median_days"] == pytest.approx(31.9414, abs=1e-4)
    assert record["deploy_prior"]["within_30_days"] == pytest.approx(0.475)
    assert record["parameters"] == values()
    json.dumps(record, allow_nan=False)


def test_user_text_is_escaped_in_every_html() -> None:
    hostile = "<script>alert(1)</script>"
    analysis = maturity.analyse(values(organisation=hostile))
    for shown in (analysis.decision, analysis.answers_table(), analysis.own_deployments()):
        html = shown._repr_mimebundle_()["text/html"]
        assert "<script>" not in html
    for shown in (analysis.decision, analysis.answers_table()):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown._repr_mimebundle_()["text/html"]


# --------------------------------------------------------------------------- supporting cells


def test_the_answers_table_shows_every_question_whole() -> None:
    """Long questions wrap in text and HTML; none is cut with an ellipsis."""
    table = maturity.analyse(values()).answers_table()
    text = table.text()
    assert "..." not in text
    assert "…" not in text
    assert all(len(line) <= 110 for line in text.splitlines())
    lines = text.splitlines()
    start, end = lines[1].index("question"), lines[1].index("answer")
    column = [line[start:end].strip() for line in lines[2:]]
    answers = [line[end:].strip() for line in lines[2:]]
    shown, current = [], []
    for piece, answer in zip(column, answers, strict=True):
        if answer and current:
            shown.append(" ".join(current))
            current = []
        current.append(piece)
    shown.append(" ".join(current))
    assert shown == [q.text for q in QUESTIONS]
    html = table.html()
    for question in QUESTIONS:
        assert question.text.replace("'", "&#x27;") in html, question.key
    assert "white-space:normal" in html


def test_the_deploy_table_sets_the_survey_beside_the_level_and_the_next() -> None:
    """Survey shares over the 82% who answered: 14/82 = 17%, 28/82 = 34%, 22/82 = 27%,
    18/82 = 22%."""
    text = maturity.analyse(values()).deploy_table().text()
    lines = text.splitlines()
    assert lines[1].strip().startswith("days to deploy")
    assert "level 1 (illustrative)" in lines[1]
    assert "level 2 (illustrative)" in lines[1]
    assert [line.split()[-3] for line in lines[2:6]] == ["17%", "34%", "27%", "22%"]


def test_the_quiz_holds_the_answers_and_leaves_the_record_to_the_card() -> None:
    analysis = maturity.analyse(values())
    quiz = analysis.quiz()
    assert quiz.answers() == analysis.answers
    data = quiz._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert MATURITY_MIME not in data
    assert data["text/plain"].startswith("ML adoption maturity: level 1 (DevOps but no MLOps)")


def test_answers_changed_in_the_quiz_feed_the_analysis_below() -> None:
    analysis = maturity.analyse(values())
    quiz = analysis.quiz()
    for key in ("shared_ownership", "training_automated", "model_metrics_in_app"):
        quiz.boxes[key].value = True
    after = analysis.with_answers(quiz.answers())
    assert after.level == 2
    used = after.answers_used(values())
    assert used.text() == (
        "The analysis below uses the quiz's answers: 3 differ from the parameters cell "
        "(level 2 with them)\n"
        "  shared_ownership             yes\n"
        "  training_automated           yes\n"
        "  model_metrics_in_app         yes\n"
        "The decision at the top was made from the parameters cell. To make it from these "
        "answers: bizml run NOTEBOOK.ipynb -p shared_ownership true -p training_automated "
        "true -p model_metrics_in_app true"
    )
    same = analysis.answers_used(values())
    assert same.text() == "The analysis below uses the answers of the parameters cell"


def test_own_deployments_beside_the_survey(tmp_path: Any) -> None:
    """Ten deployments, 5 to 150 days: median (28 + 33) / 2 = 30.5, 5 of 10 within 30 days."""
    days = [5, 12, 20, 25, 28, 33, 40, 60, 95, 150]
    start = date(2025, 1, 1)
    rows = [f"m{i},{start},{start + timedelta(days=d)}" for i, d in enumerate(days)]
    path = tmp_path / "deployments.csv"
    path.write_text("model,started,deployed\n" + "\n".join(rows) + "\n")
    analysis = maturity.analyse(values(deployment_history=str(path)))
    assert analysis.history is not None
    assert analysis.history.within_30_days == 0.5
    assert dict(analysis.decision.rows())["Own deployments"] == (
        "10, median 30 days, 50% within 30 days (survey: 51%)"
    )
    table = analysis.own_deployments().text().splitlines()
    assert table[0] == (
        "Own deployments of our ML team: 10, median 30 days, 50% within 30 days (survey: 51%)"
    )
    assert analysis.record()["history"]["deployments"] == 10
    quiz = analysis.quiz()
    assert "<th>yours</th>" in quiz.deploy.value  # the quiz compares them with the survey too


def test_no_history_says_how_to_give_one() -> None:
    shown = maturity.analyse(values()).own_deployments()
    assert shown.text() == (
        "Own deployments\nNone given. Set deployment_history to a CSV with one row per deployed "
        "model (columns started and deployed) to compare them with the survey."
    )


def test_a_missing_history_file_is_named(tmp_path: Any) -> None:
    """Refused by the checks before anything is read (as `bizml new` and `bizml run` do)."""
    missing = str(tmp_path / "nowhere.csv")
    with pytest.raises(InvalidArguments) as caught:
        maturity.analyse(values(deployment_history=missing))
    assert caught.value.keywords == ("deployment_history",)
    assert str(caught.value) == (
        f"deployment_history is {missing!r}, which is not a file (a relative path is read "
        "from the folder the notebook runs in)"
    )


def test_a_history_that_is_not_a_csv_is_named(tmp_path: Any) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(
        MaturityError, match=r"deployment_history: .*empty\.csv' is not a readable CSV"
    ):
        maturity.analyse(values(deployment_history=str(empty)))


def test_the_charts_say_what_they_show() -> None:
    analysis = maturity.analyse(values())
    levels = analysis.levels_chart()._repr_mimebundle_()
    assert set(levels) == {"image/png", "text/plain"}
    assert levels["text/plain"] == (
        "Chart: maturity level by heading (people 1, model creation 1, model release 2, "
        "application integration 1); the weakest set the team's level, 1."
    )
    assert analysis.deploy_chart().png.startswith(b"\x89PNG")


# --------------------------------------------------------------------------- the template


@pytest.mark.slow
def test_the_template_leads_with_the_decision_and_shows_no_internal_label(tmp_path: Any) -> None:
    """The first output after the parameters is the card; no text names a MIME type or
    record; one maturity record; no error or warning output."""
    done = templates.run("adoption_maturity", {}, tmp_path / "m.ipynb", progress=False)
    nb = json.loads(done.notebook.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"]["tags"]
    first = code[1]
    assert first["metadata"]["tags"] == ["decision-summary"]
    assert len(first["source"]) <= 6
    card = first["outputs"][0]["data"]
    assert "".join(card["text/plain"]).startswith("our ML team: ML maturity level 1 of 4")
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error" or o.get("name") == "stderr"]
    records = [o for o in outputs if MATURITY_MIME in o.get("data", {})]
    assert records == [first["outputs"][0]]
    for output in outputs:
        text = "".join(output.get("data", {}).get("text/plain", "")) + "".join(
            output.get("text", "")
        )
        assert "vnd.bizml" not in text
        assert "decision record" not in text
    assert all(len(c["source"]) <= 6 for c in code[1:])
    assert done.summary == card_text(card)


def card_text(data: dict[str, Any]) -> str:
    text = data["text/plain"]
    return "".join(text) if isinstance(text, list) else str(text)
