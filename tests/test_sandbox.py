"""The sandbox: what it detects and reports, its filter program, how strict mode refuses."""

from __future__ import annotations

import json
import os
import struct
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import entry
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
    result = CliRunner().invoke(entry.cli, ["check", str(SUBMISSIONS / "correct_dot" / "gradient.py"),
                                          "--sandbox", "strict"])
    assert result.exit_code == 2
    assert "--sandbox strict: not every layer is available here: landlock" in result.output


def test_missing_layers_are_noted_once(monkeypatch):
    monkeypatch.setattr(Grader, "missing_layers", lambda self: {"seccomp": "no seccomp", "landlock": "no landlock"})
    result = CliRunner().invoke(entry.cli, ["check", str(SUBMISSIONS / "correct_dot" / "gradient.py")])
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


def _in_child(action) -> int:
    """Run ``action`` in a forked child; its exit status (the child never returns to pytest)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = action()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.fixture
def open_folder(tmp_path):
    """A folder that uid 65534 can reach (pytest's own are private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="gdgrade-test-"))
    os.chmod(folder, 0o755)
    yield folder
    cleanup.remove_tree(str(folder))


def test_a_folder_a_child_left_without_permissions_is_still_emptied(open_folder):
    """Children that share the grader's uid (no root, no user namespace) can chmod 0 a folder in
    their scratch: emptying the slot must still work, as that uid, and never raise."""
    tmp_path = open_folder
    slot = tmp_path / "slot"
    (slot / "locked" / "inner").mkdir(parents=True)
    (slot / "locked" / "inner" / "f").write_text("x")
    (slot / "readonly").mkdir()
    (slot / "readonly" / "g").write_text("y")
    for path in (tmp_path, slot, *slot.rglob("*")):
        os.chown(path, 65534, 65534)
    os.chmod(slot / "locked" / "inner", 0)
    os.chmod(slot / "locked", 0)
    os.chmod(slot / "readonly", 0o500)

    def as_nobody() -> int:
        os.setgid(65534)
        os.setuid(65534)
        return 0 if cleanup.empty_folder(str(slot)) else 3

    assert _in_child(as_nobody) == 0
    assert os.listdir(slot) == []


def test_a_folder_that_cannot_be_emptied_is_reported_not_raised(open_folder):
    tmp_path = open_folder
    slot = tmp_path / "slot"
    (slot / "kept").mkdir(parents=True)
    (slot / "kept" / "f").write_text("x")
    os.chown(slot / "kept", 12345, 12345)  # another uid's folder: nobody may change it
    os.chmod(slot / "kept", 0o555)
    for path in (tmp_path, slot):
        os.chown(path, 65534, 65534)

    def as_nobody() -> int:
        os.setgid(65534)
        os.setuid(65534)
        return 0 if cleanup.empty_folder(str(slot)) is False else 3

    assert _in_child(as_nobody) == 0
    assert os.listdir(slot / "kept") == ["f"]


def test_host_scratch_slots_are_closed_to_each_other(tmp_path):
    """Without a private root, each slot's Landlock ruleset allows that slot alone: a child that
    shares its neighbours' uid still cannot read or write their scratch."""
    plan = layers.Plan(strict=False, drop_to_uid=False)
    layers._without_root(plan, 2, "test")
    neighbour = cleanup.slot_folder(plan.scratch_root, 1)
    with open(os.path.join(neighbour, "theirs.txt"), "w") as stream:
        stream.write("secret")

    def in_slot_zero() -> int:
        report = layers.enter(plan, Settings().limits(), 0, keep=())
        if "landlock" not in report["applied"]:
            return 4
        with open("mine.txt", "w") as stream:  # its own slot: allowed
            stream.write("ok")
        for attempt in (lambda: open(os.path.join(neighbour, "theirs.txt")).read(),
                        lambda: open(os.path.join(neighbour, "planted.txt"), "w"), lambda: os.listdir(neighbour)):
            try:
                attempt()
                return 5
            except PermissionError:
                pass
        return 0

    try:
        assert _in_child(in_slot_zero) == 0
        assert os.listdir(neighbour) == ["theirs.txt"]
        assert os.listdir(cleanup.slot_folder(plan.scratch_root, 0)) == ["mine.txt"]
    finally:
        for fd in [*plan.landlock_fds, plan.scratch_lock]:
            os.close(fd)
        cleanup.remove_tree(plan.scratch_root)


def test_a_submission_after_the_sandbox_ended_is_answered_at_once(quiz):
    from grader.grade import job_settings
    from grader.sandbox.supervisor import Sandbox

    sandbox = Sandbox(job_settings(quiz, quiz.cases(0, 1), Settings()), [], slots=1)
    sandbox.missing()
    sandbox.close()
    answer = sandbox.submit("h = 1\n").result(timeout=5)
    assert answer["outcome"] == "runner_failed" and "closed" in answer["detail"]
