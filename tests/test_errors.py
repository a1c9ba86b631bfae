"""Errors keep their cause (grader/errors.py): the user's mistakes are one line and exit code 2; a
fault in gdgrade is one line and exit code 70, its traceback kept in the report and the log, and
printed by ``--debug``.

Each fault is injected: gdgrade runs in a process of its own with one of its functions replaced by
one that raises ``KeyError`` (what a misspelt key in gdgrade's own code raises).
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest

from grader import errors, report_json
from grader.errors import QuizError, UserError
from tests.conftest import SEED, SUBMISSIONS

RIGHT = SUBMISSIONS / "correct_dot" / "gradient.py"
INJECTED = """
import importlib, sys
module, name = sys.argv[1].split(":")

def fault(*args, **kwargs):
    raise KeyError("injected")

setattr(importlib.import_module(module), name, fault)
from grader.entry import main
main(sys.argv[2:])
"""


def gdgrade(*args, fault: str | None = None):
    """``gdgrade ARGS``, with ``fault`` (``module:function``) raising KeyError when given."""
    launch = [sys.executable, "-c", INJECTED, fault] if fault else [sys.executable, "-m", "grader"]
    return subprocess.run([*launch, *map(str, args)], capture_output=True, text=True, timeout=180)


HIDING = "grader.conceal:hidden_case"
"""Called for every hidden case of a graded run, in the grader's process: a fault while grading a file."""


def user_errors() -> list[type[Exception]]:
    from grader.adjust import AdjustError
    from grader.formats.lms import RosterError
    from grader.intake import IntakeError
    from grader.outdir import FolderBusy, OtherBatch
    from grader.serve.export import NothingToExport
    from grader.serve.listen import CannotListen
    from grader.serve.lti import ConfigError
    from grader.serve.store import NoDatabase
    from grader.shard import ShardError

    return [QuizError, IntakeError, RosterError, AdjustError, ShardError, OtherBatch, FolderBusy, NothingToExport,
            CannotListen, NoDatabase, ConfigError]


def test_every_user_error_is_one_and_none_is_a_builtin_lookup_or_value_error():
    """A KeyError or ValueError raised by gdgrade's own code can then never read as the user's mistake."""
    for error in user_errors():
        assert issubclass(error, UserError) and not issubclass(error, (LookupError, ValueError)), error


def test_a_fault_grading_a_file_keeps_its_traceback_in_the_report_and_exits_70():
    result = gdgrade("check", RIGHT, "--json", "--seed", SEED, fault=HIDING)
    assert result.returncode == errors.FAULT_EXIT, result.stderr
    report = report_json.load(result.stdout)
    assert report.status == "grader_error" and report.score == 0
    assert report.warnings == ["gdgrade failed on this submission (KeyError): please report it"]
    assert report.fault.type == "KeyError" and report.fault.message == "'injected'"
    assert report.fault.traceback.startswith("Traceback (most recent call last):")
    assert "in _finish" in report.fault.traceback and report.fault.traceback.endswith("KeyError: 'injected'\n")
    lines = result.stderr.splitlines()
    assert lines == ["gdgrade: error: could not grade submission correct_dot: a fault in gdgrade (KeyError), please "
                     "report it; its report keeps the traceback"]  # the log: one line, no traceback


def test_debug_prints_the_faults_traceback():
    result = gdgrade("--debug", "check", RIGHT, "--seed", SEED, fault=HIDING)
    assert result.returncode == errors.FAULT_EXIT
    assert "Traceback (most recent call last):" in result.stderr and "KeyError: 'injected'" in result.stderr
    assert "grader_error" in result.stdout and "injected" not in result.stdout  # the text shows no fault's message


def test_a_students_view_of_a_fault_holds_none_of_it():
    result = gdgrade("check", RIGHT, "--format", "gradescope", "--hide-hidden-cases", "--seed", SEED, fault=HIDING)
    assert result.returncode == errors.FAULT_EXIT
    assert "injected" not in result.stdout and "Traceback" not in result.stdout
    assert "gdgrade failed on this submission (KeyError): please report it" in result.stdout


def test_a_fault_finding_the_quiz_is_not_a_bad_quiz():
    """Listing the shipped quizzes is gdgrade's own code: a KeyError in finding a quiz was once read as
    an unknown --quiz. (A shipped quiz is found among the shipped ones alone: ``catalog.load``.)"""
    result = gdgrade("check", RIGHT, fault="grader.catalog:_built_in")
    assert result.returncode == errors.FAULT_EXIT and result.stdout == ""
    assert result.stderr.splitlines() == ["gdgrade: error: KeyError: 'injected' (a fault in gdgrade, not in what it "
                                          "was given: please report it; --debug prints its traceback)"]
    debug = gdgrade("--debug", "check", RIGHT, fault="grader.catalog:_built_in")
    assert debug.returncode == errors.FAULT_EXIT
    assert "Traceback (most recent call last):" in debug.stderr and "in load_quiz" in debug.stderr
    bad = gdgrade("check", RIGHT, "--quiz", "nope")
    assert bad.returncode == errors.USAGE_EXIT and len(bad.stderr.splitlines()) == 1
    assert "Invalid value for '--quiz': unknown quiz 'nope'" in bad.stderr and "Traceback" not in bad.stderr


