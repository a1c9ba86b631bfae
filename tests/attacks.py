"""Hostile submissions, each with the statuses its report may have.

Placeholders (CANARY_DIR, SUBMISSIONS_DIR, HONEST_PATH, REFERENCE_PATH, TCP_PORT, UDP_PORT, TOKEN,
REVERSED_SECRET, LOOKUP_TABLE) are filled in by test_adversarial.py with paths and loopback ports it owns, so even a
broken sandbox could only touch the test's own files. Every attack must score 0. An attack that
finds what it must not prints ``PWNED-`` and what it found: no report may hold that mark.
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
FORGED_SURROGATE = FORGED_CASE.replace('"type": "float"', '"type": "\\ud800"')
"""A case line whose string JSON turns into a lone surrogate: no report could be written with it."""
FORGED_EMPTY_SHAPE = FORGED_CASE.replace('"shape": [], "values": [0.8]',
                                         '"shape": [0, 1000000000000, 10000000], "values": []')
"""No values, of a shape numpy refuses to make: the grader's reshape of them would raise."""

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
    "forged_lone_surrogate": (f"import os\nos.write(3, {(FORGED_SURROGATE % 0).encode()!r})\nos._exit(0)\n",
                              {"invalid_result"}),
    "forged_empty_huge_shape": (f"import os\nos.write(3, {(FORGED_EMPTY_SHAPE % 0).encode()!r})\nos._exit(0)\n",
                                {"invalid_result"}),
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

FIND_IN_OBJECTS = """
import gc, sys, os
MARK = 'REVERSED_SECRET'[::-1]  # built at run time: the secret is nowhere in this file
found, lines = [], []
def look(value):
    if value is MARK:
        return
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    if isinstance(value, str):
        if MARK in value:
            found.append(value[:300])
        if value.startswith('{"case": ') and '"values"' in value:
            lines.append(value)
frame = sys._getframe()
while frame is not None:
    for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
        look(value)
        if isinstance(value, dict):
            for inner in list(value.values()):
                look(inner)
                if isinstance(inner, list):
                    for item in inner:
                        look(item)
    frame = frame.f_back
for container in gc.get_objects():
    items = (container.values() if isinstance(container, dict)
             else container if isinstance(container, (list, tuple)) else ())
    for value in list(items):
        look(value)
if found:
    print('PWNED-memory', found[:3])
if lines:  # replay another student's results as ours
    for line in lines[-5:]:
        os.write(3, line.encode() + b'\\n')
    os._exit(0)
raise SystemExit(3)
"""

SCAN_RAW_MEMORY = """
import ctypes, os, sys
MARK = 'REVERSED_SECRET'[::-1].encode()  # built at run time: the secret is nowhere in this file
PAGE = 4096
own = range(id(MARK) - PAGE, id(MARK) + len(MARK) + PAGE)
read_end, write_end = os.pipe()
os.set_blocking(write_end, False)
def readable(address):
    try:
        os.write(write_end, (ctypes.c_char * PAGE).from_address(address))  # EFAULT, not a crash, if unmapped
    except OSError:
        return None
    return os.read(read_end, PAGE)
anchors = {id(object()) & ~(PAGE - 1), id(sys) & ~(PAGE - 1), id(os.environ) & ~(PAGE - 1)}
for anchor in anchors:
    for delta in range(-(32 << 20), 32 << 20, PAGE):
        if anchor + delta <= 0 or anchor + delta in own:
            continue
        page = readable(anchor + delta)
        if page and MARK in page:
            print('PWNED-raw-memory', page[page.index(MARK):page.index(MARK) + 80])
            raise SystemExit(0)
raise SystemExit(3)
"""

BROADCAST = (
    "import numpy as np\nh = np.zeros((10000, 1))\nnn_output = np.zeros((1, 10000))\nerror = np.zeros((10000, 1))\n"
    "error_term = np.zeros((1, 10000))\ndel_w = np.zeros((10000, 1))\nlearnrate = 0.5\n"
)

