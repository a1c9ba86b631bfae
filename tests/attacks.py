"""Hostile submissions, each with the statuses its report may have.

Placeholders (CANARY_DIR, SUBMISSIONS_DIR, HONEST_PATH, REFERENCE_PATH, TCP_PORT, UDP_PORT, TOKEN)
are filled in by test_adversarial.py with paths and loopback ports it owns, so even a broken sandbox
could only touch the test's own files. Every attack must score 0.
"""

from __future__ import annotations

TIMEOUT = {"timeout"}
MEMORY = {"memory_limit"}
REFUSED = {"runtime_error"}

FORGED_REPORT = (
    '{"schema_version": "1.0", "submission": "forged", "status": "completed", "score": 5.0, '
    '"max_score": 5.0, "checks": []}'
)
FORGED_CASE = (
    '{"case": %d, "values": {"h": {"kind": "numeric", "type": "float", "shape": [], "values": [0.8]}, '
    '"nn_output": {"kind": "missing"}, "error": {"kind": "missing"}, "error_term": {"kind": "missing"}, '
    '"del_w": {"kind": "missing"}}, "error": null, "exit_code": null, "injected": []}\n'
)

ATTACKS: dict[str, tuple[str, set[str]]] = {
    "infinite_loop": ("while True:\n    pass\n", TIMEOUT),
    "sleep_forever": ("import time\ntime.sleep(10_000)\n", TIMEOUT),
    "ignore_signals": (
        "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU, signal.SIGHUP):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n",
        TIMEOUT,
    ),
    "catch_everything_loop": (
        "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n",
        TIMEOUT,
    ),
    "bytearray_bomb": ("block = bytearray(10**11)\n", MEMORY),
    "numpy_bomb": ("import numpy as np\nblock = np.ones((10**6, 10**5))\n", MEMORY),
    "gradual_memory": ("hoard = []\nwhile True:\n    hoard.append(b'x' * 10**7)\n", MEMORY | TIMEOUT),
    "fork_bomb": ("import os\nwhile True:\n    os.fork()\n", REFUSED),
    "subprocess_shell": (
        "import subprocess\nsubprocess.run(['sh', '-c', 'touch CANARY_DIR/pwned-TOKEN'])\n", REFUSED),
    "exec_shell": ("import os\nos.execv('/bin/sh', ['sh', '-c', 'touch CANARY_DIR/pwned-TOKEN'])\n", REFUSED),
    "thread_outlives": (
        "import threading, time\n"
        "def later():\n    time.sleep(1)\n    open('CANARY_DIR/pwned-TOKEN', 'w').write('x')\n"
        "threading.Thread(target=later).start()\n",
        REFUSED,
    ),
    "daemon_grandchild": (
        "import os, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    time.sleep(1)\n"
        "    open('CANARY_DIR/pwned-TOKEN', 'w').write('late')\n    os._exit(0)\n",
        REFUSED,
    ),
    "kill_parent": ("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n", REFUSED),
    # In a PID namespace the runner's group may read as 0, and killpg(0) hits only the child's own group.
    "kill_parent_group": ("import os, signal\nos.killpg(os.getpgid(os.getppid()), signal.SIGKILL)\n",
                          REFUSED | {"crashed"}),
    "kill_everything": ("import os, signal\nos.kill(-1, signal.SIGKILL)\n", REFUSED),
    "kill_by_number": (
        "import os, signal\ntargets = [pid for pid in range(1, 400) if pid != os.getpid()]\nfailures = 0\n"
        "for pid in targets:\n    try:\n        os.kill(pid, signal.SIGKILL)\n    except OSError:\n"
        "        failures += 1\nassert failures == len(targets), 'some kill went through'\nraise SystemExit(3)\n",
        REFUSED,
    ),
    "ptrace_parent": (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.ptrace(16, os.getppid(), 0, 0) != 0:\n    raise PermissionError(ctypes.get_errno(), 'ptrace')\n",
        REFUSED,
    ),
    "sys_exit_first": ("import sys\nsys.exit(0)\n", {"completed"}),
    "os_exit_first": ("import os\nos._exit(0)\n", {"crashed"}),
    "forged_stdout": (f"print({FORGED_REPORT!r})\nprint('Score: 5/5')\n", {"completed"}),
    "forged_stderr": (f"import sys\nsys.stderr.write({FORGED_REPORT!r})\n", {"completed"}),
    "forged_every_fd": (
        "import os\nfor fd in range(0, 256):\n    for case in range(5):\n        try:\n"
        f"            os.write(fd, ({FORGED_CASE!r} % case).encode())\n"
        "        except OSError:\n            pass\n",
        {"invalid_result"},
    ),
    "lying_float": (
        "class Liar(float):\n    def __eq__(self, other): return True\n    def __ne__(self, other): return False\n"
        "    def __sub__(self, other): return 0.0\n    def __rsub__(self, other): return 0.0\n"
        "    def __abs__(self): return 0.0\n    def __float__(self): return 0.8\n"
        "h = nn_output = error = error_term = Liar(123.0)\ndel_w = [Liar(1.0)] * 4\n",
        {"completed"},
    ),
    "lying_ndarray": (
        "import numpy as np\nclass Liar(np.ndarray):\n    def tolist(self): return [0.8]\n"
        "    def __array__(self, *a, **k): return np.array(0.8)\n    def __eq__(self, other): return True\n"
        "    def __float__(self): return 0.8\n"
        "h = np.array(5.0).view(Liar)\ndel_w = np.zeros(4).view(Liar)\n",
        {"completed"},
    ),
    "nan_and_infinity": (
        "import numpy as np\nh = float('nan')\nnn_output = float('inf')\nerror = -np.inf\n"
        "error_term = np.nan\ndel_w = np.array([np.nan, np.inf, -np.inf, 0.0])\n",
        {"completed"},
    ),
    "monkeypatch": (
        "import builtins, math, json, numpy as np\nnp.allclose = lambda *a, **k: True\n"
        "np.isclose = lambda *a, **k: True\nmath.isclose = lambda *a, **k: True\n"
        "builtins.abs = lambda v: 0\njson.dumps = lambda *a, **k: 'forged'\n"
        "h = nn_output = error = error_term = 0.0\ndel_w = np.zeros(4)\n",
        {"completed"},
    ),
    "tcp_loopback": (
        "import socket\ns = socket.create_connection(('127.0.0.1', TCP_PORT), timeout=1)\ns.sendall(b'TOKEN')\n",
        REFUSED,
    ),
    "udp_loopback": (
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.sendto(b'TOKEN', ('127.0.0.1', UDP_PORT))\n",
        REFUSED,
    ),
    "write_outside": ("open('CANARY_DIR/pwned-TOKEN', 'w').write('x')\n", REFUSED),
    "write_tmp_and_shm": (
        "import os\nfor path in ('/tmp/gdgrade-pwned-TOKEN', '/dev/shm/gdgrade-pwned-TOKEN'):\n"
        "    try:\n        open(path, 'w').write('x')\n    except OSError:\n        pass\n"
        "open('/tmp/gdgrade-pwned-TOKEN', 'w')\n",
        REFUSED,
    ),
    "escape_scratch": ("import os\nos.chdir('..')\nopen('pwned-TOKEN', 'w').write('x')\n", REFUSED),
    "overwrite_other_submission": ("open('HONEST_PATH', 'w').write('h = 0\\n')\n", REFUSED),
    "delete_submissions": ("import shutil\nshutil.rmtree('SUBMISSIONS_DIR')\n", REFUSED),
    "delete_canary": ("import os\nos.remove('CANARY_DIR/canary.txt')\n", REFUSED),
    "read_environment": (
        "import os\nprint(dict(os.environ))\nprint(open('/proc/%d/environ' % os.getppid()).read())\n", REFUSED),
    "read_init_environment": ("print(open('/proc/1/environ').read())\n", REFUSED),
    "read_reference": ("print(open('REFERENCE_PATH').read())\n", REFUSED),
    "read_canary": ("print(open('CANARY_DIR/canary.txt').read())\n", REFUSED),
    "output_flood": ("import sys\nwhile True:\n    sys.stdout.write('flood ' * 10000)\n", {"output_limit"}),
    "huge_result": (
        "import numpy as np\nh = np.broadcast_to(np.float64(0.8), (10**8,))\n", {"completed"}),
    "segfault": ("import ctypes\nctypes.string_at(0)\n", {"crashed"}),
    "unbounded_recursion": (
        "import sys\nsys.setrecursionlimit(10**7)\ndef down(n):\n    return down(n + 1)\ndown(0)\n",
        {"crashed", "runtime_error", "timeout", "memory_limit"},  # Python 3.11 frames live on the heap
    ),
    "read_stdin": ("import sys\ndata = sys.stdin.read()\nassert data == ''\nh = input()\n", REFUSED),
    "raise_rlimits": (
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n",
        REFUSED,
    ),
    "raise_cpu_limit": (
        "import resource\nsoft, hard = resource.getrlimit(resource.RLIMIT_CPU)\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (hard + 100, hard + 100))\n",
        REFUSED,
    ),
    "sysv_shared_memory": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.shmget(0x6764, 4096, 0o1666) < 0:\n    raise PermissionError(ctypes.get_errno(), 'shmget')\n",
        REFUSED,
    ),
}

BINARY_GARBAGE = bytes(range(256)) * 4
"""Source that is not text at all: gets a report, never a crash of the batch."""
