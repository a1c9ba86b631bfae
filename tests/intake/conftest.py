"""What the intake's tests share: a student's file written, and a zip written as an LMS or a
student's tool writes one."""

from __future__ import annotations

import zipfile
from pathlib import Path


def zipped(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in files.items():
            out.writestr(name, data)
    return path


def write(path, text="h = 1\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
