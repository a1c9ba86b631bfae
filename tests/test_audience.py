"""What each audience may see of a report (grader/audience.py): decided from fields, never from wording.

The property test builds reports whose hidden cases carry numbers found nowhere else (sizes
7000-7999, values 81000-81999, the lines of calls 6000-6999, the seed) and whose instructor's
sentences quote all of them. With the real sentences, and with every sentence replaced by one that
prints every field it is given, no student rendering holds a single hidden number: a student's
sentences are rendered from data that no longer holds them.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from grader import audience, report_json, sentences
from grader.feedback import LEVELS
from grader.formats import gradescope, html, junit, render
from grader.report import (
    Call,
    CaseDetail,
    Check,
    Diagnosis,
    Fault,
    Grading,
    HiddenSize,
    OtherShape,
    Outcome,
    Report,
    Status,
    Stopped,
    StudentError,
    case_name,
)

TEMPLATES = ("told", "explained", "story", "stopped_message", "wrong_message", "correct_message", "known_mistake",
             "size", "traceback", "statement_traceback")
"""Every sentence of ``grader.sentences``: replaced, in the leaky runs, by one that prints all it is given."""


def _leaky(name: str):
    return lambda *args, **kwargs: f"[{name} says everything: {args!r} {kwargs!r}]"


@contextlib.contextmanager
def templates(leaky: bool) -> Iterator[None]:
    """The sentences as they are, or each replaced by one that quotes every field it is given."""
    kept = {name: getattr(sentences, name) for name in TEMPLATES}
    if leaky:
        for name in TEMPLATES:
            setattr(sentences, name, _leaky(name))
    try:
        yield
    finally:
        for name, function in kept.items():
            setattr(sentences, name, function)


@st.composite
def hidden_reports(draw) -> tuple[Report, set[str]]:
    """A report with hidden cases, and every hidden number it holds (as the text that would show it)."""
    hidden = draw(st.integers(1, 3))
    secrets: set[str] = set()

    def secret(low: int) -> int:
        number = draw(st.integers(low, low + 999))
        secrets.add(str(number))
        return number

    def case(index: int, passed: bool, failure: str | None = None) -> CaseDetail:
        if index == 0:
            return CaseDetail(case="public", passed=passed, failure=failure, expected=[0.5, 0.25], actual=[0.5, 0.25],
                              actual_shape=[2], problem=None if passed else "expected 0.5, got 0.25")
        expected, actual, size = float(secret(81000)), float(secret(81000)), secret(7000)
        return CaseDetail(case=case_name(index), passed=passed, failure=failure, expected=[expected] * 2,
                          actual=[actual] * 2, actual_shape=[size], abs_error=abs(actual - expected),
                          problem=None if passed else f"expected {expected:g}, got {actual:g} where x has {size}")

    def stopped(told: str, index: int) -> Stopped:
        size = HiddenSize(input="x", shape=[secret(7000)], public_shape=[4]) if index else None
        return Stopped(told=told, case=case_name(index), place=f"line {draw(st.integers(10, 99))}",  # type: ignore[arg-type]
                       error=draw(st.sampled_from(["IndexError", "ValueError", None])), step="h",
                       inside=draw(st.booleans()), size=size,
                       assumed=[4] if size is not None and draw(st.booleans()) else None)

    def worded(data: object) -> str:
        """The instructor's sentence, in any wording: here one that quotes every field."""
        return f"`h` is said somehow: {data!r}"

    checks = []
    for form in draw(st.lists(st.sampled_from(["raised", "unjudged", "not_reached", "value", "correct"]),
                              min_size=1, max_size=5)):
        failing = draw(st.integers(1, hidden))
        passes = [form == "correct" or (form == "value" and index != failing) for index in range(hidden + 1)]
        cases = [case(index, passed, None if passed else "value") for index, passed in enumerate(passes)]
        fields: dict[str, object] = {}
        diagnosis = None
        if form in ("raised", "unjudged", "not_reached"):
            fields["stopped"] = where = stopped(form, 0 if form == "not_reached" else failing)
            if form != "not_reached":
                fields["failed_case"] = where.case
            diagnosis = Diagnosis(kind="exception" if form == "raised" else "not_reached", explanation=worded(where))
        elif form == "value":
            fields["failed_case"] = case_name(failing)
            diagnosis = Diagnosis(kind="formula", explanation="`h` equals `x + w` in every case",
                                  expression="x + w", located="`h` equals `x + w` in every case", hint="Use np.dot.")
        else:
            fields["other_shape"] = OtherShape(case=case_name(failing), shape=[1, secret(7000)], wanted=[7])
        outcome = {"correct": Outcome.CORRECT, "not_reached": Outcome.MISSING}.get(form, Outcome.WRONG)
        checks.append(Check(name="h", outcome=outcome, passed=outcome is Outcome.CORRECT, score=1.0,
                            max_score=1.0, message=worded((cases, fields)), line=12, place="line 12",
                            diagnosis=diagnosis, cases=cases, **fields))
    inner = secret(6000)
    frames = [Call(line=12, place="line 12", function="<module>", source="h = f(x)"),
              Call(line=inner, place=f"line {inner}", function="f", source=f"return v[{secret(7000)}]")]
    error = StudentError(case=case_name(draw(st.integers(1, hidden))), type="IndexError",
                         message=f"index {secret(7000)} is out of bounds", line=inner, place=f"line {inner}",
                         frames=frames, traceback=sentences.traceback(frames, "IndexError", "out of bounds"))
    seed = secret(5_000_000)
    report = Report(quiz="gradient_descent", submission="s", path="s/gradient.py", status=Status.RUNTIME_ERROR, score=0,
                    max_score=len(checks), checks=checks, error=error, duration_s=0.5,
                    grading=Grading(seed=seed, hidden_cases=hidden, timeout=10, memory_mib=1024, tolerances={}),
                    fault=Fault(type="KeyError", message=f"'{secret(81000)}'", traceback="Traceback ..."))
    return report, secrets


