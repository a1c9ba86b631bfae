"""The child: enter the sandbox, read the submission, run it once per case, report plain data.

This module runs *inside* the child process, next to hostile code. It holds no expected values
and never imports the reference. The fork server passes it the result pipe at fd 3, the source at
fd 4 and the pipe the hidden cases arrive on at fd 5; it reads the source only after the sandbox is
in force. Its first line on the result pipe says which layers are in force; then, for each case, one
JSON line: the checked variables described as numbers, shapes and type names, and the student's
error if any. Everything it sends is untrusted by the grader, which validates it
(``grader.protocol``).

Used on both paths: called directly after the fork server's ``fork``, or, with ``--spawn``, as
``python -m grader.sandbox.child SLOT`` with the batch's job and the server's plan at fd 6.

The grader's process imports this module too, for what a result line may hold (``MAX_ELEMENTS``):
the layers (``grader.sandbox.layers``, with their ``ctypes`` calls) are imported only by a child
about to enter them (``main``, ``spawned``).
"""

from __future__ import annotations

import ast
import builtins
import errno
import itertools
import json
import os
import signal
import sys
import types
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from grader.sandbox.control import STRICT_EXIT
from grader.sandbox.job import Job, Plain, decode_input

if TYPE_CHECKING:
    from grader.sandbox.layers import Plan

RESULTS_FD, SOURCE_FD, HIDDEN_FD, CONFIG_FD = 3, 4, 5, 6
"""The result pipe, the source, the pipe the hidden cases arrive on, and (spawn path) the settings."""
MAX_SOURCE_BYTES = 1 << 20
MAX_ELEMENTS = 10_000
"""Arrays larger than this are described by shape only: a grader never needs more."""

MAX_TEXT = 200
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""A write failed at a limit of the scratch space: its size, its number of files, or one file's size."""


class CaseTimeout(BaseException):
    """Raised by the soft timer so that variables set before a hang are still reported."""


INPUT_FUNCTION = "__gdgrade_input__"
"""The name injected assignments call to fetch the current case's value of an input."""


