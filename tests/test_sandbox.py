"""The sandbox module: what it detects, what it reports, how strict mode refuses."""

from __future__ import annotations

import json
import os
import struct

import pytest
from click.testing import CliRunner

from grader import cli, execute, sandbox
from grader.grade import _status
from grader.protocol import Run
from grader.report import Status

from .conftest import SUBMISSIONS


def test_this_machine_offers_every_layer():
    assert sandbox.probe() == {}
    assert sandbox.landlock_abi() >= 6


def test_seccomp_program_is_well_formed():
    program = sandbox.seccomp_program()
    assert len(program) % 8 == 0 and len(program) // 8 < 256
    instructions = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert instructions[0] == (sandbox.LD_ABS, 0, 0, 4)  # the architecture is checked first
    assert instructions[1][3] == sandbox.AUDIT_ARCH_X86_64
    for index, (code, jt, jf, _) in enumerate(instructions):
        if code in (sandbox.JEQ, sandbox.JGE):
            assert index + 1 + max(jt, jf) < len(instructions)
    denied = {k for code, _, _, k in instructions if code == sandbox.JEQ}
    assert {41, 56, 57, 59, 101, 321, 425} <= denied  # socket, clone, fork, execve, ptrace, bpf, io_uring
    assert sum(k == sandbox.PID_PLACEHOLDER for *_, k in instructions) == 2


def test_prepared_filter_patches_the_pid():
    built = sandbox.SeccompFilter.build()
    assert len(built.pid_offsets) == 2
    assert all(built.buffer.raw[o:o + 4] == struct.pack("=I", sandbox.PID_PLACEHOLDER) for o in built.pid_offsets)


def test_strict_refuses_when_a_layer_is_missing(monkeypatch):
    monkeypatch.setattr(sandbox, "probe", lambda: {"landlock": "the kernel offers Landlock ABI 0"})
    result = CliRunner().invoke(cli.cli, ["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"),
                                          "--sandbox", "strict"])
    assert result.exit_code == 2
    assert "--sandbox strict: not every layer is available here: landlock" in result.output


def test_missing_layers_are_noted_once(monkeypatch):
    monkeypatch.setattr(sandbox, "probe", lambda: {"seccomp": "no seccomp", "landlock": "no landlock"})
    result = CliRunner().invoke(cli.cli, ["check", str(SUBMISSIONS / "correct_dot" / "gradient.py")])
    assert result.exit_code == 0
    assert result.output.count("running without these sandbox layers: seccomp, landlock") == 1
    assert "Score: 5/5" in result.output


def test_strict_child_stops_before_student_code(tmp_path):
    read, write = os.pipe()
    marker = tmp_path / "ran"
    job = {"strict": True, "filename": "gradient.py", "variables": ["h"], "cases": [None], "soft_timeout": 1.0,
           "source": f"open({str(marker)!r}, 'w')\n"}
    pid = os.fork()
    if pid == 0:
        execute.run_cases(job, write, {"applied": ["rlimits"], "missing": ["landlock: none"]})
        os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    first = os.read(read, 4096).decode().splitlines()[0]
    assert os.waitstatus_to_exitcode(status) == sandbox.STRICT_EXIT
    assert json.loads(first) == {"sandbox": {"applied": ["rlimits"], "missing": ["landlock: none"]}}
    assert not marker.exists()
    status, warnings = _status(Run(outcome="exited", cases=[], exit_code=sandbox.STRICT_EXIT), None, 1)
    assert status is Status.SANDBOX_ERROR and "strict sandbox" in warnings[-1]


@pytest.mark.parametrize("layer", ["seccomp", "landlock", "namespaces", "unprivileged", "no_new_privs"])
def test_every_layer_is_in_force_for_a_real_run(fork_pool, quiz, tmp_path, layer):
    from grader.discover import Submission
    from grader.grade import Settings, grade

    path = tmp_path / "gradient.py"
    path.write_text(quiz.solution_source)
    report = next(grade([Submission("s", path)], quiz, Settings(), fork_pool))
    assert layer in report.sandbox.applied and report.score == 5
