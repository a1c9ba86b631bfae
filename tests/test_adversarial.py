"""Hostile submissions graded in one batch, contained so that a broken sandbox cannot hurt this machine.

The batch runs inside a new PID namespace (``unshare --pid --fork --mount-proc``) in a cgroup with a pids
limit; if either cannot be set up, these tests fail rather than run uncontained. Attacks aim only at
files and loopback ports this test owns.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from grader.report import Report

from .attacks import ATTACKS, BINARY_GARBAGE
from .conftest import SUBMISSIONS

PIDS_LIMIT = 200
HONEST = ("aaa_honest", "zzz_honest")
CONTAINED = Path(__file__).with_name("contained.py")


def _pids_cgroup(name: str) -> Path:
    """A cgroup limited to PIDS_LIMIT processes (v2 unified hierarchy or the v1 pids controller)."""
    for root in (Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/pids")):
        group = root / name
        try:
            if (root / "cgroup.controllers").exists() and "pids" not in (root / "cgroup.controllers").read_text():
                continue
            group.mkdir(exist_ok=True)
            (group / "pids.max").write_text(str(PIDS_LIMIT))
            return group
        except OSError:
            continue
    pytest.fail("containment unavailable: no writable cgroup with a pids controller")


class Listener:
    """A TCP and a UDP socket on loopback that record anything that arrives."""

    def __init__(self):
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.tcp.settimeout(0.2)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.2)
        self.arrived: list[str] = []
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        while self.running:
            try:
                connection, peer = self.tcp.accept()
                self.arrived.append(f"tcp from {peer}")
                connection.close()
            except OSError:
                pass
            try:
                data, peer = self.udp.recvfrom(100)
                self.arrived.append(f"udp {data!r} from {peer}")
            except OSError:
                pass

    def close(self):
        self.running = False
        self.thread.join()
        self.tcp.close()
        self.udp.close()


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


@pytest.fixture(scope="module", params=["fork", "spawn"])
def batch(request, tmp_path_factory):
    """Grade every attack plus two honest submissions in one contained batch."""
    if not shutil.which("unshare"):
        pytest.fail("containment unavailable: unshare(1) is missing")
    base = tmp_path_factory.mktemp(f"adversarial-{request.param}")
    token = secrets.token_hex(8)
    secret = f"GDGRADE-SECRET-{secrets.token_hex(12)}"
    canary_dir = base / "canary"
    canary_dir.mkdir()
    (canary_dir / "canary.txt").write_text(f"canary {secret}\n")
    folder = base / "submissions"
    for name in HONEST:
        (folder / name).mkdir(parents=True)
        shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / name / "gradient.py")
    listener = Listener()
    reference_path = str(Path(importlib.import_module("grader.reference.gradient_descent").__file__))
    fills = {
        "CANARY_DIR": str(canary_dir), "SUBMISSIONS_DIR": str(folder),
        "HONEST_PATH": str(folder / HONEST[0] / "gradient.py"), "REFERENCE_PATH": reference_path,
        "TCP_PORT": str(listener.tcp.getsockname()[1]), "UDP_PORT": str(listener.udp.getsockname()[1]),
        "TOKEN": token,
    }
    for name, (code, _) in ATTACKS.items():
        for placeholder, value in fills.items():
            code = code.replace(placeholder, value)
        (folder / name).mkdir()
        (folder / name / "gradient.py").write_text(code)
    (folder / "binary_garbage").mkdir()
    (folder / "binary_garbage" / "gradient.py").write_bytes(BINARY_GARBAGE)
    (folder / "symlink_outside").mkdir()
    (folder / "symlink_outside" / "gradient.py").symlink_to(canary_dir / "canary.txt")
    (folder / "fifo").mkdir()
    os.mkfifo(folder / "fifo" / "gradient.py")
    (folder / "linked_folder").symlink_to(canary_dir, target_is_directory=True)
    before = {"submissions": _digest(folder), "canary": _digest(canary_dir)}
    tmp_before = set(os.listdir("/tmp"))

    out = base / "out"
    group = _pids_cgroup(f"gdgrade-test-{token}")
    command = [
        "unshare", "--pid", "--fork", "--mount-proc", sys.executable, str(CONTAINED), "2", "--",
        sys.executable, "-m", "grader", "grade", str(folder), "--out", str(out), "--jobs", "2",
        "--timeout", "2", "--memory", "768", *(["--spawn"] if request.param == "spawn" else []),
    ]
    environment = dict(os.environ, GDGRADE_TEST_SECRET=secret, CI_JOB_TOKEN=secret)

    def join_cgroup():
        (group / "cgroup.procs").write_text(str(os.getpid()))

    try:
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment,
                                  preexec_fn=join_cgroup)
    finally:
        listener.close()
        try:
            group.rmdir()
        except OSError:
            pass
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    return {
        "outcome": outcome, "stderr": finished.stderr, "out": out, "folder": folder, "canary": canary_dir,
        "before": before, "secret": secret, "token": token, "arrived": listener.arrived,
        "new_tmp": set(os.listdir("/tmp")) - tmp_before,
    }


def reports(batch) -> dict[str, Report]:
    return {p.stem: Report.model_validate_json(p.read_text())
            for p in batch["out"].glob("*.json") if p.name != "summary.json"}


def test_batch_completes_with_a_report_for_every_submission(batch):
    assert batch["outcome"]["returncode"] == 0, batch["stderr"]
    names = set(ATTACKS) | set(HONEST) | {"binary_garbage", "symlink_outside", "fifo", "linked_folder"}
    assert set(reports(batch)) == names
    assert len(ATTACKS) + 3 >= 30


def test_no_process_is_left_behind(batch):
    assert batch["outcome"]["leftover"] == []


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_scores_nothing_and_ends_as_expected(batch, attack):
    report = reports(batch)[attack]
    assert report.score == 0, [(c.name, c.outcome) for c in report.checks]
    assert report.status.value in ATTACKS[attack][1], (report.status, report.error, report.warnings)
    assert report.sandbox is not None and report.sandbox.missing == []


def test_honest_submissions_keep_full_marks(batch):
    for name in HONEST:
        report = reports(batch)[name]
        assert (report.status.value, report.score) == ("completed", 5.0)


def test_files_that_cannot_be_read_are_reported(batch):
    got = reports(batch)
    assert got["binary_garbage"].status.value in {"syntax_error", "unreadable"}
    assert got["symlink_outside"].status.value == "unreadable"
    assert "outside the submissions folder" in got["symlink_outside"].error.message
    assert got["fifo"].status.value == "unreadable" and "not a regular file" in got["fifo"].error.message
    linked = got["linked_folder"]
    assert linked.status.value == "unreadable" and "links are not followed" in linked.error.message


def test_nothing_outside_scratch_changed(batch):
    folder, canary = batch["folder"], batch["canary"]
    assert _digest(folder) == batch["before"]["submissions"]
    assert _digest(canary) == batch["before"]["canary"]
    assert not [name for name in batch["new_tmp"] if batch["token"] in name or name.startswith("gdgrade")]
    assert not Path(f"/dev/shm/gdgrade-pwned-{batch['token']}").exists()


def test_no_connection_arrives(batch):
    assert batch["arrived"] == []


def test_no_secret_or_reference_leaks_into_any_output(batch):
    texts = [p.read_text(errors="replace") for p in batch["out"].iterdir() if p.is_file()]
    assert texts
    for text in texts:
        assert batch["secret"] not in text
        assert "def hidden_inputs" not in text and "error_reversed" not in text.replace('"error_reversed"', "")
    assert batch["secret"] not in batch["stderr"]
