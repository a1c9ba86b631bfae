"""Sharding a batch across CI jobs, and merging the shards' reports back into one batch.

``--shard K/N`` keeps the submissions whose id hashes to K: the split is the
same on every machine and does not move when other submissions are added.
Each shard records what it graded in ``shard.json``; ``merge`` refuses shards
that overlap, leave a gap, or come from different batches.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from grader.errors import UserError
from grader.intake import Submission
from grader.outdir import student_files
from grader.text import count, plural

MANIFEST = "shard.json"


class ShardError(UserError):
    """A ``--shard`` that cannot be used, or shards that cannot be merged, with the reason in one line."""


class Manifest(BaseModel):
    quiz: str
    shard: int
    of: int
    batch: str
    """Digest of every submission id in the whole batch: shards of one batch share it."""
    total: int
    seed: int | None = None
    """The hidden cases' seed: shards of one batch must share it."""
    students: bool = False
    """Whether the batch came from an LMS download, so that its gradebook names each student."""
    submissions: list[str]


def parse(text: str, environment: Mapping[str, str] | None = None) -> tuple[int, int]:
    """``"K/N"`` as (K, N), with 1 <= K <= N; ``"auto"`` or ``"auto/N"`` from the job engine that
    started this process (``from_engine``)."""
    if text == "auto" or text.startswith("auto/"):
        return from_engine(os.environ if environment is None else environment, text.partition("/")[2] or None)
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ShardError(f"{text!r} is not of the form K/N (e.g. 2/4), auto or auto/N") from None
    if n < 1:
        raise ShardError(f"{text!r} asks for {n} shards: N must be at least 1")
    if not 1 <= k <= n:
        raise ShardError(f"{text!r} asks for shard {k} of {n}: K must be from 1 to {n}")
    return k, n


def from_engine(environment: Mapping[str, str], count: str | None = None) -> tuple[int, int]:
    """This job's shard, from what its engine sets (the first found):

    - ``GDGRADE_SHARD=K/N``, for engines that pass it explicitly (a GitHub Actions matrix);
    - Slurm job arrays: ``SLURM_ARRAY_TASK_ID`` from ``SLURM_ARRAY_TASK_MIN`` (0 if unset) by
      ``SLURM_ARRAY_TASK_STEP`` (1 if unset), of ``SLURM_ARRAY_TASK_COUNT`` tasks (``--array=0-3``,
      ``1-4`` or ``1-7:2``);
    - Kubernetes Indexed Jobs: ``JOB_COMPLETION_INDEX`` (from 0), of the count given as
      ``auto/N`` or in ``GDGRADE_SHARD_COUNT`` (Kubernetes does not tell a pod the Job's
      ``completions``)."""
    def number(name: str, value: str | None) -> int:
        try:
            return int(value or "")
        except ValueError:
            raise ShardError(f"--shard auto: {name}={value!r} is not a whole number") from None

    def checked(shard: str, source: str) -> tuple[int, int]:
        try:
            return parse(shard, {})
        except ShardError as problem:
            raise ShardError(f"--shard auto, from {source}: {problem}") from None

    if environment.get("GDGRADE_SHARD"):
        return checked(environment["GDGRADE_SHARD"], "GDGRADE_SHARD")
    if "SLURM_ARRAY_TASK_ID" in environment:
        first = number("SLURM_ARRAY_TASK_MIN", environment.get("SLURM_ARRAY_TASK_MIN", "0"))
        step = max(1, number("SLURM_ARRAY_TASK_STEP", environment.get("SLURM_ARRAY_TASK_STEP", "1")))
        task = number("SLURM_ARRAY_TASK_ID", environment["SLURM_ARRAY_TASK_ID"])
        tasks = number("SLURM_ARRAY_TASK_COUNT", count or environment.get("SLURM_ARRAY_TASK_COUNT"))
        source = f"Slurm's task {task} (from {first}, step {step}) of {tasks}"
        if (task - first) % step:
            raise ShardError(f"--shard auto, from {source}: the task is not on the array's step; give "
                             "--shard K/N instead for an array of other ids (--array=1,4,9)")
        return checked(f"{(task - first) // step + 1}/{tasks}", source)
    if "JOB_COMPLETION_INDEX" in environment:
        index = number("JOB_COMPLETION_INDEX", environment["JOB_COMPLETION_INDEX"])
        total = count or environment.get("GDGRADE_SHARD_COUNT")
        if total is None:
            raise ShardError("--shard auto: a Kubernetes Indexed Job gives the index but not the count: "
                             "use --shard auto/N or set GDGRADE_SHARD_COUNT to the Job's completions")
        total_number = number("GDGRADE_SHARD_COUNT", total)
        return checked(f"{index + 1}/{total_number}", f"Kubernetes' index {index} of {total_number}")
    raise ShardError("--shard auto: no job engine's shard found (GDGRADE_SHARD=K/N, Slurm's "
                     "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or Kubernetes' JOB_COMPLETION_INDEX)")


