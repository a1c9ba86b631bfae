"""Grade submissions: read the source, run it in the sandbox, compare, report.

This is the flow end to end. ``Settings`` carries the instructor's choices;
``grade`` turns a batch of submissions into reports, one per submission,
whatever each one does.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import secrets
import time
import traceback
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Required, TypedDict, Unpack

import numpy as np

from grader import compare, conceal, intake, sentences
from grader.protocol import CaseMessage, Lines, Run, parse_run
from grader.quiz import Inputs, Quiz
from grader.report import Call, Check, Fault, Grading, Report, Sandbox, Status, StudentError, case_name, is_hidden
from grader.sandbox.control import RUNNER_FAILED, STRICT_EXIT
from grader.sandbox.job import Job, Limits, encode_inputs
from grader.sandbox.supervisor import Answer, Runner, encode_hidden
from grader.source import Source, SourceError, analyse, decode, place
from grader.text import code_span, names, one_line, plural

MIB = 1 << 20
PROGRAMS_KEPT = 4096
"""How many distinct files' runs a batch keeps for byte-identical copies: within that many, each
distinct text runs once."""
SHARED_ANSWER_BYTES = 64 << 10
"""A run whose output and results are larger is not kept for others (memory stays flat)."""
FILE_BYTES, SCRATCH_BYTES, SCRATCH_FILES = 16 * MIB, 32 * MIB, 1024
"""What a child may write: per file, and in all in its private scratch space."""

STOPPED = {
    Status.TIMEOUT: "the run timed out before it was computed",
    Status.MEMORY_LIMIT: "the run hit the memory limit before it was computed",
    Status.OUTPUT_LIMIT: "the run printed too much and was stopped",
    Status.INVALID_RESULT: "the run's results were not valid, so none are used",
    Status.SANDBOX_ERROR: "the submission was not run (strict sandbox)",
    Status.CRASHED: "the run crashed before it was computed",
    Status.DISK_LIMIT: "the run hit the disk limit before it was computed",
}
"""Why a variable never came back, by how the run ended."""
log = logging.getLogger("gdgrade.grade")


@dataclass(frozen=True)
class Settings:
    """Limits and options for one grading session."""

    timeout: float = 10.0
    """Wall-clock seconds for all cases of one submission."""
    memory_mib: int = 1024
    hidden_cases: int | None = None
    seed: int | None = None
    """The hidden cases' seed; None draws a fresh one for the batch (``Grader.seed`` says which)."""
    output_bytes: int = 64 * 1024
    """Captured stdout and stderr kept in a report, each; the rest is dropped."""
    flood_bytes: int = 8 * MIB
    """Output beyond this stops the run."""
    spawn: bool = False
    """Start a fresh interpreter per submission instead of forking."""
    strict: bool = False
    """Refuse to run a submission unless every sandbox layer is in force."""

    def limits(self) -> Limits:
        return Limits(
            wall_seconds=self.timeout,
            cpu_seconds=max(1, int(self.timeout) + 1),
            memory_bytes=self.memory_mib * MIB,
            file_bytes=FILE_BYTES,
            scratch_bytes=SCRATCH_BYTES,
            scratch_files=SCRATCH_FILES,
            output_bytes=self.output_bytes,
            flood_bytes=self.flood_bytes,
            result_bytes=16 * MIB,
        )


def job_settings(quiz: Quiz, settings: Settings) -> Job:
    """What every run of a batch shares, given to the fork server once: the public case's inputs
    (injected too: a student who changed a given is still graded on the quiz's), how many hidden
    cases follow, the limits, strictness. The hidden cases' inputs are not here: the grader hands
    them to each child only once its public case is done (``hidden_inputs``), so the server can
    start before they are drawn."""
    return Job(filename=quiz.filename, variables=tuple(quiz.variables), public=encode_inputs(quiz.public_inputs),
               hidden_cases=quiz.hidden_count(settings.hidden_cases), soft_timeout=settings.timeout * 0.8,
               limits=settings.limits(), strict=settings.strict)


def hidden_inputs(cases: Sequence[Inputs]) -> bytes:
    """The hidden cases' inputs as each child reads them once its public case is done: encoded once
    per draw."""
    return encode_hidden([encode_inputs(inputs) for inputs in cases[1:]])


def _source_line(source: Source, line: int) -> str:
    lines = source.text.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else ""