def test_a_batch_gives_each_fault_a_report_with_its_traceback(tmp_path):
    for name in ("ana", "ben"):
        (tmp_path / "class" / name).mkdir(parents=True)
        (tmp_path / "class" / name / "gradient.py").write_bytes(RIGHT.read_bytes())
    out = tmp_path / "out"
    result = gdgrade("grade", tmp_path / "class", "--out", out, "--seed", SEED, "--hide-hidden-cases", fault=HIDING)
    assert result.returncode == 0, result.stderr  # every submission has its report
    assert [line for line in result.stderr.splitlines() if "a fault in gdgrade" in line] == [
        f"gdgrade: error: could not grade submission {name}: a fault in gdgrade (KeyError), please report it; its "
        "report keeps the traceback" for name in ("ana", "ben")]
    assert "Traceback" not in result.stderr
    for name in ("ana", "ben"):
        report = report_json.load((out / f"{name}.json").read_text())
        assert report.status == "grader_error" and "KeyError: 'injected'" in report.fault.traceback
        page = (out / f"{name}.html").read_text()
        assert "please report it" in page and "injected" not in page and "Traceback (most" not in page
    assert json.loads((out / "summary.json").read_text())["statuses"] == {"grader_error": 2}
    debug = gdgrade("--debug", "grade", tmp_path / "class", "--out", out, "--seed", SEED, fault=HIDING)
    assert debug.returncode == 0 and debug.stderr.count("Traceback (most recent call last):") == 2


def test_gradescope_writes_results_whatever_fault_and_exits_70(tmp_path):
    upload = tmp_path / "submission"
    upload.mkdir()
    (upload / "gradient.py").write_bytes(RIGHT.read_bytes())
    results = tmp_path / "results" / "results.json"
    done = gdgrade("gradescope", "--submission-dir", upload, "--results", results, "--seed", SEED,
                   fault="grader.formats.gradescope:results")
    assert done.returncode == errors.FAULT_EXIT
    written = json.loads(results.read_text())
    assert written["score"] == 0 and written["output"] == ("gdgrade failed to grade it (a fault in gdgrade): please "
                                                           "report it.")
    assert [test["status"] for test in written["tests"]] == ["failed"] * 5
    assert "KeyError: 'injected'" in done.stderr.splitlines()[-1]


def test_the_page_answers_a_fault_without_it_and_logs_its_traceback(quiz, monkeypatch, caplog):
    from grader import conceal
    from tests.serve.test_app import RIGHT as SOURCE
    from tests.serve.test_app import serving

    def fault(*args, **kwargs):
        raise KeyError("injected")

    monkeypatch.setattr(conceal, "hidden_case", fault)
    with serving(quiz) as client, caplog.at_level(logging.ERROR, "gdgrade.grade"):
        caplog.clear()  # the page's start grades the solution, which fails alike
        answer = client.post("/api/check", json={"source": SOURCE})
    assert answer.status_code == 200
    report = answer.json()
    assert report["status"] == "grader_error" and report["fault"] is None and "injected" not in answer.text
    logged = [record for record in caplog.records if record.name == "gdgrade.grade"]
    assert len(logged) == 1 and logged[0].exc_info[0] is KeyError  # the log keeps the traceback


@pytest.mark.parametrize("tracebacks", [False, True])
def test_the_log_on_stderr_is_one_line_a_record_with_the_traceback_when_asked(tracebacks, capsys):
    errors.log_to_stderr(tracebacks)
    try:
        try:
            raise KeyError("injected")
        except KeyError as fault:
            logging.getLogger("gdgrade.grade").error("could not grade %s", "ana", exc_info=fault)
        logging.getLogger("gdgrade.serve").warning("a note")
    finally:
        errors.log.handlers.clear()
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "gdgrade: error: could not grade ana"
    assert ("Traceback (most recent call last):" in lines) == tracebacks
    assert lines[-1] == "gdgrade: warning: a note"


def test_a_fault_reading_a_downloads_layout_is_a_note_and_a_logged_traceback(tmp_path):
    (tmp_path / "class" / "ana").mkdir(parents=True)
    (tmp_path / "class" / "ana" / "gradient.py").write_bytes(RIGHT.read_bytes())
    args = ("grade", tmp_path / "class", "--out", tmp_path / "out", "--seed", SEED)
    result = gdgrade(*args, fault="grader.intake.layouts:detect")
    assert result.returncode == 0, result.stderr  # the students are graded under their plain names
    assert [line for line in result.stderr.splitlines() if line.startswith("gdgrade: warning")] == [
        f"gdgrade: warning: the layout of {tmp_path / 'class'} could not be read (KeyError, a fault in gdgrade: "
        "please report it); its students are graded under their plain names"]
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["full_marks"] == 1
    debug = gdgrade("--debug", *args, "--replace", fault="grader.intake.layouts:detect")
    assert "Traceback (most recent call last):" in debug.stderr and "in find" in debug.stderr


def test_output_that_cannot_be_written_is_not_a_file_without_full_marks(tmp_path):
    """A full disk is exit code 74 (EX_IOERR), one line: never 1, which a check gives a wrong file."""
    with open("/dev/full", "w") as full:
        checked = subprocess.run([sys.executable, "-m", "grader", "check", str(RIGHT)], stdout=full,
                                 stderr=subprocess.PIPE, text=True, timeout=120)
    assert checked.returncode == errors.IO_EXIT == 74
    assert checked.stderr == "gdgrade: error: No space left on device\n"
    # a batch whose files stop fitting (RLIMIT_FSIZE: the kernel refuses the write as too large)
    limited = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
               "resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000)); sys.argv[0] = 'gdgrade'; "
               "from grader.entry import main; main()")
    batch = subprocess.run([sys.executable, "-c", limited, "grade", str(RIGHT), "--out", str(tmp_path / "out"),
                            "--seed", str(SEED)], capture_output=True, text=True, timeout=300)
    assert batch.returncode == 74, batch.stderr
    assert batch.stderr.strip().splitlines()[-1].startswith(f"gdgrade: error: File too large: {tmp_path / 'out'}/")
