"""The --out folder (grader/outdir.py): file modes, temporaries, interrupts, one run at a time, and no
stale reports."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import pytest

from grader import atomic, outdir
from tests.conftest import SUBMISSIONS


def gdgrade(*args, umask=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          timeout=180, preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


def copy_sample(folder, name, sample="correct_dot"):
    (folder / name).mkdir(parents=True)
    (folder / name / "gradient.py").write_bytes((SUBMISSIONS / sample / "gradient.py").read_bytes())


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664), (0o077, 0o600)])
def test_every_file_gets_the_mode_the_umask_gives(tmp_path, umask, mode):
    copy_sample(tmp_path / "class", "ana")
    out = tmp_path / "out"
    assert gdgrade("grade", tmp_path / "class", "--out", out, umask=umask).returncode == 0
    files = [path for path in out.iterdir() if path.is_file()]
    assert {"ana.json", "ana.html", "grades.csv", "junit.xml", "summary.json", "summary.md", "index.html"} <= {
        path.name for path in files}
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == {path.name: mode for path in files}
    report = json.loads((out / "ana.json").read_text())  # a strict umask must not break the sandbox either
    assert (report["status"], report["score"], report["sandbox"]["missing"]) == ("completed", 5.0, [])


def test_a_run_removes_only_gdgrades_own_leftovers(tmp_path):
    copy_sample(tmp_path / "class", "ana")
    out = tmp_path / "out"
    out.mkdir()
    ours = [".ana.json.0123456789abcdef.gdgrade-tmp", ".grades.csv.k2j4h5g6.tmp"]
    theirs = [".notes.tmp", "draft.0123456789abcdef.gdgrade-tmp", ".mine.txt.abcdefgh.tmp"]
    for name in ours + theirs:
        (out / name).write_text("left behind")
    assert gdgrade("grade", tmp_path / "class", "--out", out).returncode == 0
    names = set(os.listdir(out))
    assert not names & set(ours)
    assert set(theirs) <= names


def test_stale_reports_of_removed_students_are_removed(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "out"
    for name in ("ana", "bob", "carl", "dina"):
        copy_sample(folder, name)
    assert gdgrade("grade", folder, "--out", out).returncode == 0
    (out / "notes.json").write_text('{"mine": true}\n')  # the instructor's own files
    (out / "extra.html").write_text("<p>mine</p>\n")
    (out / "dina.json").write_text('{"replaced": "by hand"}\n')  # no longer what gdgrade wrote
    for name in ("bob", "carl", "dina"):
        (folder / name / "gradient.py").unlink()
        (folder / name).rmdir()
    result = gdgrade("grade", folder, "--out", out)
    assert result.returncode == 0, result.stderr
    names = set(os.listdir(out))
    assert {"bob.json", "bob.html", "carl.json", "carl.html", "dina.html"}.isdisjoint(names)
    assert {"ana.json", "ana.html", "notes.json", "extra.html", "dina.json"} <= names
    assert json.loads((out / "summary.json").read_text())["stale_removed"] == 5
    assert f"Removed 5 files an earlier run wrote into {out} that this batch does not write." in result.stdout
    assert "Removed 5 files that an earlier run wrote" in (out / "summary.md").read_text()
    assert [line.split(",")[0] for line in (out / "grades.csv").read_text().splitlines()] == ["id", "ana"]


@pytest.mark.parametrize("manifest", ['{"files": 5}', '{"files": "a.json"}', "[1, 2]", "not json"])
def test_a_manifest_someone_edited_is_trusted_in_nothing(tmp_path, manifest):
    copy_sample(tmp_path / "class", "ana")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.json").write_text('{"schema_version": "1.0", "grader_version": "0", "submission": "a"}\n')
    (out / outdir.MANIFEST).write_text(manifest)
    result = gdgrade("grade", tmp_path / "class", "--out", out)
    assert result.returncode == 0, result.stderr
    assert (out / "a.json").exists()  # not listed by a manifest gdgrade can read: never removed


def test_a_second_run_into_the_same_folder_is_refused(tmp_path):
    copy_sample(tmp_path / "class", "ana")
    out = tmp_path / "out"
    with outdir.OutputFolder(out):
        result = gdgrade("grade", tmp_path / "class", "--out", out)
    assert result.returncode == 2
    assert result.stderr == f"gdgrade: error: another gdgrade run is writing to {out}\n"


def test_an_interrupt_while_a_student_is_written_counts_that_student(tmp_path, monkeypatch, quiz, fork_grader):
    from grader import intake
    from grader.audience import student
    from grader.formats import gradebook, html

    report = next(fork_grader.grade(intake.find([SUBMISSIONS / "correct_dot" / "gradient.py"]).submissions))
    real_page = html.student

    def page_then_ctrl_c(*args):  # Ctrl-C after the report is on disk, before the page is
        os.kill(os.getpid(), signal.SIGINT)
        return real_page(*args)

    monkeypatch.setattr(html, "student", page_then_ctrl_c)
    previous = signal.getsignal(signal.SIGINT)
    atomic.install_interrupt_handler()
    try:
        with outdir.OutputFolder(tmp_path / "out") as folder:
            book = gradebook.Gradebook(folder, quiz, student(quiz.feedback, hidden_shown=True))
            with pytest.raises(KeyboardInterrupt):
                book.add(report)
            book.abandon()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert book.written == 1
    assert sorted(os.listdir(tmp_path / "out")) == ["correct_dot.html", "correct_dot.json"]


def test_a_second_batch_into_the_same_folder_is_refused_unless_replace(tmp_path):
    """Two sections into one --out: the second never removes the first's reports without --replace;
    the first graded again (its own batch) still removes its own stale files."""
    sec1, sec2, out = tmp_path / "sec1", tmp_path / "sec2", tmp_path / "grades"
    for name in ("ana", "bob", "carl"):
        copy_sample(sec1, name)
    copy_sample(sec2, "dina")
    assert gdgrade("grade", sec1, "--out", out, "--seed", "7").returncode == 0
    refused = gdgrade("grade", sec2, "--out", out, "--seed", "7")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (f"gdgrade: error: --out {out} holds the reports of another batch (quiz gradient_descent, "
                              f"graded from {sec1}): give another --out, or --replace to replace them\n")
    assert {"ana.json", "bob.json", "carl.json"} <= set(os.listdir(out)) and not (out / "dina.json").exists()
    backprop = gdgrade("grade", sec1, "--out", out, "--quiz", "backprop", "--seed", "7")  # another quiz: another batch
    assert backprop.returncode == 2 and "another batch (quiz gradient_descent" in backprop.stderr
    (sec1 / "carl" / "gradient.py").unlink()
    (sec1 / "carl").rmdir()
    again = gdgrade("grade", sec1, "--out", out, "--seed", "7")  # the same batch: its stale files go
    assert again.returncode == 0 and "Removed 2 files an earlier run wrote" in again.stdout
    replaced = gdgrade("grade", sec2, "--out", out, "--seed", "7", "--replace")
    assert replaced.returncode == 0 and "Removed 4 files an earlier run wrote" in replaced.stdout
    assert {"dina.json", "dina.html"} <= set(os.listdir(out)) and not (out / "ana.json").exists()
    shard = gdgrade("grade", sec2, "--out", out, "--seed", "7", "--shard", "1/2")  # a part of the batch
    assert shard.returncode == 2 and "another batch" in shard.stderr


def test_a_folder_whose_batch_was_not_recorded_is_refused_only_when_files_would_go(tmp_path):
    copy_sample(tmp_path / "class", "ana")
    out = tmp_path / "out"
    out.mkdir()
    (out / "zed.json").write_text('{"schema_version": "1.0", "grader_version": "0", "submission": "zed"}\n')
    (out / outdir.MANIFEST).write_text('{"files": ["zed.json"]}')  # an older gdgrade's manifest
    refused = gdgrade("grade", tmp_path / "class", "--out", out)
    assert refused.returncode == 2 and "holds the reports of another batch (an earlier batch)" in refused.stderr
    (out / outdir.MANIFEST).write_text('{"files": ["ana.json"]}')
    assert gdgrade("grade", tmp_path / "class", "--out", out).returncode == 0
    assert (out / "zed.json").exists()
