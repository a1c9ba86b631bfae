"""The sentences a check tells of one case (grader/sentences.py), rendered from its fields alone."""

from __future__ import annotations

from dataclasses import replace

from grader import intake, sentences
from grader.report import Call, HiddenSize, OtherShape, Stopped
from tests.conftest import SUBMISSIONS
from tests.test_text import LEAKS


def test_every_sentence_that_tells_of_a_case_is_rendered_from_the_data_alone(fork_grader, tmp_path):
    """Judging renders its sentences through ``grader.sentences``: rendered again from the report's
    fields they are the same, so a student's rendering (from fewer fields) is the same sentence
    without what they may not see."""
    folder = tmp_path / "class"
    for sample in SUBMISSIONS.iterdir():
        (folder / sample.name).mkdir(parents=True)
        (folder / sample.name / "gradient.py").write_bytes((sample / "gradient.py").read_bytes())
    correct = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
    variants = {"deep": correct.replace("h = np.dot(x, w)", "def deep(v):\n    return v[10] if len(v) != 4 else "
                                                           "np.dot(v, w)\nh = deep(x)"),
                "stops": correct.replace("error_term = error", "raise RuntimeError('stop')\nerror_term = error"),
                "reshaped": correct.replace("del_w = learnrate * error_term * x", "del_w = learnrate * error_term * x"
                                            "\nif len(x) != 4:\n    del_w = del_w[None]"),
                **LEAKS}
    for name, code in variants.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "gradient.py").write_text(code)
    kinds = set()
    for report in fork_grader.grade(intake.find([folder]).submissions):
        for check in report.checks:
            if sentences.told(check) is not None:
                kinds.add(check.stopped.told if check.stopped else check.outcome.value)
                assert sentences.told(check) == check.message, (report.submission, check.name)
            if sentences.explained(check) is not None:
                assert sentences.explained(check) == check.diagnosis.explanation, (report.submission, check.name)
    assert kinds == {"correct", "wrong", "raised", "unjudged", "not_reached"}  # every sentence was there to compare


def test_a_stop_is_told_from_its_fields():
    stopped = Stopped(told="raised", case="hidden 2", place="cell 3, line 2", error="IndexError", step="h",
                      inside=True, size=HiddenSize(input="x", shape=[3, 2], public_shape=[4, 2]), assumed=[4, 2])
    assert sentences.stopped_message("h", stopped, "loop over four") == (
        "`h` is wrong: your code stopped at cell 3, line 2 with `IndexError` while computing it in hidden case 2, "
        "where `x` has shape (3, 2) ((4, 2) in the public case): it seems to assume shape (4, 2), as in the public "
        "case. This matches a known mistake: loop over four")
    late = replace(stopped, told="unjudged", error=None, step="h", inside=False, size=None, assumed=None)
    assert sentences.stopped_message("del_w", late, None) == (
        "`del_w` could not be judged: only the public case, whose answer is known, reached it; your code stopped "
        "before it in every hidden case (the first time: it ran out of time at cell 3, line 2 before computing `h` "
        "in hidden case 2)")


def test_a_right_value_in_another_shape_is_noted_from_its_fields():
    from grader.report import CaseDetail

    cases = [CaseDetail(case="public", passed=True), CaseDetail(case="hidden 1", passed=False, failure="not_reached")]
    assert sentences.correct_message("h", cases, OtherShape(case="public", shape=[1], wanted=[])) == (
        "`h` is correct in the 1 case where your code reached it (it stopped before it in hidden 1), as shape (1,) "
        "where a scalar is asked: the numbers are right and the extra length-one axes are accepted (`np.squeeze` "
        "removes them)")


def test_a_traceback_is_rendered_from_the_students_frames():
    frames = [Call(line=5, place="line 5", function="<module>", source="h = f(x)"),
              Call(line=2, place="line 2", function="f", source="return v[9]")]
    assert sentences.traceback(frames, "IndexError", "out of range") == (
        "Traceback (your code):\n  line 5, in <module>\n    h = f(x)\n  line 2, in f\n    return v[9]\n"
        "IndexError: out of range")
    assert sentences.traceback([], "SyntaxError", "invalid syntax (line 3)") == "SyntaxError: invalid syntax (line 3)"
    assert sentences.statement_traceback([], "IndexError") == (
        "IndexError (in a hidden case its message and the calls inside this line are not shown)")
