"""One submission: which file is graded and why, who handed it in, and reading it safely."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.intake import notebook
from grader.intake.listing import OnDisk, Origin, display
from grader.report import Student

MAX_SOURCE_BYTES = 1 << 20
MAX_NOTEBOOK_BYTES = 16 << 20
"""A notebook may be larger than its code: it keeps its cells' outputs, pictures included."""


def is_notebook(name: str) -> bool:
    return name.lower().endswith(".ipynb")


@dataclass(frozen=True)
class Submission:
    id: str
    path: Path
    """Where the graded file is, for reports (inside an archive: the archive's path, then the member's);
    for a folder with nothing gradable, the folder."""
    problem: str | None = None
    """Why the file must not be read (a link, a special file, a folder that cannot be listed), if so."""
    selection: str | None = None
    """Why this file was graded when it is not simply the folder's ``gradient.py`` (or a file named on
    the command line, or a loose ``NAME.py``); or, when ``nothing`` is set, why no file could be."""
    nothing: bool = False
    """The folder holds nothing gradable: ``path`` is the folder, ``selection`` says why."""
    origin: Origin | None = None
    """Where the bytes are read from; None for the file at ``path`` on disk."""
    student: Student | None = None

    @property
    def shown_path(self) -> str:
        """The path as text, for reports and messages."""
        return display(self.path)

    def read(self) -> bytes:
        """The bytes graded, refusing links, special files and anything over 1 MiB; for a notebook, its
        code cells joined as a script, and for a notebook downloaded as Python, its IPython calls as
        comments (see ``notebook``)."""
        if self.problem:
            raise OSError(self.problem)
        origin = self.origin or OnDisk(self.path)
        if not is_notebook(self.path.name):
            raw = origin.read(MAX_SOURCE_BYTES)
            if b"get_ipython()" not in raw:
                return raw
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw  # not text as a notebook download is: read as it is
            code = notebook.downloaded(text).encode("utf-8")
        else:
            try:
                code = notebook.script(origin.read(MAX_NOTEBOOK_BYTES)).encode("utf-8", "backslashreplace")
            except notebook.NotebookError as problem:
                raise OSError(f"{display(self.path.name)} could not be read as a notebook: {problem}") from None
        if len(code) > MAX_SOURCE_BYTES:  # the rewrite adds comments: the sandbox takes no more than this
            raise OSError(f"the code cells of {display(self.path.name)} are larger than {MAX_SOURCE_BYTES} bytes")
        return code
