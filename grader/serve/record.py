"""``--record DIR``: each submission the page grades, kept for the instructor to grade later.

Each is a folder of its own, ``<UTC time>-<number>``, holding the file under the quiz's file name and the
report the student saw as ``report.json``; both are written whole (``grader.atomic``), so ``gdgrade
grade DIR`` can read the folder at any moment. Nothing else is kept: without ``--record`` the
server stores no student code at all.
"""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

from grader import atomic
from grader.report import Report


class Recorder:
    def __init__(self, folder: Path, filename: str):
        folder.mkdir(parents=True, exist_ok=True)
        atomic.AtomicFile(folder / ".gdgrade-probe").discard()  # writable, before the first student comes
        self.folder, self.filename = folder, filename
        self._numbers = itertools.count(1)
        self._started = f"{os.getpid()}"

    def keep(self, source: str, report: Report) -> Path:
        """Write one submission and its report; return its folder."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        place = self.folder / f"{stamp}-{self._started}-{next(self._numbers):06d}"
        place.mkdir()
        atomic.write(place / self.filename, source)
        atomic.write(place / "report.json", report.model_dump_json(indent=2) + "\n")
        return place