def holds(shown: str, secret: str) -> bool:
    """Whether ``shown`` holds the number ``secret`` as a number of its own: a hidden line 6666 is not
    leaked by a JUnit time of 0.166667 (the run's 0.5 s over three checks)."""
    return re.search(rf"(?<!\d){secret}(?!\d)", shown) is not None


def renderings(report: Report) -> str:
    """Every field of the report and every format a student reads it in (the page without its style
    sheet, whose colours are numbers too)."""
    page = re.sub(r"<style>.*?</style>", "", html.student(report, None), flags=re.DOTALL)
    return "\n".join([report_json.dump(report), render.text(report), render.markdown(report), page,
                      junit.document([report]), json.dumps(gradescope.results(report))])


@settings(max_examples=150, deadline=None)
@given(drawn=hidden_reports(), leaky=st.booleans())
def test_no_student_rendering_holds_a_hidden_number_whatever_the_sentences_say(drawn, leaky):
    report, secrets = drawn
    assert all(holds(report_json.dump(report), secret) for secret in secrets)  # the instructor's report holds them all
    with templates(leaky):
        for level in LEVELS:
            shown = renderings(audience.student(level).view(report))
            assert not [secret for secret in secrets if holds(shown, secret)], (level, leaky)
    assert audience.INSTRUCTOR.view(report) is report  # the instructor's view is the report itself


@settings(max_examples=50, deadline=None)
@given(drawn=hidden_reports())
def test_a_student_shown_the_hidden_cases_sees_them(drawn):
    """``hidden_shown`` (no --hide-hidden-cases) keeps what the instructor chose to show."""
    report, secrets = drawn
    shown = report_json.dump(audience.student("full", hidden_shown=True).view(report))
    assert any(holds(shown, secret) for secret in secrets)


def test_a_fault_and_the_seed_never_reach_a_student():
    report = Report(quiz="gradient_descent", submission="s", path="s/gradient.py", status=Status.GRADER_ERROR, score=0,
                    max_score=0, checks=[], duration_s=0.0, warnings=["gdgrade failed on this submission (KeyError)"],
                    fault=Fault(type="KeyError", message="'x'", traceback="Traceback (most recent call last): ..."),
                    grading=Grading(seed=12345, hidden_cases=4, timeout=10, memory_mib=1024, tolerances={}))
    shown = audience.student("full").view(report)
    assert (shown.fault, shown.grading, shown.warnings) == (None, None, report.warnings)
    assert audience.INSTRUCTOR.view(report).fault == report.fault


