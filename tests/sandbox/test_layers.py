"""The layers a child enters (grader/sandbox/layers.py, with mounts.py, landlock.py, kernel.py):
which this machine offers, each in force for a real run, how strict mode refuses, and host scratch
slots closed to each other."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from grader import entry
from grader.grade import Grader, Settings, _status
from grader.intake import Submission
from grader.protocol import Run
from grader.report import Status
from grader.sandbox import child, cleanup, landlock, layers
from grader.sandbox.control import STRICT_EXIT
from grader.sandbox.job import Job
from tests.conftest import SUBMISSIONS
from tests.sandbox.conftest import in_child


def test_this_machine_offers_every_layer(fork_grader):
    assert fork_grader.missing_layers() == {}
    assert landlock.abi() >= landlock.MINIMUM_ABI


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
    job = Job(strict=True, filename="gradient.py", variables=("h",), public={}, hidden_cases=0,
              soft_timeout=1.0, limits=Settings().limits())
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
    assert os.waitstatus_to_exitcode(status) == STRICT_EXIT
    assert json.loads(first)["sandbox"]["missing"] == ["landlock: none here"]
    assert not marker.exists()
    status, warnings = _status(Run(outcome="exited", cases=[], exit_code=STRICT_EXIT), None, 1)
    assert status is Status.SANDBOX_ERROR and "strict sandbox" in warnings[-1]


@pytest.mark.parametrize("layer", layers.LAYERS)
def test_every_layer_is_in_force_for_a_real_run(grader, quiz, tmp_path, layer):
    path = tmp_path / "gradient.py"
    path.write_text(quiz.solution_source)
    report = next(grader.grade([Submission("s", path)]))
    assert layer in report.sandbox.applied and report.score == 5 and report.sandbox.missing == []


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
        if "landlock" not in report.applied:
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
        assert in_child(in_slot_zero) == 0
        assert os.listdir(neighbour) == ["theirs.txt"]
        assert os.listdir(cleanup.slot_folder(plan.scratch_root, 0)) == ["mine.txt"]
    finally:
        for fd in [*plan.landlock_fds, plan.scratch_lock]:
            os.close(fd)
        cleanup.remove_tree(plan.scratch_root)
