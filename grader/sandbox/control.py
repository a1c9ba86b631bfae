"""The control socket between the grader's supervisor and the fork server: what each end says.

Both ends import this, and the grader's process imports nothing else of the server's side: the
namespaces, the layers, their ``ctypes`` calls and the seccomp program stay in the processes that
use them, so ``gdgrade check`` does not import them before its file runs.

Every message is one fixed-size frame (``FRAME``): a kind, the job's token, one number. The grader
sends ``START`` (with ``DESCRIPTORS`` descriptors) and ``KILL``; the server sends ``READY`` once
(followed by a ``Ready``), then ``EXITED`` (a child's wait status) or ``FAILED`` (an errno).
"""

from __future__ import annotations

import json
import socket
import struct
from dataclasses import asdict, dataclass

FRAME = struct.Struct("=cxxxQi")
"""Every control message: a kind, the job's token, and one number (slot, wait status or errno)."""
START, KILL, EXITED, FAILED, READY = b"S", b"K", b"E", b"F", b"R"
DESCRIPTORS = 5
"""Passed with each start: the source, the result pipe's write end, stdout's, stderr's, and the read
end of the pipe the hidden cases will arrive on (the grader writes them once the public case is done)."""
RUNNER_FAILED = 70
"""A child's exit status when gdgrade's own code in it failed (BSD's EX_SOFTWARE)."""
STRICT_EXIT = 78
"""A strict child exits with this, before any student code, when a layer could not be applied."""


@dataclass(frozen=True)
class Ready:
    """The server's first message, once the sandbox is prepared: the layers it cannot apply, with
    the reason, and the host folder of the children's scratch folders when there is no private root."""

    missing: dict[str, str]
    scratch_root: str | None

    def encode(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def decode(cls, data: bytes) -> Ready:
        return cls(**json.loads(data))


def send_frame(control: socket.socket, kind: bytes, token: int, number: int, fds: list[int] | None = None) -> None:
    frame = FRAME.pack(kind, token, number)
    if fds:
        socket.send_fds(control, [frame], fds)
    else:
        control.sendall(frame)