def test_a_hidden_case_error_is_shown_at_the_files_own_statement():
    frames = [Call(line=30, place="cell 2, line 3", function="<module>", source="h = deep(x)"),
              Call(line=34, place="cell 2, line 7", function="deep", source="return v[10]")]
    error = StudentError(case="hidden 2", type="IndexError", message="index 10 is out of bounds for size 7",
                         line=34, place="cell 2, line 7", frames=frames,
                         traceback=sentences.traceback(frames, "IndexError", "index 10 is out of bounds for size 7"))
    step = Check(name="h", outcome=Outcome.MISSING, passed=False, score=0, max_score=1, message="h was not computed",
                 line=30, place="cell 2, line 3")
    report = Report(quiz="gradient_descent", submission="s", path="s.ipynb", status=Status.RUNTIME_ERROR, score=0,
                    max_score=1, checks=[step], error=error, duration_s=0.0)
    shown = audience.student("full").view(report).error
    assert (shown.line, shown.place, shown.message, shown.frames) == (30, "cell 2, line 3", "", frames[:1])
    assert shown.traceback == ("Traceback (your code):\n  cell 2, line 3, in <module>\n    h = deep(x)\n"
                               "IndexError (in a hidden case its message and the calls inside this line are not shown)")
    page = html.student(audience.student("full").view(report), "x = 1\n" * 40)
    assert 'id="L30" class="fail"' in page and 'id="L34" class="fail"' not in page  # the call's line is not marked
    public = replace(report, error=replace(error, case="public"))
    assert audience.student("full").view(public).error == public.error  # the public case's error is the student's


def test_a_hidden_case_that_stops_off_the_steps_lines_does_not_say_where(tmp_path):
    """A file may raise at one of 256 lines chosen by a hidden input (``if k == 158: raise``): the line
    it stopped at spelt the input out. Only a step's own statement is told for a hidden case."""
    from tests.conftest import ROOT

    lines = (ROOT / "submissions" / "gradient_descent" / "correct_dot" / "gradient.py").read_text()
    chooser = "".join(f"if _k == {value}:\n    raise ValueError\n" for value in range(1, 256))
    leaky = tmp_path / "gradient.py"
    leaky.write_text(lines + "_k = 0 if x[0] == 1 else 1 + int(abs(x[0]) * 100) % 255\n" + chooser)
    ran = [subprocess.run([sys.executable, "-m", "grader", "check", str(leaky), "--hide-hidden-cases", "--format",
                           shape, "--seed", "424242"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
           for shape in ("text", "markdown", "gradescope")]
    assert [result.returncode for result in ran] == [0, 0, 0]
    assert "Score: 5/5" in ran[0].stdout and "hidden case 1" in ran[0].stdout
    for result in ran:  # no line of the chooser (lines 51 and on); the steps' own lines (30-49) may be told
        assert not re.search(r"line ([5-9]\d|\d{3})\b", result.stdout), result.stdout


def test_check_the_quiz_page_and_a_notebook_answer_with_the_same_student_view(quiz, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from grader import entry, jupyter
    from tests.serve.test_app import FORGOT, serving

    made: list[tuple[audience.Audience, Report]] = []
    real = audience.Audience.view

    def kept(self: audience.Audience, report: Report) -> audience.View:
        made.append((self, real(self, report)))
        return made[-1][1]

    monkeypatch.setattr(audience.Audience, "view", kept)
    with serving(quiz) as client:
        made.clear()
        answer = client.post("/api/check", json={"source": FORGOT}).json()
    assert [who for who, _ in made] == [audience.student("full")]
    assert answer == json.loads(report_json.dump(made[0][1]))
    path = tmp_path / "gradient.py"
    path.write_text(FORGOT)
    made.clear()
    result = CliRunner().invoke(entry.cli, ["check", str(path), "--hide-hidden-cases", "--feedback", "hints"])
    assert result.exit_code == 1 and [who for who, _ in made] == [audience.student("hints")]
    assert render.text(made[0][1]) in result.output
    made.clear()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the notebook it writes goes there
    jupyter.grade_cells([FORGOT], "gradient_descent", "outcomes")
    assert [who for who, _ in made] == [audience.student("outcomes")]