def _bucket(identifier: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(identifier.encode()).digest()[:8], "big") % n + 1


def batch_digest(submissions: Sequence[Submission]) -> str:
    return hashlib.sha256("\n".join(sorted(s.id for s in submissions)).encode()).hexdigest()


def select(submissions: Sequence[Submission], k: int, n: int) -> list[Submission]:
    """The submissions of shard ``k`` of ``n``."""
    return [submission for submission in submissions if _bucket(submission.id, n) == k]


def write_manifest(folder: Path, quiz: str, k: int, n: int, everything: Sequence[Submission],
                   mine: Sequence[Submission], seed: int | None) -> None:
    manifest = Manifest(quiz=quiz, shard=k, of=n, batch=batch_digest(everything), total=len(everything),
                        seed=seed, students=any(s.student for s in everything), submissions=[s.id for s in mine])
    (folder / MANIFEST).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")


def check(folders: Sequence[Path]) -> list[tuple[Path, Manifest]]:
    """The shards' manifests, in shard order, once they are known to form one whole batch."""
    shards = [(folder, _manifest(folder)) for folder in folders]
    _one_batch(shards)
    _every_shard_once(shards)
    _every_submission_once(shards)
    return sorted(shards, key=lambda pair: pair[1].shard)


def _manifest(folder: Path) -> Manifest:
    try:
        return Manifest.model_validate_json((folder / MANIFEST).read_text(encoding="utf-8"))
    except OSError:
        raise ShardError(f"{folder} has no {MANIFEST}: it was not graded with --shard") from None
    except ValidationError:
        raise ShardError(f"{folder / MANIFEST} is not a valid shard manifest") from None


def _one_batch(shards: Sequence[tuple[Path, Manifest]]) -> None:
    """ShardError unless every shard is of the first one's batch, graded on the same hidden cases."""
    first = shards[0][1]
    for folder, manifest in shards:
        if (manifest.quiz, manifest.of, manifest.batch) != (first.quiz, first.of, first.batch):
            raise ShardError(f"{folder} is from another batch (quiz {manifest.quiz}, {manifest.of} shards) "
                             f"than {shards[0][0]}")
        if manifest.seed != first.seed:
            raise ShardError(f"{folder} graded other hidden cases (another --seed) than {shards[0][0]}")


def _every_shard_once(shards: Sequence[tuple[Path, Manifest]]) -> None:
    """ShardError when a shard of the batch is given twice, or not at all."""
    first = shards[0][1]
    numbers = sorted(manifest.shard for _, manifest in shards)
    repeated = sorted({n for n in numbers if numbers.count(n) > 1})
    if repeated:
        raise ShardError(f"overlap: {plural(len(repeated), 'shard')} {', '.join(map(str, repeated))} of {first.of} "
                         "given more than once")
    absent = sorted(set(range(1, first.of + 1)) - set(numbers))
    if absent:
        raise ShardError(f"gap: {plural(len(absent), 'shard')} {', '.join(map(str, absent))} of {first.of} "
                         f"{plural(len(absent), 'is')} missing")


def _every_submission_once(shards: Sequence[tuple[Path, Manifest]]) -> None:
    """ShardError when a submission is in two shards, a shard lacks a report it lists, or the shards
    hold fewer submissions than the batch had."""
    seen: dict[str, Path] = {}
    for folder, manifest in shards:
        for identifier in manifest.submissions:
            if identifier in seen:
                raise ShardError(f"overlap: submission {identifier} is in both {seen[identifier]} and {folder}")
            seen[identifier] = folder
            if not (folder / student_files(identifier)[0]).is_file():
                raise ShardError(f"gap: {folder} lists {identifier} but has no report for it")
    if len(seen) != shards[0][1].total:
        raise ShardError(f"gap: the shards hold {count(len(seen), 'submission')}, the batch had {shards[0][1].total}")