def _first_error(run: Run, source: Source) -> StudentError | None:
    """The student's first exception, with their own frames and source lines."""
    for message in run.cases:
        if message.error is not None:
            error = message.error
            frames = [Call(line=f.line, place=place(f.line, source.cells), function=f.function,
                           source=_source_line(source, f.line)) for f in error.frames]
            line = frames[-1].line if frames else None
            return StudentError(case=case_name(message.case), type=error.type, message=error.message, line=line,
                                place=frames[-1].place if frames else None, frames=frames,
                                traceback=sentences.traceback(frames, error.type, error.message))
    return None


def _status(run: Run, error: StudentError | None, case_count: int) -> tuple[Status, list[str]]:
    """How the run ended, and the warnings worth showing."""
    warnings = list(run.problems)
    if len(run.cases) > 1 and not any(m.injected for m in run.cases[1:]):
        warnings.append("no top-level assignment of the inputs was found, "
                        "so the hidden cases ran with the file's own values")
    by_outcome = {
        "timeout": Status.TIMEOUT,
        "output_limit": Status.OUTPUT_LIMIT,
        "result_limit": Status.INVALID_RESULT,
        "runner_failed": Status.CRASHED,
    }
    if run.outcome in by_outcome:
        return by_outcome[run.outcome], warnings
    if any(m.error is not None and m.error.timeout for m in run.cases):
        return Status.TIMEOUT, warnings
    if any(m.error is not None and m.error.memory for m in run.cases):
        return Status.MEMORY_LIMIT, warnings
    if any(m.error is not None and m.error.disk for m in run.cases):
        warnings.append(f"the submission filled its scratch space ({SCRATCH_BYTES // MIB} MiB and "
                        f"{SCRATCH_FILES} files in all, {FILE_BYTES // MIB} MiB per file)")
        return Status.DISK_LIMIT, warnings
    if run.problems:
        return Status.INVALID_RESULT, warnings
    if run.exit_code == STRICT_EXIT and not run.cases:
        warnings.append("strict sandbox: not run, missing " + "; ".join(run.sandbox.missing if run.sandbox else []))
        return Status.SANDBOX_ERROR, warnings
    if run.sandbox is None and run.exit_code == RUNNER_FAILED:
        warnings.append("gdgrade's runner failed before the submission ran (exit status 70): please report it")
        return Status.GRADER_ERROR, warnings
    if len(run.cases) < case_count:
        how = (f"killed by signal {run.signal}" if run.signal is not None
               else f"exited with status {run.exit_code}")
        warnings.append(f"the submission stopped before finishing every case ({how})")
        return Status.CRASHED, warnings
    exits = [m for m in run.cases if m.exit_code not in (None, 0)]
    if error is not None or exits:
        if error is None:  # a hidden case's exit status is not repeated: it could carry that case's inputs
            warnings.append(f"the script called sys.exit({exits[0].exit_code})" if exits[0].case == 0
                            else "the script called sys.exit with an error status in a hidden case")
        return Status.RUNTIME_ERROR, warnings
    return Status.COMPLETED, warnings


class _Ran(TypedDict, total=False):
    """A report's fields that tell how the run went; the rest come from the submission and the draw."""

    status: Required[Status]
    score: Required[float]
    max_score: Required[float]
    checks: Required[list[Check]]
    duration_s: Required[float]
    stdout: str
    stderr: str
    output_truncated: bool
    error: StudentError | None
    warnings: list[str]
    sandbox: Sandbox | None


class _NotRun(TypedDict, total=False):
    error: StudentError | None
    warnings: list[str]


def _report(submission: intake.Submission, grader: Grader, draw: Draw, digest: str | None, text: str | None,
            **fields: Unpack[_Ran]) -> Report:
    report = Report(quiz=grader.quiz.name, submission=submission.id, path=submission.shown_path,
                    student=submission.student, selection=submission.selection, source_sha256=digest,
                    grading=draw.grading, **fields)
    report.source_text = text
    return report


def _not_run(submission: intake.Submission, grader: Grader, draw: Draw, status: Status, reason: str, started: float,
             digest: str | None = None, text: str | None = None, **fields: Unpack[_NotRun]) -> Report:
    """A report of a submission that was never run: every variable missing, for ``reason``."""
    checks = compare.check_all(draw.reference, [None] * len(draw.reference.cases), stopped=reason)
    return _report(submission, grader, draw, digest, text, status=status, score=0.0,
                   max_score=sum(check.max_score for check in checks), checks=checks,
                   duration_s=time.monotonic() - started, **fields)


