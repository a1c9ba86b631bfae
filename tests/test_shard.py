"""Sharding a batch across CI jobs and merging the shards back (grader/shard.py): deterministic shards,
the job engine's task read, and a merge that is the whole batch or one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import SUBMISSIONS
from tests.test_formats import assert_junit, gdgrade


def test_shards_merge_into_the_whole_batch(tmp_path, graded_samples):
    shards = [tmp_path / f"shard{k}" for k in (1, 2, 3)]
    for k, folder in enumerate(shards, start=1):
        assert gdgrade("grade", SUBMISSIONS, "--out", folder, "--shard", f"{k}/3", "--seed", "5").returncode == 0
    counts = [len(json.loads((folder / "shard.json").read_text())["submissions"]) for folder in shards]
    assert sum(counts) == 22 and all(counts)
    merged = tmp_path / "merged"
    backprop = SUBMISSIONS.parent / "backprop" / "correct_dot"
    assert gdgrade("grade", backprop, "--quiz", "backprop", "--out", merged).returncode == 0  # another batch
    refused = gdgrade("merge", *shards, "--out", merged)
    assert refused.returncode == 2 and f"--out {merged} holds the reports of another batch (quiz backprop, " \
        f"graded from {backprop})" in refused.stderr
    result = gdgrade("merge", *shards, "--out", merged, "--replace")
    assert result.returncode == 0, result.stderr
    assert "(merged from 3 shards)" in result.stdout
    whole, combined = (json.loads((folder / "summary.json").read_text()) for folder in (graded_samples, merged))
    for key in ("submissions", "mean_score", "score_distribution", "statuses", "variables", "failed_runs"):
        assert whole[key] == combined[key], key
    assert (graded_samples / "grades.csv").read_text() == (merged / "grades.csv").read_text()
    assert len(assert_junit(ET.parse(merged / "junit.xml").getroot())) == 22 * 5

    overlap = gdgrade("merge", shards[0], shards[0], shards[1], shards[2], "--out", tmp_path / "x")
    assert overlap.returncode == 2 and "overlap: shard 1 of 3 given more than once" in overlap.stderr
    gap = gdgrade("merge", shards[0], shards[2], "--out", tmp_path / "y")
    assert gap.returncode == 2 and "gap: shard 2 of 3 is missing" in gap.stderr
    name = json.loads((shards[1] / "shard.json").read_text())["submissions"][0]
    (shards[1] / f"{name}.json").write_text("{not json")
    corrupt = gdgrade("merge", *shards, "--out", tmp_path / "v")
    assert corrupt.returncode == 2 and f"the report of {name!r} cannot be read" in corrupt.stderr
    assert "Traceback" not in corrupt.stderr and not (tmp_path / "v" / "grades.csv").exists()
    (shards[1] / f"{name}.json").unlink()
    missing = gdgrade("merge", *shards, "--out", tmp_path / "z")
    assert missing.returncode == 2 and f"lists {name} but has no report for it" in missing.stderr
    bad = gdgrade("grade", SUBMISSIONS, "--out", tmp_path / "w", "--shard", "4/3")
    assert bad.returncode == 2 and "--shard" in bad.stderr


def test_sharding_is_deterministic():
    from grader import intake, shard

    submissions = intake.find([SUBMISSIONS]).submissions
    first = [[s.id for s in shard.select(submissions, k, 4)] for k in range(1, 5)]
    again = [[s.id for s in shard.select(list(reversed(submissions)), k, 4)] for k in range(1, 5)]
    assert [sorted(ids) for ids in first] == [sorted(ids) for ids in again]
    assert sorted(sum(first, [])) == sorted(s.id for s in submissions)


@pytest.mark.parametrize("spec, environment, shard", [
    ("auto", {"GDGRADE_SHARD": "2/4"}, (2, 4)),  # a GitHub Actions matrix passes it explicitly
    ("auto", {"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "3"}, (1, 3)),
    ("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, (3, 3)),
    ("auto", {"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_STEP": "2",
              "SLURM_ARRAY_TASK_COUNT": "4"}, (3, 4)),  # --array=1-7:2
    ("auto/5", {"JOB_COMPLETION_INDEX": "4"}, (5, 5)),
    ("auto", {"JOB_COMPLETION_INDEX": "0", "GDGRADE_SHARD_COUNT": "2"}, (1, 2)),
])
def test_shard_auto_reads_the_job_engine(spec, environment, shard):
    from grader.shard import parse

    assert parse(spec, environment) == shard


@pytest.mark.parametrize("environment, said", [
    ({}, "no job engine's shard found"),
    ({"JOB_COMPLETION_INDEX": "1"}, "use --shard auto/N or set GDGRADE_SHARD_COUNT"),
    ({"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "4"}, "from Slurm's task 7 (from 0, step 1) of 4: '8/4'"),
    ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"}, "SLURM_ARRAY_TASK_ID='x' is not a whole number"),
])
def test_shard_auto_without_a_usable_engine_is_one_clear_line(tmp_path, environment, said):
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("SLURM_", "JOB_COMPLETION", "GDGRADE_SHARD"))} | environment
    result = subprocess.run([sys.executable, "-m", "grader", "grade", str(SUBMISSIONS), "--out", str(tmp_path / "o"),
                             "--seed", "1", "--shard", "auto"], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and said in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_slurm_array_tasks_grade_the_whole_batch_between_them(tmp_path):
    outs = []
    for task in (1, 2):
        env = dict(os.environ, SLURM_ARRAY_TASK_ID=str(task), SLURM_ARRAY_TASK_MIN="1", SLURM_ARRAY_TASK_COUNT="2")
        outs.append(tmp_path / f"shard{task}")
        graded = gdgrade("grade", SUBMISSIONS, "--out", outs[-1], "--seed", "3", "--shard", "auto", env=env)
        assert graded.returncode == 0, graded.stderr
    merged = gdgrade("merge", *outs, "--out", tmp_path / "all")
    assert merged.returncode == 0, merged.stderr
    summary = json.loads((tmp_path / "all" / "summary.json").read_text())
    assert summary["submissions"] == len(list(SUBMISSIONS.iterdir()))
