"""Process 1 of a fresh PID namespace: run one grading command, then report what is left.

Run by test_adversarial.py as
``unshare --pid --fork --mount-proc python contained.py WAIT [--kill-at-children N] -- COMMAND...``.

Without ``--kill-at-children`` it waits for COMMAND, then WAIT seconds (for anything a submission
left to act later). With it, it SIGKILLs COMMAND as soon as gdgrade's fork server has N children
running, then waits up to WAIT seconds for every other process to go. It prints one JSON line:
COMMAND's exit code, every process still alive, how long the namespace took to empty, and the
cgroups it ran in (so the test can check its pids limit applied). When this
process exits, the kernel kills whatever is left, so nothing can outlive the test.
"""

import json
import os
import subprocess
import sys
import time


def reap() -> None:
    """As process 1, collect every orphan that has ended, so only live processes are counted."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                return
        except ChildProcessError:
            return


def processes() -> dict[int, tuple[int, str]]:
    """Every other live process in the namespace: pid -> (parent pid, command line)."""
    reap()
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as stream:
                    command = stream.read().replace(b"\0", b" ").decode(errors="replace")
                with open(f"/proc/{entry}/stat") as stream:
                    parent = int(stream.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            found[int(entry)] = (parent, command)
    return found


def server_children() -> int:
    """Children of the fork server (the forkserver process whose parent is the launcher)."""
    table = processes()
    server = "grader.sandbox.forkserver"
    servers = [pid for pid, (parent, command) in table.items()
               if server in command and server in table.get(parent, (0, ""))[1]]
    return max((sum(1 for parent, _ in table.values() if parent == server) for server in servers), default=0)


wait = float(sys.argv[1])
kill_at = int(sys.argv[sys.argv.index("--kill-at-children") + 1]) if "--kill-at-children" in sys.argv else None
command = sys.argv[sys.argv.index("--") + 1:]
process = subprocess.Popen(command)
emptied = None
if kill_at is None:
    code = process.wait()
    reap()
    time.sleep(wait)
else:
    deadline = time.monotonic() + 120
    while server_children() < kill_at and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.kill()
    code = process.wait()
    killed = time.monotonic()
    while processes() and time.monotonic() < killed + wait:
        time.sleep(0.02)
    emptied = None if processes() else time.monotonic() - killed
leftover = [command for _, command in processes().values()]
with open("/proc/self/cgroup") as stream:
    cgroups = stream.read()
print(json.dumps({"returncode": code, "leftover": leftover, "emptied_after": emptied, "cgroups": cgroups}))
