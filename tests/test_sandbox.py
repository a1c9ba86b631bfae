"""The sandbox: what it detects and reports, its filter program, how strict mode refuses."""

from __future__ import annotations

import json
import os
import struct

import pytest
from click.testing import CliRunner

from grader import cli
from grader.grade import Grader, Settings, _status
from grader.intake import Submission
from grader.protocol import Run
from grader.report import Status
from grader.sandbox import child, cleanup, landlock, layers, seccomp

from .conftest import SUBMISSIONS


def test_this_machine_offers_every_layer(fork_grader):
    assert fork_grader.missing_layers() == {}
    assert landlock.abi() >= landlock.MINIMUM_ABI


def test_seccomp_program_is_well_formed():
    program = seccomp.program()
    assert len(program) % 8 == 0 and len(program) // 8 < 256
    instructions = [struct.unpack("=HBBI", program[i:i + 8]) for i in range(0, len(program), 8)]
    assert instructions[0] == (seccomp.LD_ABS, 0, 0, 4)  # the architecture is checked first
    assert instructions[1][3] == seccomp.AUDIT_ARCH_X86_64
    for index, (code, jt, jf, _) in enumerate(instructions):
        if code in (seccomp.JEQ, seccomp.JGE):
            assert index + 1 + max(jt, jf) < len(instructions)
    compared = {k for code, _, _, k in instructions if code == seccomp.JEQ}
    # socket, clone, fork, execve, ptrace, bpf, io_uring, memfd_create, inotify_init1, fanotify_mark
    assert {41, 56, 57, 59, 101, 321, 425, 319, 294, 301} <= compared
    assert set(seccomp.DENIED_PRCTL.values()) <= compared
    assert sum(k == seccomp.PID_PLACEHOLDER for *_, k in instructions) == 2


def test_prepared_filter_patches_the_pid():
    built = seccomp.Filter.build()
    assert len(built.pid_offsets) == 2
    assert all(built.buffer.raw[o:o + 4] == struct.pack("=I", seccomp.PID_PLACEHOLDER) for o in built.pid_offsets)


def test_strict_refuses_when_a_layer_is_missing(monkeypatch):
    monkeypatch.setattr(Grader, "missing_layers", lambda self: {"landlock": "the kernel offers Landlock ABI 0"})
    result = CliRunner().invoke(cli.cli, ["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"),
                                          "--sandbox", "strict"])
    assert result.exit_code == 2
    assert "--sandbox strict: not every layer is available here: landlock" in result.output


def test_missing_layers_are_noted_once(monkeypatch):
    monkeypatch.setattr(Grader, "missing_layers", lambda self: {"seccomp": "no seccomp", "landlock": "no landlock"})
    result = CliRunner().invoke(cli.cli, ["check", str(SUBMISSIONS / "correct_dot" / "gradient.py")])
    assert result.exit_code == 0
    assert result.output.count("running without these sandbox layers: seccomp, landlock") == 1
    assert "Score: 5/5" in result.output


def test_strict_child_stops_before_student_code(tmp_path):
    marker = tmp_path / "ran"
    scratch, lock = cleanup.create(1, None)
    plan = layers.Plan(strict=True, drop_to_uid=False, scratch_root=scratch,
                       unavailable={"landlock": "none here"})
    job = {"strict": True, "filename": "gradient.py", "variables": ["h"], "public": {}, "hidden_cases": 0,
           "soft_timeout": 1.0, "limits": Settings().limits()}
    source = tmp_path / "gradient.py"
    source.write_text(f"open({str(marker)!r}, 'w')\n")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.dup2(write, child.RESULTS_FD)
        os.dup2(os.open(source, os.O_RDONLY), child.SOURCE_FD)
        try:
            child.main(plan, job, 0)
        finally:
            os._exit(0)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    first = os.read(read, 4096).decode().splitlines()[0]
    os.close(lock)
    cleanup.remove_tree(scratch)
    assert os.waitstatus_to_exitcode(status) == layers.STRICT_EXIT
    assert json.loads(first)["sandbox"]["missing"] == ["landlock: none here"]
    assert not marker.exists()
    status, warnings = _status(Run(outcome="exited", cases=[], exit_code=layers.STRICT_EXIT), None, 1)
    assert status is Status.SANDBOX_ERROR and "strict sandbox" in warnings[-1]


@pytest.mark.parametrize("layer", layers.LAYERS)
def test_every_layer_is_in_force_for_a_real_run(grader, quiz, tmp_path, layer):
    path = tmp_path / "gradient.py"
    path.write_text(quiz.solution_source)
    report = next(grader.grade([Submission("s", path)]))
    assert layer in report.sandbox.applied and report.score == 5 and report.sandbox.missing == []


def deep_tree(folder, depth: int) -> None:
    """``depth`` nested folders with a file at the bottom, made one level at a time (os.makedirs recurses)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(os.open("file", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)


def test_a_deep_tree_is_removed_without_recursion(tmp_path):
    folder = tmp_path / "slot"
    folder.mkdir()
    deep_tree(folder, 1500)
    os.symlink("/etc", folder / "link")  # removed, never followed
    cleanup.empty_folder(str(folder))
    assert os.listdir(folder) == [] and os.path.isdir("/etc")


def test_scratch_left_by_a_killed_run_is_removed_and_a_live_one_kept(tmp_path):
    live, lock = cleanup.create(2, None)
    dead, dead_lock = cleanup.create(1, None)
    os.close(dead_lock)  # its run was killed: nobody holds the lock
    (tmp_path / "gdgrade-scratch-notours").mkdir()  # not made by gdgrade: mode 0755, no lock
    try:
        assert cleanup.remove_stale() >= 1
        assert not os.path.exists(dead) and os.path.isdir(cleanup.slot_folder(live, 1))
    finally:
        os.close(lock)
        cleanup.remove_tree(live)
