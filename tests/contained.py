"""Process 1 of a fresh PID namespace: run one grading command, then report what is left.

Run by test_adversarial.py as ``unshare --pid --fork --mount-proc python contained.py WAIT -- COMMAND...``.
After COMMAND exits it waits WAIT seconds (for anything a submission left to act later), then prints
one JSON line: COMMAND's exit code and every other process still alive in the namespace. When this
process exits, the kernel kills whatever is left, so nothing can outlive the test.
"""

import json
import os
import subprocess
import sys
import time

wait = float(sys.argv[1])
command = sys.argv[sys.argv.index("--") + 1:]
code = subprocess.run(command).returncode
time.sleep(wait)
leftover = []
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) != os.getpid():
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as stream:
                leftover.append(stream.read().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            pass
print(json.dumps({"returncode": code, "leftover": leftover}))
