"""A report's JSON (grader/report_json.py): written exactly, read back strictly, never with its source."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from grader import report_json
from grader.report import CaseDetail, Check, Outcome, Report, Status, Student


def _report() -> Report:
    case = CaseDetail(case="public", passed=False, failure="nan", expected=[0.5, 1.0],
                      actual=[float("nan"), float("inf")], actual_shape=[2], problem="contains NaN")
    check = Check(name="h", outcome=Outcome.WRONG, passed=False, score=0.0, max_score=1.0, message="`h` is wrong",
                  cases=[case])
    return Report(quiz="gradient_descent", submission="ana", path="ana/gradient.py", status=Status.COMPLETED,
                  score=0, max_score=1, checks=[check], duration_s=0.25)


def test_a_report_reads_back_as_it_was_written():
    report = _report()
    text = report_json.dump(report)
    back = report_json.load(text)
    assert report_json.dump(back) == text
    assert back.checks[0].cases[0].expected == [0.5, 1.0]
    shown = json.loads(text)
    assert shown["checks"][0]["cases"][0]["actual"] == ["NaN", "Infinity"]  # standard JSON, every number kept
    assert shown["score"] == 0.0 and '"score":0.0' in text  # a float field is written as a float


def test_the_source_text_never_reaches_the_json():
    report = _report()
    report.source_text = "SECRET = 1\n"
    assert "SECRET" not in report_json.dump(report)
    assert report_json.load(report_json.dump(report)).source_text is None
    assert report.revised(replace(report, score=1.0)).source_text == "SECRET = 1\n"


def test_a_value_of_the_wrong_type_is_refused_not_written():
    with pytest.raises(ValueError, match="Expected `float`"):
        report_json.dump(replace(_report(), score="full"))  # type: ignore[arg-type]


@pytest.mark.parametrize("change", [
    lambda data: data.update(extra=1),  # an unknown field
    lambda data: data["checks"][0].update(hint=3),  # a field's type
    lambda data: data["checks"][0]["cases"][0].update(failure="other"),  # a value not in the list
    lambda data: data.pop("status"),  # a required field
])
def test_reading_back_is_strict(change):
    data = json.loads(report_json.dump(_report()))
    change(data)
    with pytest.raises(report_json.ValidationError):
        report_json.load(json.dumps(data))


def test_names_are_printable_however_a_student_is_made():
    made = Student(system="canvas", name="ana\x1b[31m", entry="ana\u202e_1")
    data = json.loads(report_json.dump(replace(_report(), student=Student(system="canvas", entry="ana"))))
    data["student"]["name"] = "ana\x1b[31m"
    read = report_json.load(json.dumps(data)).student
    assert read is not None and read.name == made.name and "\x1b" not in made.name
    assert "\u202e" not in made.entry
    assert "\x1b" not in (replace(made, name="bo\x1b").name or "")
