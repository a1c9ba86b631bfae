"""gdgrade's errors: what the user must change, kept apart from gdgrade's own faults.

A ``UserError`` is raised on purpose when what the user gave cannot be used (an unknown ``--quiz``,
a roster that is no gradebook export, a bad flag): one line that says why and what to do, exit
code 2, never a traceback. Only a ``UserError`` reads as the user's mistake: a ``KeyError`` in
gdgrade's own code is not a bad ``--quiz``. Anything else that escapes is a fault, a bug in
gdgrade: one line and exit code 70, with its traceback in the log (a server's stderr) and, when
it happened on one submission, in that submission's report (``Report.fault``); ``--debug`` prints
it on the command line too.
"""

from __future__ import annotations

import logging
import sys
import traceback

USAGE_EXIT = 2
SERVE_EXTRA = "pip install '.[serve]' in gdgrade's folder (gdgrade is not on PyPI yet)"
"""How to add what the quiz page needs (FastAPI, uvicorn, a PostgreSQL driver, PyJWT)."""
FAULT_EXIT = 70
"""sysexits' EX_SOFTWARE: gdgrade itself failed (the runner's own failure uses it too)."""
IO_EXIT = 74
"""sysexits' EX_IOERR: a file gdgrade had to read or write failed (a full disk, a closed output). Not 1,
which ``check`` gives a file without full marks: a pipeline must tell the two apart."""
log = logging.getLogger("gdgrade")


class UserError(Exception):
    """What the user gave cannot be used; the message says why, and what to do, in one line."""


class QuizError(UserError):
    """A quiz that cannot be found, loaded or used: the instructor's to fix, said in one line."""


def fault_line(fault: BaseException) -> str:
    """A fault in one line, for whoever reports it."""
    message = " ".join(str(fault).split())
    return f"{type(fault).__name__}{': ' + message if message else ''}"


class _Stderr(logging.Handler):
    """gdgrade's log on stderr, one line a record: ``gdgrade: warning: ...``; a fault's traceback
    follows its line when ``tracebacks`` (``--debug``, and always for a server, whose stderr is its log)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__(logging.WARNING)
        self.tracebacks = tracebacks

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = f"gdgrade: {record.levelname.lower()}: {record.getMessage()}"
            if self.tracebacks and record.exc_info and record.exc_info[1] is not None:
                line += "\n" + "".join(traceback.format_exception(record.exc_info[1])).rstrip("\n")
            print(line, file=sys.stderr, flush=True)  # the stderr of now: a test may have replaced it
        except Exception:  # noqa: BLE001 - logging's own rule: a record that cannot be written never ends the run
            self.handleError(record)


def log_to_stderr(tracebacks: bool) -> None:
    """Send gdgrade's log to stderr, with tracebacks or without (set once more, it replaces the last)."""
    for handler in [handler for handler in log.handlers if isinstance(handler, _Stderr)]:
        log.removeHandler(handler)
    log.addHandler(_Stderr(tracebacks))