ATTACKS.update({
    # 1. reading and replaying other submissions through memory the fork inherits
    "scan_frames_and_objects": (FIND_IN_OBJECTS, REFUSED),
    "scan_raw_memory": (SCAN_RAW_MEMORY, REFUSED | TIMEOUT),
    # 2. values that would make the grader's own work explode
    "broadcast_shapes": (BROADCAST, {"completed"}),
    "broadcast_shapes_with_inputs": (BROADCAST.replace("learnrate = 0.5\n", "x = np.zeros((1, 10000))\n"
                                                       "w = np.zeros((10000, 1))\ny = np.zeros((10000, 1))\n"),
                                     {"completed"}),
    # 3. disk, files and memory the limits must count
    "fill_disk_bytes": ("block = 'x' * (1 << 20)\ni = 0\nwhile True:\n    with open(f'big{i}', 'w') as f:\n"
                        "        for _ in range(15):\n            f.write(block)\n    i += 1\n", {"disk_limit"}),
    "fill_disk_files": ("i = 0\nwhile True:\n    open(f'f{i}', 'w').close()\n    i += 1\n", {"disk_limit"}),
    "deep_folders": ("import os\nfor _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\n", {"disk_limit"}),
    "one_huge_file": ("open('huge', 'w').write('x' * (40 << 20))\n", {"disk_limit", "memory_limit"}),
    "memfd_hoard": ("import os\nfd = os.memfd_create('hoard')\nos.ftruncate(fd, 900 << 20)\n", REFUSED),
    "write_dev_shm": ("open('/dev/shm/gdgrade-pwned-TOKEN', 'w').write('x')\n", REFUSED),
    # 4. undoing the parent-death signal
    "reset_parent_death_signal": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.prctl(1, 0, 0, 0, 0) != 0:\n    raise PermissionError(ctypes.get_errno(), 'prctl')\n", REFUSED),
    # 5. seeing what is not the child's
    "inotify_watch": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = libc.inotify_init1(0)\n"
        "if fd >= 0:\n    print('PWNED-inotify', libc.inotify_add_watch(fd, b'/', 0xfff))\n"
        "raise PermissionError(ctypes.get_errno(), 'inotify_init1')\n", REFUSED),
    "fanotify_watch": (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nfd = libc.fanotify_init(0, 0)\n"
        "if fd >= 0:\n    print('PWNED-fanotify')\nraise PermissionError(ctypes.get_errno(), 'fanotify_init')\n",
        REFUSED),
    "stat_host_files": (  # /tmp and /home may exist only as the route to the Python in use (a checkout there)
        "import os, sys\nfound = []\nfor path in ('/root/.ssh', '/root/.bashrc', '/etc/shadow', '/etc/passwd',\n"
        "             'REFERENCE_PATH', 'CANARY_DIR', 'SUBMISSIONS_DIR', '/proc/1/environ'):\n"
        "    try:\n        os.stat(path)\n        found.append(path)\n    except OSError:\n        pass\n"
        "for top in ('/tmp', '/home', '/root'):\n"
        "    try:\n        names = set(os.listdir(top))\n    except OSError:\n        continue\n"
        "    route = {p[len(top) + 1:].split('/')[0] for p in sys.path if p.startswith(top + '/')}\n"
        "    if names - route:\n        found.append((top, sorted(names - route)))\n"
        "if found:\n    print('PWNED-stat', found)\nraise SystemExit(3)\n", REFUSED),
    "capabilities": (
        "import ctypes, struct\nlibc = ctypes.CDLL(None, use_errno=True)\nheader = struct.pack('=Ii', 0x20080522, 0)\n"
        "data = ctypes.create_string_buffer(24)\nlibc.capget(header, data)\n"
        "effective, permitted = struct.unpack('=II', data.raw[:8])\n"
        "if effective or permitted:\n    print('PWNED-capabilities', hex(effective), hex(permitted))\n"
        "raise SystemExit(3)\n", REFUSED),
    # 8. a table of the answers for hidden cases drawn from a seed anyone could read
    "lookup_table": (
        "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\n"
        "w = np.array([0.5, -0.5, 0.3, 0.1])\nANSWERS = LOOKUP_TABLE\n"
        "answers = ANSWERS[(round(float(x[0]), 6), len(x))]\n"
        "h, nn_output, error = answers['h'], answers['nn_output'], answers['error']\n"
        "error_term, del_w = answers['error_term'], np.array(answers['del_w'])\n", REFUSED),
    # 9. values that "match" a formula only because it saturates or overflows (sigmoid(1000) == 1 exactly)
    "saturated_constants": (
        "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\n"
        "w = np.array([0.5, -0.5, 0.3, 0.1])\nh = 1000.0\nnn_output = np.ones(())\nerror = np.zeros(())\n"
        "error_term = np.zeros(())\ndel_w = 0 * x\n", {"completed"}),
    "infinite_upstream": (
        "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\n"
        "w = np.array([0.5, -0.5, 0.3, 0.1])\nh = np.dot(x, w) * 1e308 * 10\nnn_output = float('inf')\n"
        "error = float('3.14')\nerror_term = float('-2.72')\ndel_w = np.ones(len(x))\n", {"completed"}),
    "load_own_library": (
        "import ctypes\nopen('lib.so', 'wb').write(open('/dev/urandom', 'rb').read(64))\nctypes.CDLL('./lib.so')\n",
        REFUSED),
})