def _unrunnable(submission: intake.Submission, grader: Grader, draw: Draw, error: StudentError | None,
                digest: str | None, text: str | None, started: float) -> Report:
    """A report for a submission that could not be run at all: nothing gradable, unreadable, not Python."""
    if error is None:
        return _not_run(submission, grader, draw, Status.NOTHING_GRADABLE, "nothing in the folder could be graded",
                        started)
    if error.type == "unreadable":
        status, reason = Status.UNREADABLE, "the file is not readable Python"
    else:
        status, reason = Status.SYNTAX_ERROR, "the file has a syntax error"
    return _not_run(submission, grader, draw, status, reason, started, digest, text, error=error)


def _fault_report(submission: intake.Submission, grader: Grader, draw: Draw, problem: Exception,
                  started: float) -> Report:
    """When gdgrade itself fails on a submission: a report that says so, never a batch that ends. The
    fault is kept whole, its traceback in the report (``Report.fault``) and in the log, since a
    maintainer needs the place, not a line; the warning a student reads names its type alone."""
    kind = type(problem).__name__
    log.error("could not grade submission %s: a fault in gdgrade (%s), please report it; its report keeps the "
              "traceback", one_line(submission.id), kind, exc_info=problem)
    fault = Fault(type=kind, message=str(problem), traceback="".join(traceback.format_exception(problem)))
    report = _not_run(submission, grader, draw, Status.GRADER_ERROR, "gdgrade could not grade it", started,
                      warnings=[f"gdgrade failed on this submission ({kind}): please report it"])
    return report.revised(replace(report, fault=fault))


def _prepare(submission: intake.Submission,
             quiz: Quiz) -> tuple[Source | StudentError | None, str | None, str | None]:
    """The analysed source, or the reason it cannot be run (None: there is no file); the content's
    digest; its text, if text."""
    if submission.nothing:  # no file: why is in the submission's selection
        return None, None, None
    try:
        raw = submission.read()
    except OSError as problem:
        return StudentError(case="public", type="unreadable", message=str(problem), line=None,
                            traceback=str(problem)), None, None
    digest = hashlib.sha256(raw).hexdigest()
    try:
        source = analyse(raw, quiz.filename, quiz.variables)
        return source, digest, source.text
    except SourceError as problem:
        kind = "unreadable" if problem.unreadable else "SyntaxError"
        text = None if problem.unreadable else decode(raw)
        return StudentError(case="public", type=kind, message=str(problem), line=problem.line,
                            traceback=str(problem) + (f" (line {problem.line})" if problem.line else "")), digest, text


def _stop(message: CaseMessage) -> compare.Stop | None:
    """Where a case's run raised, from the student's frames (their lines, outermost first)."""
    error = message.error
    if error is None or not error.frames:
        return None
    return compare.Stop(tuple(frame.line for frame in error.frames), error.type, error.timeout)


