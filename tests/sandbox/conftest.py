"""What the sandbox's tests share: running a step in a forked child, as the sandbox's children run."""

from __future__ import annotations

import os


def in_child(action) -> int:
    """Run ``action`` in a forked child; its exit status (the child never returns to pytest)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = action()
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
