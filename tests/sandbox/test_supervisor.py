"""Running submissions in a child (grader/sandbox/supervisor.py), on both the fork and the spawn path:
the fork server (forkserver.py), the frames the two speak (control.py) and the launcher that starts it
early (launch.py) with it.

Only well-behaved misbehaviour here (timeouts, exits, floods, a memory limit);
the hostile suite runs contained, in test_adversarial.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from grader.grade import Settings
from grader.intake import Submission
from grader.report import Outcome, Status
from tests.conftest import SEED

SOLUTION_TAIL = "\nprint('done')\n"


def run(graders, path, tmp_path: Path, code: str, **settings):
    file = tmp_path / "gradient.py"
    file.write_text(code)
    return next(graders(Settings(spawn=path == "spawn", seed=SEED, **settings)).grade([Submission("s", file)]))


def solution(quiz):
    return quiz.solution_source


def test_solution_gets_full_marks(graders, path, quiz, tmp_path):
    report = run(graders, path, tmp_path, solution(quiz))
    assert report.status is Status.COMPLETED and report.score == 5
    assert report.stdout.endswith("[-0.02031869 -0.04063738 -0.06095608 -0.08127477]\n")


def test_stdout_is_the_public_case_only(graders, path, quiz, tmp_path):
    report = run(graders, path, tmp_path, solution(quiz) + "print('tail', len(x))\nimport sys\nsys.stderr.write('e')\n")
    assert report.stdout.count("Neural Network output:") == 1
    assert report.stdout.endswith("tail 4\n")
    assert report.stderr == "e"


def test_infinite_loop_times_out_and_keeps_earlier_variables(graders, path, quiz, tmp_path):
    code = solution(quiz).replace("del_w = learnrate * error_term * x", "while True:\n    pass")
    # each case gets 1.6 s to reach the loop: room for a fresh interpreter on a loaded machine (at 3 s a
    # case, 0.48 s, a hidden case could be left with no time to start, and h be charged for it)
    report = run(graders, path, tmp_path, code, timeout=10.0)
    assert report.status is Status.TIMEOUT
    outcomes = [c.outcome for c in report.checks]
    assert outcomes == [Outcome.CORRECT] * 4 + [Outcome.MISSING]
    assert report.score == 4
    assert report.duration_s < 3 * 10.0  # stopped by the deadline, not left to run


def test_signal_proof_hang_is_killed(graders, path, quiz, tmp_path):
    code = "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.01)\n"
    report = run(graders, path, tmp_path, code, timeout=1.0)
    assert report.status is Status.TIMEOUT and report.score == 0
    assert report.checks[0].message == "`h` was not computed: the run timed out before it was computed"


def test_sys_exit_and_os_exit(graders, path, quiz, tmp_path):
    early = run(graders, path, tmp_path, "import sys\nsys.exit(3)\n")
    assert early.status is Status.RUNTIME_ERROR and early.score == 0
    assert "sys.exit(3)" in early.warnings[-1]
    hard = run(graders, path, tmp_path, "import os\nos._exit(0)\n")
    assert hard.status is Status.CRASHED and hard.score == 0
    clean = run(graders, path, tmp_path, solution(quiz) + "import sys\nsys.exit(0)\n")
    assert clean.status is Status.COMPLETED and clean.score == 5


def test_sys_exit_with_a_bool_is_its_status(graders, path, quiz, tmp_path):
    """sys.exit(True) exits with status 1: a runtime error whose values count, not a result refused as
    forged (JSON's true is no number to the grader)."""
    report = run(graders, path, tmp_path, solution(quiz) + "import sys\nsys.exit(True)\n")
    assert report.status is Status.RUNTIME_ERROR and report.score == 5
    assert "sys.exit(1)" in report.warnings[-1]


def test_exception_is_trimmed_to_the_students_frames(graders, path, quiz, tmp_path):
    code = solution(quiz).replace("h = np.dot(x, w)", "def helper():\n    return 1 / 0\nh = helper()")
    report = run(graders, path, tmp_path, code)
    assert report.status is Status.RUNTIME_ERROR
    assert report.error.type == "ZeroDivisionError" and report.error.line == 31
    assert "return 1 / 0" in report.error.traceback and "grader" not in report.error.traceback


def test_output_is_truncated_and_a_flood_stops_the_run(graders, path, quiz, tmp_path):
    chatty = run(graders, path, tmp_path, solution(quiz) + "print('x' * 200_000)\n")
    assert chatty.status is Status.COMPLETED and chatty.score == 5 and chatty.output_truncated
    assert len(chatty.stdout) <= 64 * 1024
    flood = run(graders, path, tmp_path, "import sys\nwhile True:\n    sys.stdout.write('y' * 65536)\n")
    assert flood.status is Status.OUTPUT_LIMIT and flood.score == 0


def test_memory_limit(graders, path, quiz, tmp_path):
    code = "import numpy as np\nblock = np.ones(10**9)\n"
    report = run(graders, path, tmp_path, code, memory_mib=512)
    assert report.status is Status.MEMORY_LIMIT
    assert report.error.type.endswith("MemoryError")


def test_stdin_is_empty_and_name_is_main(graders, path, quiz, tmp_path):
    code = ("import sys\nassert __name__ == '__main__'\nassert sys.stdin.read() == ''\n"
            + solution(quiz))
    assert run(graders, path, tmp_path, code).score == 5


def test_hidden_inputs_are_injected(graders, path, quiz, tmp_path):
    report = run(graders, path, tmp_path, solution(quiz))
    del_w = report.checks[-1]
    lengths = [len(case.actual) for case in del_w.cases]
    assert lengths[0] == 4 and len(lengths) == 5 and 4 not in lengths[1:]
    assert [case.actual for case in del_w.cases] == [case.expected for case in del_w.cases]


def test_an_error_message_that_is_not_text_costs_nothing(graders, path, quiz, tmp_path):
    """A message with a lone surrogate (bytes decoded with surrogateescape) after every value is
    computed: the run's results are still read, and the error costs nothing."""
    code = solution(quiz) + "raise ValueError('done with ' + b'caf\\xe9'.decode('utf-8', 'surrogateescape'))\n"
    report = run(graders, path, tmp_path, code)
    assert (report.status, report.score) == (Status.RUNTIME_ERROR, 5)
    assert report.error.message == "done with caf?"


def test_a_submission_after_the_sandbox_ended_is_answered_at_once(quiz):
    from grader.grade import hidden_inputs, job_settings
    from grader.sandbox.supervisor import Runner

    sandbox = Runner(job_settings(quiz, Settings(hidden_cases=1)), slots=1)
    sandbox.missing()
    sandbox.close()
    answer = sandbox.submit("h = 1\n", hidden_inputs(quiz.cases(1, 1))).result(timeout=5)
    assert answer.outcome == "runner_failed" and answer.detail is not None and "closed" in answer.detail


def test_only_the_result_lines_a_run_can_use_are_kept(quiz):
    """A file that writes a million lines where results go costs the grader a few lines, not a string
    for each: the sandbox's line, one per case and one to tell the surplus."""
    from grader.grade import hidden_inputs, job_settings
    from grader.protocol import parse_run
    from grader.sandbox.supervisor import Runner

    with Runner(job_settings(quiz, Settings(hidden_cases=2)), slots=1) as sandbox:
        answer = sandbox.submit("import os\nos.write(3, b'ab\\n' * 1_000_000)\n",
                                hidden_inputs(quiz.cases(2, SEED))).result(timeout=60)
    assert len(answer.results) == 3 + 2 and answer.results[1:] == ("ab",) * 4
    run = parse_run(answer, 3, quiz.variables)
    assert run.cases == [] and run.problems == ["result line 1 is malformed; later results ignored"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the fault, as injected
def test_a_fault_while_answering_a_run_answers_it_all_the_same(quiz, monkeypatch):
    """A bug in reading a finished run ends the supervisor, and the run it was reading is answered
    (``runner_failed``), never left waiting: its job was already let go of."""
    from grader.grade import hidden_inputs, job_settings
    from grader.sandbox import supervisor

    def broken(self, job, failure):
        raise KeyError("injected")

    monkeypatch.setattr(supervisor._Loop, "_answer", broken)
    sandbox = supervisor.Runner(job_settings(quiz, Settings(hidden_cases=1)), slots=1)
    answer = sandbox.submit("h = 1\n", hidden_inputs(quiz.cases(1, SEED))).result(timeout=60)
    assert answer.outcome == "runner_failed" and "KeyError" in answer.detail
    sandbox.close()


def test_a_runner_closed_without_waiting_leaves_no_server_running(quiz):
    """``gdgrade check`` closes its sandbox without waiting for the server (it exits next): the
    server still ends by itself, every child with it."""
    from grader.grade import hidden_inputs, job_settings
    from grader.sandbox.supervisor import Runner

    sandbox = Runner(job_settings(quiz, Settings(hidden_cases=1)), slots=1)
    answer = sandbox.submit(solution(quiz), hidden_inputs(quiz.cases(1, SEED))).result(timeout=60)
    assert answer.outcome == "exited" and answer.exit_code == 0
    launcher = sandbox.server_pid()
    assert launcher is not None
    sandbox.close(wait=False)
    for _ in range(600):  # a bound, not a speed: the server ends within moments of its socket closing
        pid, _status = os.waitpid(launcher, os.WNOHANG)
        if pid == launcher:
            break
        time.sleep(0.05)
    assert pid == launcher


def test_the_environment_is_the_safe_one_with_home_in_the_scratch(graders, path, quiz, tmp_path):
    from grader.sandbox.launch import SAFE_ENVIRONMENT

    code = solution(quiz) + "import json, os\nprint(json.dumps([dict(os.environ), os.getcwd()]))\n"
    report = run(graders, path, tmp_path, code)
    environment, here = json.loads(report.stdout.splitlines()[-1])
    assert environment["HOME"] == here
    assert environment == {**SAFE_ENVIRONMENT, "HOME": environment["HOME"], "TMPDIR": environment["HOME"]}