def _shown(value: object) -> str:
    """A value as the student would write it, short."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return f"{float(array):g}"
    items = ", ".join(f"{v:g}" for v in array.ravel()[:6]) + (", ..." if array.size > 6 else "")
    return f"[{items}]"


def _notes(reference: compare.Reference, runs: Sequence[compare.CaseRun | None], facts: compare.Facts,
           checks: Sequence[Check], error: StudentError | None) -> list[str]:
    """What a student should know beyond each check: givens they changed, values found inside a
    function, an error that came after every value was computed (and so costs nothing)."""
    notes = []
    public = reference.cases[0]
    for name, array in compare.changed_givens(facts, public).items():
        theirs = _shown(array) if array is not None else f"something that is not a number ({facts.given[name].kind})"
        notes.append(f"your file sets `{name}` to {theirs} where the quiz gives {_shown(public[name])}: "
                     "every case was graded with the quiz's values, so the givens must stay as they are")
    inside: dict[str, list[str]] = {}
    for check in checks:
        if check.found_in:
            inside.setdefault(check.found_in, []).append(check.name)
    for function, found in inside.items():
        notes.append(f"{names(found)} {plural(len(found), 'was')} found inside "
                     f"{code_span(function + '()')}: the quiz "
                     "expects them at top level; they were graded as they are")
    if error is not None and error.frames:
        stopped = next(((run, run.stop) for run in runs if run is not None and run.stop is not None), None)
        if stopped is not None and not any(compare.not_assigned(value) for value in stopped[0].values.values()):
            what = "ran out of time" if stopped[1].timeout else f"raised {code_span(error.type)}"
            # a hidden case's line is in its error, for the instructor: which line can tell its inputs
            where = f"in {error.case}" if is_hidden(error.case) else f"at {error.frames[-1].place}"
            notes.append(f"your code {what} {where}, after computing every checked value: "
                         "the values were graded and the error costs nothing (but fix it: the quiz's page would stop "
                         "there)")
    return notes


def _finish(submission: intake.Submission, grader: Grader, draw: Draw, source: Source, digest: str,
            run: Run) -> Report:
    started = time.monotonic()
    reference, settings = draw.reference, grader.settings
    case_count = len(reference.cases)
    public_found = run.cases[0].found_in if run.cases else {}
    run.cases = [message if message.case == 0 else conceal.hidden_case(message, source.defined, public_found)
                 for message in run.cases]
    error = _first_error(run, source)
    status, warnings = _status(run, error, case_count)
    runs: list[compare.CaseRun | None] = [None] * case_count
    for message in [] if status is Status.INVALID_RESULT else run.cases:  # forged results earn nothing
        runs[message.case] = compare.CaseRun(message.values, _stop(message), message.found_in)
    given = run.cases[0].given if run.cases and status is not Status.INVALID_RESULT else {}
    facts = compare.Facts(source.literals, source.lines, source.spans, source.functions, source.names_used, given,
                          source.idioms, source.cells)
    stopped = STOPPED.get(status, "the run stopped before reporting it")
    checks = compare.check_all(reference, runs, facts, stopped)
    warnings += _notes(reference, runs, facts, checks, error)
    return _report(
        submission, grader, draw, digest, source.text,
        status=status,
        score=sum(check.score for check in checks),
        max_score=sum(check.max_score for check in checks),
        checks=checks,
        stdout=run.stdout,
        stderr=run.stderr,
        output_truncated=max(run.stdout_bytes, run.stderr_bytes) > settings.output_bytes,
        error=error,
        warnings=warnings,
        sandbox=Sandbox(applied=run.sandbox.applied, missing=run.sandbox.missing) if run.sandbox else None,
        duration_s=run.duration_s + time.monotonic() - started,
    )


@dataclass(frozen=True)
class Draw:
    """One draw of the hidden cases: the expected values in every case, and the grading record that
    lets the same cases be drawn again. A batch grades on one draw; the quiz page on one per attempt."""

    reference: compare.Reference
    grading: Grading
    hidden: bytes
    """The hidden cases' inputs as each child gets them (``hidden_inputs``)."""


@dataclass
class Ticket:
    """One submission on its way through the grader: read, and its run started."""

    submission: intake.Submission
    draw: Draw
    started: float
    source: Source | StudentError | Exception | None
    """The analysed source; why it cannot run (None: no file); or a fault of gdgrade's while reading it."""
    digest: str | None
    text: str | None
    answer: Future[Answer] | None


def content_digest(submission: intake.Submission) -> str | None:
    """SHA-256 of the file's bytes, or None when it cannot be read (for whatever reason: the report
    that follows says why; a batch never stops here)."""
    try:
        return hashlib.sha256(submission.read()).hexdigest()
    except Exception:  # noqa: BLE001 - an archive or a notebook a student crafted may fail in any way
        return None


