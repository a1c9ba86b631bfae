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
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from grader import report_json
from grader.report import Report
from grader.sandbox import cleanup
from grader.sandbox.layers import LAYERS

from .attacks import ATTACKS, BINARY_GARBAGE, zip_archive
from .conftest import SUBMISSIONS
from .containment import run_contained

HONEST = ("aaa_honest", "zzz_honest")
SECRET_HOLDER = "aab_secret_holder"
"""An honest student graded before the memory scanners, who prints a secret and keeps it in a comment."""
GRADER_MEMORY = 2 << 30
"""The grader's own address-space limit in the batch: values that made it allocate 10^8 elements exceed it."""
SHADOWING_MODULES = ("selectors", "json", "numpy", "socket")
"""Loose files in the submissions folder named like modules the grader and the fork server import."""
ODD_PARTS = {
    b"caf\xe9": "caf\\xe9",  # not UTF-8
    b"new\nline": "new\\x0aline",
    b"::stop-commands::x": "::stop-commands::x",
    b"=1+1": "=1+1", b'+HYPERLINK("x")': '+HYPERLINK("x")', b"-2+3": "-2+3",
    b"@SUM(1)": "@SUM(1)",
    b"summary": "summary", b"index": "index", b"shard": "shard", b"grades": "grades", b"junit": "junit",
    b"Case": "Case", b"case": "case-2",  # one id on a disk that ignores case
}
"""Student folders with odd names (bytes on disk) and the id each must get."""


PUBLIC_SEED = 20261126
"""The seed gdgrade 0.1 drew every batch's hidden cases from, there for anyone to read."""


ATTACK_TIMEOUT = 8
"""Seconds each hostile file may run: ample for one that ends (filling its scratch space, a fresh
interpreter under --spawn) on a loaded machine, so that only the endless ones time out."""

def lookup_table(seed: int) -> dict[tuple[float, int], dict[str, object]]:
    """Every variable's right answer for each case drawn from ``seed``, keyed by x[0] and len(x)."""
    quiz = importlib.import_module("grader.quiz").load("gradient_descent")
    return {(round(float(inputs["x"][0]), 6), len(inputs["x"])): {name: value.tolist() for name, value in
                                                                  quiz.solve(inputs).items()}
            for inputs in quiz.cases(None, seed)}


