"""The ``--out`` folder of a batch: one run at a time, no leftovers, and no stale reports.

A run locks the folder (a second run into it is refused), removes the temporaries a killed run
left, and owns the per-student files it writes. They are listed in ``.gdgrade-files``, so
when a student's folder disappears from the batch, the next run removes that student's report
and page; a file gdgrade did not write is never removed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader import atomic, text
from grader.errors import UserError

GENERATOR = '<meta name="generator" content="gdgrade">'
"""The mark every page gdgrade writes carries: how a later run knows the file is its own."""

MANIFEST = ".gdgrade-files"
"""JSON, named without .json so that globbing the reports does not pick it up."""
FEEDBACK_ZIP = "moodle-feedback.zip"
"""Each Moodle student's feedback page, for Moodle's feedback upload (``formats.lms.feedback``)."""
CANVAS_FEEDBACK_ZIP = "canvas-feedback.zip"
"""Each Canvas student's feedback page, for Canvas's "Re-Upload Submissions" (``formats.lms.feedback``)."""
UNMATCHED = "unmatched.csv"
"""The submissions ``--roster`` matched to no row, with the reason."""


SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,100}")
RESERVED = frozenset({"grades", "junit", "summary", "index", "shard", "students", "unmatched"})
"""Stems of the batch's own files: a student folder of that name must not overwrite them."""


def student_files(submission: str) -> tuple[str, str]:
    """The names of a submission's report and feedback page in the folder.

    An id of letters, digits, ``.``, ``_`` and ``-`` (up to 100) is its own name, unless a batch
    file has it; any other id gets a safe name with a digest of the id (the report keeps the id).
    """
    if SAFE_ID.fullmatch(submission) and not submission.startswith(".") and submission.lower() not in RESERVED:
        stem = submission
    else:
        readable = re.sub(r"[^A-Za-z0-9._-]+", "_", submission).strip("._")[:60] or "submission"
        stem = f"{readable}~{hashlib.sha256(submission.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"
    return f"{stem}.json", f"{stem}.html"


class FolderBusy(UserError):
    """Another gdgrade run is writing to the folder."""


class OtherBatch(UserError):
    """The folder holds another batch's files, which this run would remove or orphan."""


@dataclass(frozen=True)
class Batch:
    """What makes a batch the same batch graded again: the command, the quiz, the inputs (paths
    resolved; a database's URL as given) and the shard. A run may remove the stale files of its own
    batch, never another's."""

    command: str
    quiz: str
    shard: str | None
    inputs: tuple[str, ...]

    @classmethod
    def recorded(cls, data: object) -> Batch | None:
        """The batch a manifest records (None: none is); one edited out of shape is nobody's batch."""
        if not isinstance(data, dict):
            return None
        inputs, shard = data.get("inputs"), data.get("shard")
        return cls(command=str(data.get("command")), quiz=str(data.get("quiz")),
                   shard=None if shard is None else str(shard),
                   inputs=tuple(map(str, inputs)) if isinstance(inputs, list) else ("?",))

    def describe(self) -> str:
        shown = ", ".join(text.one_line(path)[:200] for path in self.inputs[:3])
        if len(self.inputs) > 3:
            shown += f" and {len(self.inputs) - 3} more"
        shard = f", shard {text.one_line(self.shard)[:20]}" if self.shard else ""
        what = "merged from" if self.command == "merge" else "graded from"
        return f"quiz {text.one_line(self.quiz)[:64]}{shard}, {what} {shown}"


def batch_of(command: str, quiz: str, inputs: Iterable[Path | str], shard: str | None = None) -> Batch:
    """The ``Batch`` of a run of ``command`` on ``inputs``: paths are resolved, anything else kept as given."""
    return Batch(command, quiz, shard, tuple(sorted(str(item.resolve()) if isinstance(item, Path) else item
                                                   for item in inputs)))


LMS_FILES = re.compile(rf"^(?:(?:canvas|moodle|blackboard|brightspace)-import\.csv|{re.escape(UNMATCHED)}|"
                       rf"{re.escape(FEEDBACK_ZIP)}|{re.escape(CANVAS_FEEDBACK_ZIP)})$")
"""The import files ``--roster`` writes (and the feedback zips): byte for byte what the LMS reads, so
they carry no mark; one listed in the manifest is gdgrade's."""


def _written_by_gdgrade(path: Path) -> bool:
    """Whether ``path`` still holds what gdgrade wrote there (a report, a page with its mark, an import file)."""
    if LMS_FILES.match(path.name):
        return path.is_file() and not path.is_symlink()
    try:
        with path.open("rb") as stream:
            head = stream.read(1 << 12)
            if path.suffix == ".html":
                return GENERATOR.encode() in head
            if path.suffix == ".json":
                data = json.loads(head + stream.read(64 << 20))
                return isinstance(data, dict) and {"schema_version", "grader_version", "submission"} <= set(data)
    except (OSError, ValueError):
        return False
    return False


class OutputFolder:
    """``path``, created, locked for this run and cleared of a killed run's temporaries."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise FolderBusy(f"another gdgrade run is writing to {path}") from None
        try:
            self.leftovers = atomic.remove_leftovers(path)
            atomic.AtomicFile(path / ".gdgrade-probe").discard()  # writable, before any grading starts
        except OSError:
            os.close(self._lock)
            raise
        self._owned, self._earlier = self._read_manifest()
        self._batch: Batch | None = None

    def _read_manifest(self) -> tuple[set[str], Batch | None]:
        """The files earlier runs wrote, and the batch they were of (None: not recorded)."""
        try:
            manifest = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
            files = manifest["files"]
        except (OSError, ValueError, KeyError, TypeError):
            return set(), None
        if not isinstance(files, list):  # a manifest someone edited: trust none of it
            return set(), None
        return ({name for name in files if isinstance(name, str) and "/" not in name and name not in ("", ".", "..")},
                Batch.recorded(manifest.get("batch")))

    def _write_manifest(self, names: Iterable[str]) -> None:
        batch = dataclasses.asdict(self._batch) if self._batch is not None else None
        atomic.write(self.path / MANIFEST, json.dumps({"files": sorted(names), "batch": batch}, indent=1) + "\n")

    def claim(self, names: Iterable[str], batch: Batch, replace: bool = False) -> None:
        """Record, before writing any, the per-student files (and import files) this run may write.

        Written first, so that if the run is killed, the next one still knows they are gdgrade's.
        A folder holding another ``batch``'s files (``batch_of``) is refused (``OtherBatch``) unless
        ``replace``: this run would remove them, or leave them out of its class files. A folder
        whose earlier batch is not recorded is refused only when this run would remove something.
        """
        planned = set(names)
        present = {name for name in self._owned if os.path.lexists(self.path / name)}
        other = self._earlier != batch if self._earlier is not None else bool(present - planned)
        if other and present and not replace:
            earlier = self._earlier.describe() if self._earlier is not None else "an earlier batch"
            raise OtherBatch(f"--out {self.path} holds the reports of another batch ({earlier}): give another "
                             "--out, or --replace to replace them")
        self._planned, self._batch = planned, batch
        self._write_manifest(self._owned | self._planned)

    def release_stale(self) -> int:
        """Remove the files earlier runs wrote for submissions not in this run; return how many."""
        removed = 0
        for name in sorted(self._owned - self._planned):
            path = self.path / name
            if _written_by_gdgrade(path):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        self._write_manifest(self._planned)
        self._owned = set(self._planned)
        return removed

    def close(self) -> None:
        os.close(self._lock)

    def __enter__(self) -> OutputFolder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