class Grader:
    """One batch's reference values and the sandbox its submissions run in; use as a context manager.

    ``jobs`` submissions run at once. The sandbox starts at once, so ``missing_layers`` can be
    asked before anything is graded.
    """

    def __init__(self, quiz: Quiz, settings: Settings, jobs: int = 1):
        self.quiz, self.settings = quiz, settings
        self.sandbox = Runner(job_settings(quiz, settings), jobs, settings.spawn)  # it gets ready as cases are drawn
        try:
            self.batch = self.draw(settings.seed)
        except BaseException:  # the quiz's own hidden_inputs failed, say: no sandbox is left running
            self.sandbox.close(abort=True)
            raise
        self.seed, self.reference, self.grading = self.batch.grading.seed, self.batch.reference, self.batch.grading
        self.jobs = max(1, jobs)
        self._programs: collections.OrderedDict[str, Future[Answer]] = collections.OrderedDict()
        """Recent runs by the SHA-256 of the file's bytes (``Ticket.digest``)."""
        self.runs = 0
        """How many runs the sandbox was given (byte-identical files share a run)."""
        self._lines = Lines(quiz.variables)
        """The batch's result lines read so far: runs of different files often send the same lines."""

    def draw(self, seed: int | None = None) -> Draw:
        """Hidden cases drawn from ``seed`` (None: a fresh seed), as many as the settings say."""
        seed = secrets.randbelow(1 << 31) if seed is None else seed
        reference = compare.Reference(self.quiz, self.quiz.cases(self.settings.hidden_cases, seed))
        return Draw(reference, Grading(seed=seed, hidden_cases=len(reference.cases) - 1, timeout=self.settings.timeout,
                                       memory_mib=self.settings.memory_mib,
                                       tolerances={step.name: (step.rtol, step.atol) for step in self.quiz.steps},
                                       quiz_digest=self.quiz.digest or None), hidden_inputs(reference.cases))

    def missing_layers(self) -> dict[str, str]:
        """Sandbox layers this machine cannot apply, with the reason."""
        return self.sandbox.missing()

    def close(self, abort: bool = False, wait: bool = True) -> None:
        """Stop the sandbox once what was submitted has run; ``wait=False``: without waiting for its
        server to end (it ends with this process at the latest)."""
        self.sandbox.close(abort, wait)

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc_info: object) -> None:
        self.close(abort=kind is not None)

    def submit(self, submission: intake.Submission, draw: Draw | None = None) -> Ticket:
        """Read one submission and start its run, unless a kept run is of the same bytes: ``report`` turns
        the ticket into its report once ``ticket.answer`` is done. With a ``draw`` of its own the file
        runs on those hidden cases, alone: runs are shared only within the batch's draw.

        Only byte-identical files share a run. Every file runs under the same name, so a run is a
        function of its bytes alone (and the batch's inputs): sharing it gives a copy exactly what its
        own run would. Files that differ in anything, a comment or a docstring, run for themselves: a program
        can read its own text in more ways than any list of names could catch."""
        started = time.monotonic()
        source: Source | StudentError | Exception | None
        try:
            source, digest, text = _prepare(submission, self.quiz)
        except Exception as problem:  # noqa: BLE001 - reported by ``report``, in its turn
            source, digest, text = problem, None, None
        answer = None
        if isinstance(source, Source) and draw is not None:
            answer = self._run(source.text, draw)
        elif isinstance(source, Source):
            key = digest or ""
            answer = self._programs.get(key)
            if answer is not None:
                self._programs.move_to_end(key)
            else:
                answer = self._programs[key] = self._run(source.text)
                if len(self._programs) > PROGRAMS_KEPT:
                    self._programs.popitem(last=False)
        return Ticket(submission, draw or self.batch, started, source, digest, text, answer)

    def _run(self, source: str, draw: Draw | None = None) -> Future[Answer]:
        self.runs += 1
        return self.sandbox.submit(source, (draw or self.batch).hidden)

    def _answer(self, ticket: Ticket, future: Future[Answer]) -> Run:
        """The ticket's run, validated; a run too large to keep (``SHARED_ANSWER_BYTES``) is lent to no
        later copy."""
        answer = future.result()
        key = ticket.digest or ""
        if self._programs.get(key) is future and \
                len(answer.stdout) + sum(map(len, answer.results)) > SHARED_ANSWER_BYTES:
            del self._programs[key]
        return parse_run(answer, len(self.reference.cases), self.quiz.variables, self._lines)

    def report(self, ticket: Ticket) -> Report:
        """The report of a submitted ticket (waiting for its run if it is not done): always one."""
        try:
            if isinstance(ticket.source, Exception):
                raise ticket.source
            if not isinstance(ticket.source, Source):
                return _unrunnable(ticket.submission, self, ticket.draw, ticket.source, ticket.digest, ticket.text,
                                   ticket.started)
            assert ticket.answer is not None and ticket.digest is not None, "a file that was read has a run"
            return _finish(ticket.submission, self, ticket.draw, ticket.source, ticket.digest,
                           self._answer(ticket, ticket.answer))
        except Exception as problem:  # noqa: BLE001 - a fault of gdgrade's still gives this student a report
            return _fault_report(ticket.submission, self, ticket.draw, problem, ticket.started)

    def grade(self, submissions: Sequence[intake.Submission], window: int | None = None) -> Iterator[Report]:
        """Reports for ``submissions``, in order.

        At most ``window`` submissions are in flight, so memory stays flat however large the
        batch. Byte-identical files run once among the last ``PROGRAMS_KEPT`` distinct texts (each
        still gets its own report).
        """
        window = window or 4 * self.jobs
        pending: deque[Ticket] = deque()
        for submission in submissions:
            pending.append(self.submit(submission))
            while len(pending) >= window:
                yield self.report(pending.popleft())
        while pending:
            yield self.report(pending.popleft())