def odd_folders(folder: Path) -> dict[str, int]:
    """Honest submissions in folders named in every way that broke a batch; the ids expected, with
    how many levels of folders each holds below its file."""
    solution = (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()
    root = os.fsencode(folder)
    expected = {}
    for name, identifier in ODD_PARTS.items():
        os.mkdir(os.path.join(root, name))
        with open(os.path.join(root, name, b"gradient.py"), "wb") as stream:
            stream.write(solution)
        expected[identifier] = 0
    for parts, identifier in (((b"a", b"b"), "a__b"), ((b"a__b",), "a__b-2"), ((b"a__b-2",), "a__b-2-2")):
        os.makedirs(os.path.join(root, *parts))
        with open(os.path.join(root, *parts, b"gradient.py"), "wb") as stream:
            stream.write(solution)
        expected[identifier] = 0
    long_parts = [b"nested_" + bytes([97 + i]) * 30 for i in range(10)]  # an id of over 370 bytes
    os.makedirs(os.path.join(root, *long_parts))
    with open(os.path.join(root, *long_parts, b"gradient.py"), "wb") as stream:
        stream.write(solution)
    expected["__".join(part.decode() for part in long_parts)] = 0
    os.mkdir(os.path.join(root, b"deep_tree"))
    with open(os.path.join(root, b"deep_tree", b"gradient.py"), "wb") as stream:
        stream.write(solution)
    fd = os.open(os.path.join(root, b"deep_tree"), os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(1100):  # made a level at a time: os.makedirs recurses
        os.mkdir("d", dir_fd=fd)
        inner = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    expected["deep_tree"] = 1100
    return expected


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


def _digest(folder: Path) -> dict[bytes, str]:
    """Every regular file under ``folder`` and its digest, walked without recursion (trees are deep here)."""
    digests, stack = {}, [os.fsencode(folder)]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    with open(entry.path, "rb") as stream:
                        digests[entry.path] = hashlib.sha256(stream.read()).hexdigest()
    return digests


@pytest.fixture(scope="module", params=["fork", "spawn"])
def batch(request, tmp_path_factory):
    """Grade every attack plus two honest submissions in one contained batch."""
    if not shutil.which("unshare"):
        pytest.fail("containment unavailable: unshare(1) is missing")
    base = tmp_path_factory.mktemp(f"adversarial-{request.param}")
    token = secrets.token_hex(8)
    secret = f"GDGRADE-SECRET-{secrets.token_hex(12)}"
    memory_secret = f"GDGRADE-MEMSECRET-{secrets.token_hex(12)}"
    canary_dir = base / "canary"
    canary_dir.mkdir()
    (canary_dir / "canary.txt").write_text(f"canary {secret}\n")
    folder = base / "submissions"
    for name in HONEST:
        (folder / name).mkdir(parents=True)
        shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / name / "gradient.py")
    (folder / SECRET_HOLDER).mkdir()
    (folder / SECRET_HOLDER / "gradient.py").write_text(
        f"# {memory_secret}\n" + (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
        + f"print({memory_secret!r})\n")
    odd = odd_folders(folder)
    for module in SHADOWING_MODULES:  # loose files: submissions, and modules the grader must never import
        (folder / f"{module}.py").write_text(
            f"open({str(canary_dir / f'imported-{module}-{token}')!r}, 'w').write('unsandboxed')\n")
    request.addfinalizer(lambda: cleanup.remove_tree(str(folder / "deep_tree")))  # pytest's own clean-up recurses
    listener = Listener()
    reference_path = str(Path(importlib.import_module("grader.reference.gradient_descent").__file__))
    fills = {
        "CANARY_DIR": str(canary_dir), "SUBMISSIONS_DIR": str(folder),
        "HONEST_PATH": str(folder / HONEST[0] / "gradient.py"), "REFERENCE_PATH": reference_path,
        "TCP_PORT": str(listener.tcp.getsockname()[1]), "UDP_PORT": str(listener.udp.getsockname()[1]),
        "TOKEN": token, "REVERSED_SECRET": memory_secret[::-1], "LOOKUP_TABLE": repr(lookup_table(PUBLIC_SEED)),
    }
    for name, (code, _) in ATTACKS.items():
        for placeholder, value in fills.items():
            code = code.replace(placeholder, value)
        for copy in (name, *((name + "_again",) if name.startswith("scan_") else ())):  # on either slot
            (folder / copy).mkdir()
            (folder / copy / "gradient.py").write_text(code)
    (folder / "binary_garbage").mkdir()
    (folder / "binary_garbage" / "gradient.py").write_bytes(BINARY_GARBAGE)
    (folder / "symlink_outside").mkdir()
    (folder / "symlink_outside" / "gradient.py").symlink_to(canary_dir / "canary.txt")
    (folder / "fifo").mkdir()
    os.mkfifo(folder / "fifo" / "gradient.py")
    (folder / "linked_folder").symlink_to(canary_dir, target_is_directory=True)
    before = {"submissions": _digest(folder), "canary": _digest(canary_dir)}
    # gdgrade's own temporaries go to a folder of this batch's: other runs on the machine write to /tmp too
    own_tmp = Path(tempfile.mkdtemp(prefix="adversarial-tmp-"))
    own_tmp.chmod(0o755)
    request.addfinalizer(lambda: cleanup.remove_tree(str(own_tmp)))
    tmp_before = set(os.listdir("/tmp"))

    out = base / "out"
    command = ["prlimit", f"--as={GRADER_MEMORY}", "--", sys.executable, "-m", "grader", "grade", str(folder),
               "--out", str(out), "--jobs", "2", "--timeout", str(ATTACK_TIMEOUT), "--memory", "768",
               *(["--spawn"] if request.param == "spawn" else [])]
    environment = dict(os.environ, GDGRADE_TEST_SECRET=secret, CI_JOB_TOKEN=secret, TMPDIR=str(own_tmp))
    try:
        finished, outcome = run_contained(f"gdgrade-test-{token}", "2", command, env=environment,
                                          cwd=folder)  # as an instructor who cd-ed there
    finally:
        listener.close()
    return {
        "outcome": outcome, "stderr": finished.stderr, "stdout": finished.stdout, "out": out, "folder": folder,
        "canary": canary_dir, "before": before, "secret": secret, "memory_secret": memory_secret, "token": token,
        "arrived": listener.arrived, "new_tmp": set(os.listdir("/tmp")) - tmp_before, "odd": odd,
        "own_tmp_left": os.listdir(own_tmp),
    }


def reports(batch) -> dict[str, Report]:
    """Every report in the folder, by the id it holds (file names of odd ids are not the id)."""
    found = {}
    for path in batch["out"].glob("*.json"):
        if path.name != "summary.json":
            report = report_json.load(path.read_text())
            assert report.submission not in found, report.submission
            found[report.submission] = report
    return found


def attack_names() -> set[str]:
    return set(ATTACKS) | {name + "_again" for name in ATTACKS if name.startswith("scan_")}


def test_batch_completes_with_a_report_for_every_submission(batch):
    assert batch["outcome"]["returncode"] == 0, batch["stderr"]
    names = attack_names() | set(HONEST) | {SECRET_HOLDER, "binary_garbage", "symlink_outside", "fifo",
                                             "linked_folder"} | set(batch["odd"]) | set(SHADOWING_MODULES)
    assert set(reports(batch)) == names
    rows = (batch["out"] / "grades.csv").read_text().splitlines()
    assert len(rows) == len(names) + 1
    assert len(ATTACKS) >= 60


def test_no_process_is_left_behind(batch):
    assert batch["outcome"]["leftover"] == []


@pytest.mark.parametrize("attack", sorted(attack_names()))
def test_attack_scores_nothing_and_ends_as_expected(batch, attack):
    report = reports(batch)[attack]
    attack = attack.removesuffix("_again")
    assert report.score == 0, [(c.name, c.outcome) for c in report.checks]
    assert report.status.value in ATTACKS[attack][1], (report.status, report.error, report.warnings)
    assert report.sandbox is not None and report.sandbox.missing == []


def test_honest_submissions_keep_full_marks(batch):
    for name in (*HONEST, SECRET_HOLDER):
        report = reports(batch)[name]
        assert (report.status.value, report.score) == ("completed", 5.0)


def test_no_submission_reads_or_replays_another(batch):
    """The secret holder's source, output and results were in the grader, never where children are forked."""
    out, secret = batch["out"], batch["memory_secret"]
    holder = reports(batch)[SECRET_HOLDER]
    assert secret in holder.stdout  # the holder's own report shows it
    holding = {path.name for path in out.iterdir() if path.is_file() and secret in path.read_text(errors="replace")}
    assert holding == {f"{SECRET_HOLDER}.json", f"{SECRET_HOLDER}.html", "junit.xml"}  # its suite's output
    junit = (out / "junit.xml").read_text()
    suite = junit[junit.index(f'<testsuite name="{SECRET_HOLDER}"'):]
    assert junit.count(secret) == suite[:suite.index("</testsuite>")].count(secret)
    for report in reports(batch).values():
        assert "PWNED" not in report.stdout + report.stderr, (report.submission, report.stdout[:300])


def test_odd_folder_names_each_get_one_whole_report(batch):
    """Non-UTF-8 bytes, line breaks, ids over 255 bytes, a 1,100-deep tree, batch files' names, ids
    that collide once joined or ignoring case: one report and one gradebook row each, full marks."""
    got, out = reports(batch), batch["out"]
    for identifier in batch["odd"]:
        assert (got[identifier].status.value, got[identifier].score) == ("completed", 5.0), identifier
    summary = json.loads((out / "summary.json").read_text())
    assert summary["submissions"] == len(got)  # the class summary, not a report named summary
    assert (out / "index.html").read_text().count("gdgrade class overview") == 1
    assert any("were not searched" in note for note in summary["notes"])
    rows = {row.split(",")[0] for row in (out / "grades.csv").read_text().splitlines()[1:]}
    for formula in ("=1+1", "-2+3", "@SUM(1)"):
        assert formula not in rows and "'" + formula in rows  # never a formula in a spreadsheet
    assert all(len(os.fsencode(name)) <= 255 for name in os.listdir(out))


def test_no_student_module_is_imported_outside_the_sandbox(batch):
    """Run from inside the submissions folder: a student's selectors.py must not run in the grader or
    the fork server (as root, before any layer); graded as submissions, they cannot write the canary."""
    assert not [p.name for p in batch["canary"].iterdir() if p.name.startswith("imported-")]
    for module in SHADOWING_MODULES:
        assert reports(batch)[module].status.value == "runtime_error"


def test_grader_work_on_student_values_is_bounded(batch):
    """Shapes (10000, 1) and (1, 10000) everywhere: graded under a 2 GiB limit for the whole grader,
    and the report stays small."""
    for name in ("broadcast_shapes", "broadcast_shapes_with_inputs"):
        report = reports(batch)[name]
        assert report.status.value == "completed" and report.score == 0
        assert len(report_json.dump(report)) < 200_000


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
    assert batch["own_tmp_left"] == []  # gdgrade's scratch roots and temporaries, all gone
    assert not [name for name in batch["new_tmp"] if batch["token"] in name]
    for name in ("fill_disk_bytes", "fill_disk_files", "deep_folders"):
        assert "filled its scratch space" in reports(batch)[name].warnings[-1]
    assert not Path(f"/dev/shm/gdgrade-pwned-{batch['token']}").exists()


def test_no_connection_arrives(batch):
    assert batch["arrived"] == []


def test_no_hidden_case_is_spelled_out_by_a_name(batch):
    """Class, function and type names made at run time in a hidden case reach no output."""
    report = reports(batch)["hidden_case_names"]
    assert report.error is not None and report.error.case.startswith("hidden")
    for path in batch["out"].iterdir():
        if path.is_file():
            assert "LEAKED-" not in path.read_text(errors="replace"), path.name


def test_which_of_its_own_names_a_file_shows_tells_nothing_of_a_hidden_case(batch):
    """A file's own classes and functions, one per input size: a hidden case names none of them."""
    report = reports(batch)["hidden_own_names"]
    assert report.error is not None and report.error.case.startswith("hidden")
    assert report.error.type == "an exception of the file's own class"
    shown = report_json.dump(report)
    shown = shown.replace('raise globals()[f\\"Sign{len(x)}\\"]()', "")  # the file's own line, in its traceback
    assert re.findall(r"(?:Sign|Find)\d", shown) == []


def test_no_secret_or_reference_leaks_into_any_output(batch):
    texts = [p.read_text(errors="replace") for p in batch["out"].iterdir() if p.is_file()]
    assert texts
    for text in texts:
        assert batch["secret"] not in text
        assert "def hidden_inputs" not in text and "error_reversed" not in text.replace('"error_reversed"', "")
    assert batch["secret"] not in batch["stderr"]


SLEEPERS = {
    "sleeps": "import time\ntime.sleep(1000)\n",
    "resets_parent_death_signal": (
        "import ctypes, time\nctypes.CDLL(None).prctl(1, 0, 0, 0, 0)\ntime.sleep(1000)\n"),
    "ignores_signals": (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n"),
}


@pytest.mark.parametrize("path", ["fork", "spawn"])
def test_nothing_outlives_a_killed_grader(tmp_path, path):
    """SIGKILL of the grader while children run: every process goes at once, and no scratch stays."""
    folder = tmp_path / "class"
    for name, code in SLEEPERS.items():
        (folder / name).mkdir(parents=True)
        (folder / name / "gradient.py").write_text(code)
    own_tmp = tmp_path / "tmp"  # the grader's temporary folder: other runs on the machine use /tmp at the same time
    own_tmp.mkdir(mode=0o755)
    command = [sys.executable, "-m", "grader", "grade", str(folder), "--out", str(tmp_path / "out"), "--jobs", "2",
               "--timeout", "600", *(["--spawn"] if path == "spawn" else [])]
    _, outcome = run_contained(f"gdgrade-test-kill-{secrets.token_hex(4)}", "10", command, "--kill-at-children", "2",
                               env=dict(os.environ, TMPDIR=str(own_tmp)))
    assert outcome["returncode"] == -signal.SIGKILL
    assert outcome["leftover"] == [] and outcome["emptied_after"] is not None, outcome
    assert os.listdir(own_tmp) == []  # no scratch stays, whichever layers this machine has
    assert not [p for p in (tmp_path / "out").iterdir() if "tmp" in p.name]


def test_sandbox_holds_for_an_instructor_without_root(tmp_path):
    """Not the machine's root (here: root only inside a user namespace, as an unprivileged user
    would be): every layer still applies, and a submission reads and writes nothing it must not."""
    folder, canary = tmp_path / "class", tmp_path / "canary"
    canary.mkdir()
    (canary / "secret.txt").write_text("instructor's file\n")
    (folder / "honest").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "correct_dot" / "gradient.py", folder / "honest" / "gradient.py")
    (folder / "tamper").mkdir()
    (folder / "tamper" / "gradient.py").write_text(
        "found = []\n"
        f"for path in ({str(folder / 'honest' / 'gradient.py')!r}, {str(canary / 'secret.txt')!r}):\n"
        "    try:\n        open(path).read()\n        found.append('read ' + path)\n    except OSError:\n        pass\n"
        f"for path in ({str(canary / 'planted')!r}, {str(folder / 'honest' / 'gradient.py')!r}):\n"
        "    try:\n        open(path, 'a').write('x')\n        found.append('wrote ' + path)\n    except OSError:\n"
        "        pass\nif found:\n    print('PWNED', found)\nraise SystemExit(3)\n")
    before = _digest(folder)
    command = ["unshare", "--user", "--map-root-user", sys.executable, "-m", "grader", "grade", str(folder),
               "--out", str(tmp_path / "out"), "--sandbox", "strict"]
    finished, outcome = run_contained(f"gdgrade-test-userns-{secrets.token_hex(4)}", "1", command)
    assert outcome["returncode"] == 0, finished.stderr
    tamper = report_json.load((tmp_path / "out" / "tamper.json").read_text())
    honest = report_json.load((tmp_path / "out" / "honest.json").read_text())
    assert (honest.status.value, honest.score) == ("completed", 5.0)
    assert tamper.status.value == "runtime_error" and "PWNED" not in tamper.stdout
    assert tamper.sandbox.applied == list(LAYERS) and tamper.sandbox.missing == []
    assert _digest(folder) == before and sorted(os.listdir(canary)) == ["secret.txt"]


def test_hostile_archives_get_a_clear_report_each_and_the_batch_goes_on(tmp_path):
    """A download zip no honest tool writes: nothing is extracted or written outside --out, each
    refused member is a student's report that says why, and the honest students are graded."""
    right = (SUBMISSIONS / "correct_dot" / "gradient.py").read_bytes()
    marker = f"gdgrade-slip-{secrets.token_hex(6)}"
    archive = zip_archive([
        {"name": b"ana/gradient.py", "data": right},
        {"name": f"slip/../../../../tmp/{marker}/gradient.py".encode(), "data": right},
        {"name": f"/tmp/{marker}-absolute/gradient.py".encode(), "data": right},
        {"name": b"bomb/gradient.py", "data": b"\0" * (64 << 20), "size": 100},  # declares 100 bytes
        {"name": b"huge/gradient.py", "data": b"h = 1\n", "zip64_size": 5 << 30},  # declares 5 GiB
        {"name": b"far/gradient.py", "data": right, "zip64_offset": 1 << 62},  # claims to start at 4 EiB
        {"name": b"link/gradient.py", "data": b"/etc/passwd", "mode": 0o120777},
        {"name": b"locked/gradient.py", "data": right, "flags": 1},
        {"name": b"twice/gradient.py", "data": right},
        {"name": b"twice/gradient.py", "data": b"h = 2\n"},
        {"name": "cp437 caf\u00e9/gradient.py".encode("latin-1"), "data": right},  # not UTF-8, not flagged
        {"name": b"flagged \xff\xfe/gradient.py", "data": right, "flags": 0x800},  # flagged UTF-8, but is not
    ])
    download = tmp_path / "download.zip"
    download.write_bytes(archive)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(download), "--out", str(out)],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    got = {report.submission: report for report in (report_json.load(path.read_text())
                                                     for path in out.glob("*.json") if path.name != "summary.json")}
    assert (got["ana"].status.value, got["ana"].score) == ("completed", 5.0)
    assert (got["cp437 caf\u0398"].score, got["flagged \\xff\\xfe"].score) == (5.0, 5.0)
    notes = json.loads((out / "summary.json").read_text())["notes"]
    assert [note for note in notes if "zip slip" in note] == [  # named, but placed nowhere: it could clash
        f"2 members of {download} lead outside it (a \"zip slip\") and were not read: "
        f"`slip/../../../../tmp/{marker}/gradient.py`, `/tmp/{marker}-absolute/gradient.py`"]
    refused = {
        "bomb": "decompresses to more than the 100 bytes it declares",
        "huge": "is 5368709120 bytes uncompressed, larger than 1048576 bytes",
        "far": "is damaged in the archive (it lies outside it)",
        "link": "is a symbolic link in the archive",
        "locked": "is encrypted in the archive",
        "twice": "occurs 2 times in the archive",
    }
    for name, said in refused.items():
        assert got[name].status.value == "unreadable" and got[name].score == 0, name
        assert said in got[name].error.message, (name, got[name].error.message)
    assert set(got) == {"ana", "cp437 caf\u0398", "flagged \\xff\\xfe", *refused}
    assert not [path for path in Path("/tmp").iterdir() if path.name.startswith(marker)]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["download.zip", "out"]  # nothing extracted