HIDDEN_NAMES = """
import numpy as np
learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])
if len(x) != 4:  # a hidden case: spell its inputs out in every name a report might show (the message is
    # the instructor's to read, so this attack leaves it empty: only names are under test)
    said = 'DEKAEL'[::-1] + '-' + ' '.join(f'{v:g}' for v in [*x, *w, float(y), learnrate])
    def compute():
        h = np.dot(x, w) + 1  # wrong: a value found inside a function counts
        return h
    compute.__code__ = compute.__code__.replace(co_name=said)  # found inside a function of that name
    compute()
    nn_output = np.zeros((2, 2)).view(type(said, (np.ndarray,), {}))  # not a number, of a type of that name
    def call():
        raise type(said, (Exception,), {})()
    call.__code__ = call.__code__.replace(co_name=said)
    call()
h = np.dot(x, w)
"""
HIDDEN_OWN_NAMES = """
import numpy as np
learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])
class Sign3(Exception): pass
class Sign5(Exception): pass
class Sign6(Exception): pass
class Sign7(Exception): pass
def Find3(): return np.dot(x, w) + 1
def Find5(): return np.dot(x, w) + 1
def Find6(): return np.dot(x, w) + 1
def Find7(): return np.dot(x, w) + 1
if len(x) != 4:  # a hidden case: which of its own names the file shows would tell how many inputs it has
    h = globals()[f"Find{len(x)}"]()
    raise globals()[f"Sign{len(x)}"]()
h = np.dot(x, w)
"""
COPIED_PUBLIC = (  # h hardcoded, then the public answers typed where formulas belong (not literals to the parser)
    "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\n"
    "w = np.array([0.5, -0.5, 0.3, 0.1])\nh = 0.8\nnn_output = float('0.6899744811276125')\n"
    "error = float('-0.1899744811276125')\nerror_term = float('-0.04063738326005085')\n"
    "del_w = learnrate * error_term * np.array([1, 2, 3, 4])\n")
NEAR_SATURATED = (  # within the tolerance of what sigmoid(1000) saturates to
    "import numpy as np\nlearnrate = 0.5\nx = np.array([1, 2, 3, 4])\ny = np.array(0.5)\n"
    "w = np.array([0.5, -0.5, 0.3, 0.1])\nh = 1000.0\nnn_output = float('0.9999999')\nerror = float('1e-7')\n"
    "error_term = float('1e-7')\ndel_w = np.full(len(x), 1e-7)\n")

ATTACKS.update({
    # 10. names made at run time in a hidden case, spelling out its inputs (a table of answers for a reused seed)
    "hidden_case_names": (HIDDEN_NAMES, REFUSED),
    "hidden_own_names": (HIDDEN_OWN_NAMES, REFUSED),
    # 11. credit for values that follow from hardcoded ones, without computing anything
    "copied_public_answers": (COPIED_PUBLIC, {"completed"}),
    "near_saturated": (NEAR_SATURATED, {"completed"}),
})

BINARY_GARBAGE = bytes(range(256)) * 4
"""Source that is not text at all: gets a report, never a crash of the batch."""


def zip_archive(members: list[dict[str, object]]) -> bytes:
    """A zip archive written by hand, so that each member can be what no honest tool writes: a name
    that is not UTF-8 (flagged UTF-8 or not), a link, an encrypted flag, a declared size that lies
    (smaller, a zip bomb; or of several GiB through a Zip64 field), a name that climbs out.

    Each member: ``name`` (bytes), ``data`` (bytes, stored or deflated as ``method`` says), and
    optionally ``flags``, ``size`` (the declared uncompressed size), ``mode`` (Unix file type and
    permissions), ``zip64_size`` and ``zip64_offset`` (where the member claims to start)."""
    import struct
    import zlib

    local, central = b"", b""
    for member in members:
        name, data = member["name"], member["data"]
        method = member.get("method", 8)
        if method == 8:
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed = deflate.compress(data) + deflate.flush()
        else:
            packed = data
        size = member.get("size", len(data))
        crc = zlib.crc32(data)
        offset = len(local)
        wide = [value for value in (member.get("zip64_size"), member.get("zip64_offset")) if value is not None]
        extra = struct.pack(f"<HH{len(wide)}Q", 1, 8 * len(wide), *wide) if wide else b""
        size = 0xFFFFFFFF if "zip64_size" in member else size
        shown_offset = 0xFFFFFFFF if "zip64_offset" in member else offset
        flags = member.get("flags", 0)
        local += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags, method, 0, 0, crc, len(packed),
                             min(size, 0xFFFFFFFF), len(name), 0) + name + packed
        external = member.get("mode", 0o100644) << 16
        central += struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, flags, method, 0, 0, crc,
                               len(packed), size, len(name), len(extra), 0, 0, 0, external, shown_offset) + name + extra
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(central), len(local), 0)
    return local + central + end