class _Inject(ast.NodeTransformer):
    """Make every assignment to an input name fetch the case's input, keeping the file's own value.

    ``x = np.array([1, 2, 3, 4])`` becomes
    ``x = __gdgrade_input__('x', lambda: np.array([1, 2, 3, 4]))``, at top level, in module-level
    blocks, and inside functions where the name is not a parameter (a student who works in
    ``main()``), so one compiled module serves every case, the public one included; the public case
    also evaluates the file's own expression, to tell the student when they changed a given. Only
    the first assignment of a name in each scope is the given: a later ``x = x[np.newaxis, :]`` is
    the student's own work on it and stays. Class bodies and lambdas are left alone.
    """

    def __init__(self, names: set[str]):
        self.names = names
        self.found: set[str] = set()
        self.parameters: list[set[str]] = []
        self.given: list[set[str]] = [set()]
        """Per scope (the module, each function): the names whose given is already injected."""

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        arguments = node.args
        names = [a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)]
        names += [a.arg for a in (arguments.vararg, arguments.kwarg) if a is not None]
        self.parameters.append(set(names))
        self.given.append(set())
        self.generic_visit(node)
        self.given.pop()
        self.parameters.pop()
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def _skip(self, node: ast.AST) -> ast.AST:
        return node

    visit_ClassDef = visit_Lambda = _skip

    def _injectable(self, name: str) -> bool:
        return (name in self.names and name not in self.given[-1]
                and not any(name in parameters for parameters in self.parameters))

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, ast.Name) and self._injectable(target.id):
            node.value = self._fetch(target.id, node.value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if isinstance(node.target, ast.Name) and self._injectable(node.target.id) and node.value:
            node.value = self._fetch(node.target.id, node.value)
        return node

    def _fetch(self, name: str, original: ast.expr) -> ast.expr:
        self.found.add(name)
        self.given[-1].add(name)
        plain = not any(isinstance(sub, (ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr))
                        for sub in ast.walk(original))
        own = ast.Lambda(ast.arguments([], [], None, [], [], None, []), original) if plain else ast.Constant(None)
        call = ast.Call(ast.Name(INPUT_FUNCTION, ast.Load()), [ast.Constant(name), own], [])
        for sub in ast.walk(call):
            if not hasattr(sub, "lineno"):
                ast.copy_location(sub, original)
        return call


def _quiet_builtins() -> dict[str, Any]:
    """Builtins whose ``print`` to stdout or stderr does nothing: hidden cases' output is discarded
    anyway, and formatting numpy arrays for nobody is the dearest part of a run."""
    real_print = builtins.print

    def print(*values: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None,  # noqa: A001
              flush: bool = False) -> None:
        if file is not None and file is not sys.stdout and file is not sys.stderr:
            real_print(*values, sep=sep, end=end, file=file, flush=flush)

    return dict(builtins.__dict__, print=print)


def describe(value: Any) -> dict[str, Any]:
    """Plain data for one student value, read through base-class methods.

    Subclasses of float or ndarray may override ``__float__``, ``__array__``
    or ``tolist``; calling the base types' own methods reads the stored data.
    """
    if value is None:
        return {"kind": "none"}
    try:
        if isinstance(value, np.ndarray):
            array = np.ndarray.view(value, np.ndarray)
        elif isinstance(value, (bool, np.bool_)):
            return {"kind": "other", "type": type(value).__name__[:MAX_TEXT]}
        elif isinstance(value, float):
            array = np.array(float.__float__(value))
        elif isinstance(value, int):
            array = np.array(float(int.__index__(value)))
        elif isinstance(value, np.generic):
            array = np.array(value.item() if type(value).__module__ == "numpy" else np.nan)
        elif isinstance(value, (list, tuple)):
            size = list.__len__(value) if isinstance(value, list) else tuple.__len__(value)
            if size > MAX_ELEMENTS:
                return {"kind": "numeric", "type": type(value).__name__[:MAX_TEXT],
                        "shape": [size], "values": None}
            items = list(value)
            if not all(type(item) in (int, float) or type(item).__module__ == "numpy" for item in items):
                return {"kind": "other", "type": type(value).__name__[:MAX_TEXT]}
            array = np.array(items)
        else:
            return {"kind": "other", "type": type(value).__name__[:MAX_TEXT]}
        if array.dtype.kind not in "biuf":
            return {"kind": "other", "type": f"{type(value).__name__[:MAX_TEXT]} of {array.dtype}"}
        shape = [int(n) for n in array.shape]
        values = None if array.size > MAX_ELEMENTS else array.astype(np.float64).ravel().tolist()
        return {"kind": "numeric", "type": type(value).__name__[:MAX_TEXT], "dtype": array.dtype.name,
                "shape": shape, "values": values}
    except Exception as problem:  # noqa: BLE001 - any failure is the student's value's fault
        return {"kind": "other", "type": f"unreadable ({type(problem).__name__})"}


def _line(tb: types.TracebackType) -> int:
    """The line a traceback entry stopped at. Python 3.11 gives some instructions no line (the jump
    back of a loop, where a time limit's signal may land): then the line of the nearest instruction
    before it that has one, so that every frame names a line."""
    line: int | None = tb.tb_lineno  # typeshed says int: it is None there
    if line is not None:
        return line
    code = tb.tb_frame.f_code
    positions = list(itertools.islice(code.co_positions(), tb.tb_lasti // 2 + 1))
    return next((line for line, *_ in reversed(positions) if line is not None), code.co_firstlineno)


def student_error(error: BaseException, filename: str) -> dict[str, Any]:
    """The student's exception, trimmed to frames in the student's own file."""
    frames = []
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            frames.append({"line": _line(tb), "function": tb.tb_frame.f_code.co_name[:MAX_TEXT]})
        tb = tb.tb_next
    try:
        message = str(error)[:2000]
    except Exception:  # noqa: BLE001 - a hostile __str__
        message = "<unprintable message>"
    return {
        "type": type(error).__name__[:MAX_TEXT],
        "message": message,
        "frames": frames if len(frames) <= 20 else frames[:1] + frames[-19:],  # the statement and the innermost
        "memory": isinstance(error, MemoryError),
        "timeout": isinstance(error, CaseTimeout),
        "disk": isinstance(error, OSError) and error.errno in DISK_FULL,
    }


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - the student may have closed or replaced them
            pass


def _read_source() -> str:
    """The submission, read from its descriptor (at most MAX_SOURCE_BYTES), which is then closed."""
    chunks, offset = [], 0
    while offset <= MAX_SOURCE_BYTES:
        chunk = os.pread(SOURCE_FD, 1 << 16, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    os.close(SOURCE_FD)
    return b"".join(chunks)[:MAX_SOURCE_BYTES].decode("utf-8", "replace")


def main(plan: Plan, job: Job, slot: int) -> None:
    """Enter the sandbox, report it, then run the submission. Called in the freshly started child.

    The sandbox line is written before any student code runs, so it cannot be forged; a strict
    job stops here when a layer is missing.
    """
    from grader.sandbox import layers  # loaded already in the fork server; never in the grader's process

    report = layers.enter(plan, job.limits, slot, keep=(RESULTS_FD, SOURCE_FD, HIDDEN_FD))
    os.write(RESULTS_FD, json.dumps({"sandbox": {"applied": report.applied, "missing": report.missing}}).encode()
             + b"\n")
    if job.strict and report.missing:
        os._exit(STRICT_EXIT)
    run_cases(job, _read_source(), RESULTS_FD)


def _locals_catcher(filename: str, variables: tuple[str, ...]) -> tuple[dict[str, tuple[Any, str]], Any]:
    """A profile function that keeps, each time a function of the student's file returns, the last
    value it gave each checked name; and what it keeps: name -> (value, function)."""
    found: dict[str, tuple[Any, str]] = {}

    def profile(frame: Any, event: str, argument: Any) -> None:
        code = frame.f_code
        if event == "return" and code.co_filename == filename and not code.co_name.startswith("<"):
            names = frame.f_locals
            for name in variables:
                if name in names:
                    found[name] = (names[name], code.co_name)

    return found, profile


def _hidden_cases() -> list[dict[str, Plain]]:
    """After the public case: shut every way out but the result pipe, then read the hidden cases.

    They arrive only now, on their own pipe, once the grader has the public case's result: while
    the public case ran they were nowhere in this process, so no traceback or output of it can show
    them. Its output ends here too: stdout and stderr go to /dev/null, and every other descriptor
    (a copy of stdout the student kept, a file they opened) is closed.
    """
    _flush()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    os.closerange(RESULTS_FD + 1, HIDDEN_FD)
    os.closerange(HIDDEN_FD + 1, 1 << 16)
    chunks = []
    while chunk := os.read(HIDDEN_FD, 1 << 16):
        chunks.append(chunk)
    os.close(HIDDEN_FD)
    cases: list[dict[str, Plain]] = json.loads(b"".join(chunks) or b"[]")
    return cases


def run_cases(job: Job, source: str, result_fd: int) -> None:
    """Execute ``source`` on the public case, then on each hidden case (which arrive once the public
    case is reported: ``_hidden_cases``), writing one JSON line per case to ``result_fd``."""
    write, dumps = os.write, json.dumps  # bound now: the student may patch the modules
    set_profile = sys.setprofile
    filename = job.filename
    variables = job.variables
    cases = [job.public]
    injector = _Inject(set(job.public))
    try:
        code = compile(injector.visit(ast.parse(source, filename)), filename, "exec")
    except (RecursionError, MemoryError, SyntaxError, ValueError) as problem:  # nested beyond what Python runs
        _cannot_run(job, student_error(problem, filename), result_fd)
        return
    injected = sorted(injector.found)
    quiet = _quiet_builtins()

    def on_alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout("time limit reached")

    signal.signal(signal.SIGALRM, on_alarm)
    budget = job.soft_timeout / (1 + job.hidden_cases)  # a hang in one case leaves time for the others

    index = 0
    while index < len(cases):
        inputs = cases[index]
        given: dict[str, Any] = {}
        namespace: dict[str, Any] = {"__name__": "__main__", "__file__": filename,
                                     INPUT_FUNCTION: _fetcher(inputs, index == 0, given),
                                     "__builtins__": builtins if index == 0 else quiet}
        sys.argv = [filename]
        error = None
        exit_code = None
        inside, profile = _locals_catcher(filename, variables)
        signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            set_profile(profile)
            exec(code, namespace)  # noqa: S102 - sandboxed child
        except SystemExit as stop:
            # int(): sys.exit(True) exits with 1, and the grader takes no bool for a number
            exit_code = int(stop.code) if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        except BaseException as problem:  # noqa: BLE001 - report whatever the student raised
            error = student_error(problem, filename)
        finally:
            set_profile(None)
        signal.setitimer(signal.ITIMER_REAL, 0)
        _flush()
        values, found_in = _values(variables, namespace, inside)
        message = {
            "case": index,
            "values": values,
            "error": error,
            "exit_code": exit_code,
            "injected": injected,
            "given": given,
            "found_in": found_in,
        }
        # a student's text may hold lone surrogates, which no JSON reader takes: they become "?"
        write(result_fd, dumps(message, allow_nan=True, ensure_ascii=False).encode("utf-8", "replace") + b"\n")
        if index == 0:
            cases += _hidden_cases()
        index += 1


def _cannot_run(job: Job, error: dict[str, Any], result_fd: int) -> None:
    """Every case's line for a file that cannot run at all (nested beyond what Python compiles):
    each fails alike, with the same error."""
    for index in range(1 + job.hidden_cases):
        message = {"case": index, "values": {name: {"kind": "missing"} for name in job.variables}, "error": error,
                   "exit_code": None, "injected": []}
        os.write(result_fd, json.dumps(message, ensure_ascii=False).encode("utf-8", "replace") + b"\n")


def _fetcher(inputs: dict[str, Plain], public: bool, given: dict[str, Any]) -> Callable[[str, Any], Any]:
    """What an injected assignment calls (``INPUT_FUNCTION``): the case's value of an input, after
    noting in ``given``, in the public case, the value of the file's own expression for it."""

    def fetch(name: str, own: Any) -> Any:
        if public and own is not None and name not in given:
            try:
                given[name] = describe(own())
            except Exception as problem:  # noqa: BLE001 - the student's own expression may fail
                given[name] = {"kind": "other", "type": f"raised {type(problem).__name__}"[:MAX_TEXT]}
        return decode_input(inputs[name])

    return fetch


def _values(variables: tuple[str, ...], namespace: dict[str, Any],
            inside: dict[str, tuple[Any, str]]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each checked variable described, from the module's namespace or, when it is not set there,
    the last value a function of the file gave it; and which function that was, by name."""
    values, found_in = {}, {}
    for name in variables:
        value = namespace.get(name)
        if value is None and name in inside:  # computed in a function: the last value it had there
            value, found_in[name] = inside[name]
        values[name] = describe(value) if name in namespace or name in found_in else {"kind": "missing"}
    return values, found_in


def spawn_config(job: Job, plan: Plan) -> bytes:
    """What a spawned child reads at ``CONFIG_FD`` (``spawned``): the batch's job and the server's plan."""
    return json.dumps({"job": job.to_plain(), "plan": plan.portable()}).encode()


def spawned(argv: list[str]) -> None:
    """Spawn path: read the job and the server's plan at ``CONFIG_FD``, then run as a forked child would."""
    size = os.fstat(CONFIG_FD).st_size
    config = json.loads(os.pread(CONFIG_FD, size, 0))
    os.close(CONFIG_FD)
    from grader.sandbox.layers import Plan

    main(Plan.from_portable(config["plan"]), Job.from_plain(config["job"]), int(argv[1]))
    os._exit(0)


if __name__ == "__main__":
    spawned(sys.argv)
