"""The report: typed dataclasses that every output format is rendered from.

A report is written for every submission, whatever it did. Plain dataclasses,
not pydantic models: a student's self-check builds and prints one without
importing pydantic, and the grader builds them from values it has already
validated. grader.report_json is the JSON boundary: it writes them, reads them
back strictly and gives their JSON Schema. Non-finite numbers a student
produced serialise as the strings "NaN", "Infinity" and "-Infinity" so the
JSON stays standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, ClassVar, Literal, Union

from grader import __version__
from grader.text import name_text

SCHEMA_VERSION = "2.1"
"""Bumped with every change to the report's JSON Schema, with a line in CHANGELOG.md: tests/test_report.py
holds the schema to its stored copy for this version."""

if TYPE_CHECKING:  # pydantic needs the alias as a TypeAliasType, which grader.report_json makes: not imported here
    Values = Union[float, list["Values"]]  # noqa: UP007 - recursive alias


class Outcome(str, Enum):
    """How one variable fared; see the README for the exact rules."""

    CORRECT = "correct"
    CONSISTENT = "consistent"
    HARDCODED = "hardcoded"
    WRONG = "wrong"
    MISSING = "missing"


PASSING = frozenset({Outcome.CORRECT, Outcome.CONSISTENT})


class Status(str, Enum):
    """How the run of the submission ended."""

    COMPLETED = "completed"
    RUNTIME_ERROR = "runtime_error"
    SYNTAX_ERROR = "syntax_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    CRASHED = "crashed"
    INVALID_RESULT = "invalid_result"
    UNREADABLE = "unreadable"
    SANDBOX_ERROR = "sandbox_error"
    DISK_LIMIT = "disk_limit"
    GRADER_ERROR = "grader_error"
    NOTHING_GRADABLE = "nothing_gradable"


STATUS_MEANING = {
    Status.COMPLETED: "ran to the end of the file",
    Status.RUNTIME_ERROR: "the code raised an exception or exited with an error status",
    Status.SYNTAX_ERROR: "not valid Python, so not run",
    Status.TIMEOUT: "stopped at the time limit",
    Status.MEMORY_LIMIT: "stopped at the memory limit",
    Status.OUTPUT_LIMIT: "stopped for printing too much",
    Status.CRASHED: "ended abruptly: killed by a signal, os._exit, or a failure of the runner",
    Status.INVALID_RESULT: "sent results that were not valid, so earned nothing",
    Status.UNREADABLE: "could not be read: not text, a link, a special file or too large",
    Status.SANDBOX_ERROR: "not run: a sandbox layer was missing under --sandbox strict",
    Status.DISK_LIMIT: "stopped at the disk limit of its scratch space",
    Status.GRADER_ERROR: "run, but gdgrade failed to compare its values (a fault in gdgrade: please report it)",
    Status.NOTHING_GRADABLE: "a student's folder with no file that could be graded (the report says what it holds)",
}
"""What each status means, in the words the class overview uses."""


class _Json:
    """What pydantic reads, wherever a report's JSON is written, read or described (grader.report_json,
    the page's API): a plain dict, so this module imports no pydantic."""

    __pydantic_config__: ClassVar[dict[str, object]] = {"extra": "forbid", "ser_json_inf_nan": "strings"}


def _about(text: str, *, listed: bool = False) -> dict[str, object]:
    """A field's description in the JSON Schema: pydantic reads it from the dataclass field's metadata.
    ``listed``: a list that defaults to empty, which the schema says."""
    return {"description": text, **(_EMPTY_LIST if listed else {})}


_EMPTY_LIST: dict[str, object] = {"json_schema_extra": {"default": []}}
"""A list field's default in the schema (a default factory is not shown there)."""


Failure = Literal["not_run", "not_reached", "missing", "not_a_number", "shape", "nan", "infinity", "too_large",
                  "value"]


@dataclass(frozen=True, kw_only=True)
class CaseDetail(_Json):
    case: str = field(metadata=_about('"public", or "hidden N"'))
    passed: bool
    failure: Failure | None = field(default=None, metadata=_about("what kind of mismatch, when it does not pass"))
    expected: Values | None = field(default=None, metadata=_about("left out of student-facing hidden cases"))
    actual: Values | None = field(default=None, metadata=_about(
        "the student's value; left out when it has more than 100 elements"))
    actual_shape: list[int] | None = field(default=None, metadata=_about(
        "the shape of the student's value, when it is numbers"))
    abs_error: float | None = field(default=None, metadata=_about("largest |actual - expected|"))
    rel_error: float | None = field(default=None, metadata=_about("largest |actual - expected| / |expected|"))
    problem: str | None = field(default=None, metadata=_about("why this case does not match, if it does not"))


DiagnosisKind = Literal["known_mistake", "formula", "expression", "dtype", "list", "shape", "exception", "not_reached",
                        "changed_input", "inside_function", "public_value", "fixed_size", "transpose_1d",
                        "partial"]


@dataclass(kw_only=True)
class Diagnosis(_Json):
    """Why a check fails, as precisely as gdgrade can tell."""

    kind: DiagnosisKind = field(metadata=_about(
        "known_mistake: a mistake in the quiz's catalogue; formula: the step's own formula with one change (a "
        "dropped bracket, a swapped operand, another function, a sign, another quantity, a missing or extra factor "
        "or term, a square, a mean) gives the value; expression: a formula over the quiz's quantities gives the "
        "value; dtype: integers where fractions are needed; list: a Python list's operators; shape: the wrong "
        "shape; exception: the code raised while computing it; not_reached: the code stopped before it; "
        "changed_input: it uses the student's own value for a given; inside_function: computed inside a function "
        "the script never ran; public_value: a given's public value typed in as a number; fixed_size: a reshape to "
        "the public case's sizes, in a step that fails where the sizes change; transpose_1d: a `.T` of a 1-D array, "
        "which changes nothing; partial: only the first entries, each right"))
    explanation: str = field(metadata=_about("one sentence in the student's terms"))
    located: str | None = field(default=None, metadata=_about(
        "the explanation without the step's own formula, where the explanation quotes it: the mistake and where it "
        "is, what --feedback hints shows"))
    expression: str | None = field(default=None, metadata=_about("the formula found, as Python over the quiz's names"))
    hint: str | None = None


@dataclass(kw_only=True)
class HiddenSize(_Json):
    """An input whose size in a hidden case differs from the public case's: where the code seems to
    assume the public case's size. The hidden case's size is left out of a student's view."""

    input: str
    shape: list[int] = field(metadata=_about("its shape in the hidden case"))
    public_shape: list[int]


Told = Literal["not_reached", "raised", "unjudged"]


@dataclass(kw_only=True)
class Stopped(_Json):
    """Where a case's run stopped, as a check's message tells it: every view renders the sentence
    from these fields (``grader.sentences``), a student's without what a hidden case would give away."""

    told: Told = field(metadata=_about(
        "how the message tells it: the step was not reached (in the public case), the code raised while computing "
        "or before it, or only the public case reached it"))
    case: str = field(metadata=_about("the case it stopped in"))
    place: str = field(metadata=_about("the statement it stopped at (in a hidden case the file's own, never a call's)"))
    error: str | None = field(metadata=_about("the exception's type; absent when it ran out of time"))
    step: str = field(metadata=_about("the step it stopped while computing, or before"))
    inside: bool = field(metadata=_about("whether it stopped inside that step's statement, not before it"))
    size: HiddenSize | None = field(default=None, metadata=_about(
        "the first input whose size differs from the public case's"))
    assumed: list[int] | None = field(default=None, metadata=_about(
        "the public case's shape of that input, which an IndexError suggests the code assumes"))


@dataclass(kw_only=True)
class OtherShape(_Json):
    """A right value in another shape (extra length-one axes), where it was first seen."""

    case: str
    shape: list[int]
    wanted: list[int]


@dataclass(kw_only=True)
class Check(_Json):
    name: str
    outcome: Outcome
    passed: bool
    score: float
    max_score: float
    message: str
    hint: str | None = None
    mistake: str | None = field(default=None, metadata=_about("the known mistake the value matches"))
    line: int | None = field(default=None, metadata=_about("line of the last top-level assignment"))
    place: str | None = field(default=None, metadata=_about(
        "that line as the student finds it: `line 12`, or in a notebook `cell 3, line 2`"))
    failed_case: str | None = field(default=None, metadata=_about(
        "the case the message describes, when it names one: where the run stopped (``stopped``) or, without it, "
        "where the value first differs (that case's ``problem``)"))
    stopped: Stopped | None = field(default=None, metadata=_about("where the run stopped, when the message tells it"))
    other_shape: OtherShape | None = field(default=None, metadata=_about(
        "a passing value's other shape, which the message notes"))
    diagnosis: Diagnosis | None = field(default=None, metadata=_about("why it fails, for a check that does not pass"))
    found_in: str | None = field(default=None, metadata=_about(
        "the function the value was found in, when not at top level"))
    cases: list[CaseDetail] = field(default_factory=list, metadata=_EMPTY_LIST)

    @property
    def predicate(self) -> str:
        """The message without the variable's name it opens with, for views that show the name beside
        it (a name column): ``is wrong in the public case: ...``. Every message compare writes opens
        with the name in backticks."""
        return self.message.removeprefix(f"`{self.name}` ")

    @property
    def marks_line(self) -> bool:
        """Whether views mark this check's line as failing: a failing step the code reached (a step it
        never reached did not fail there)."""
        return (not self.passed and self.line is not None
                and not (self.diagnosis is not None and self.diagnosis.kind == "not_reached"))


@dataclass(kw_only=True)
class Call(_Json):
    """One frame of the student's own code in a traceback."""

    line: int
    place: str = field(metadata=_about("`line 12`, or in a notebook `cell 3, line 2`"))
    function: str
    source: str = field(metadata=_about("the text of that line"))


@dataclass(kw_only=True)
class StudentError(_Json):
    case: str
    type: str
    message: str
    line: int | None
    place: str | None = field(default=None, metadata=_about(
        "where it raised as the student finds it: `line 12`, or in a notebook `cell 3, line 2`"))
    traceback: str
    frames: list[Call] = field(default_factory=list, metadata=_about(
        "the frames of the student's own file, outermost first (the traceback is rendered from them): in a hidden "
        "case a student sees the first alone, the file's own statement"))


@dataclass(kw_only=True)
class Fault(_Json):
    """gdgrade's own failure on a submission: a bug in gdgrade, not in the file. Kept whole for whoever
    reports it; a student's view leaves it out (its message may hold anything gdgrade held)."""

    type: str
    message: str
    traceback: str


@dataclass(kw_only=True)
class Sandbox(_Json):
    applied: list[str] = field(metadata=_about("layers in force while the submission ran"))
    missing: list[str] = field(metadata=_about("layers this machine could not apply, with the reason"))


@dataclass(kw_only=True)
class Grading(_Json):
    """How a report was graded: the hidden cases (their seed and number), the limits, the tolerances.
    ``--resume`` keeps a report only when these are the same."""

    seed: int = field(metadata=_about("the hidden cases' seed: grade again with --seed to draw the same ones"))
    hidden_cases: int
    timeout: float
    memory_mib: int
    tolerances: dict[str, tuple[float, float]] = field(metadata=_about("each variable's rtol and atol"))
    quiz_digest: str | None = field(default=None, metadata=_about(
        "SHA-256 of the files that define the quiz: a report graded by another version of it is graded again"))


def _printable(value: str | None) -> str | None:
    """Names come from a download's file names, in any bytes: kept as printable text, however a
    student or member is made (built, replaced or read back from JSON, which runs ``__post_init__``)."""
    return None if value is None else name_text(value)


System = Literal["canvas", "moodle", "blackboard", "brightspace", "gradescope"]
SYSTEM_TITLES = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard", "brightspace": "Brightspace",
                 "gradescope": "Gradescope"}


@dataclass(kw_only=True)
class Member(_Json):
    """One submitter of a group submission, as the download names them."""

    name: str | None = None
    lms_id: str | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        self.name, self.lms_id, self.email = (_printable(self.name), _printable(self.lms_id),
                                              _printable(self.email))


@dataclass(kw_only=True)
class Student(_Json):
    """Who handed a submission in, as their learning-management system's download names them."""

    system: System = field(metadata=_about("the system whose download the submission came from"))
    name: str | None = field(default=None, metadata=_about(
        "as the download gives it: Canvas squeezes the sortable name (smithjohn), Moodle and Brightspace give the "
        "full name, Blackboard's receipt the name, Gradescope every submitter's name"))
    lms_id: str | None = field(default=None, metadata=_about(
        "the system's id for the student: Canvas user id, Moodle participant id, Blackboard username, Gradescope "
        "student id (SID); for Brightspace the second number of the download's folder name (undocumented: matching "
        "goes by name)"))
    email: str | None = field(default=None, metadata=_about("when the download gives it (Gradescope)"))
    late: bool | None = field(default=None, metadata=_about("when the download says (Canvas marks late work)"))
    attempt: str | None = field(default=None, metadata=_about(
        "when the submission was made, as the download says: Blackboard's attempt, Brightspace's submission date, "
        "Gradescope's time"))
    entry: str = field(metadata=_about(
        "the download's name for the student's files: their folder, or the prefix of their file names"))
    members: list[Member] = field(default_factory=list, metadata=_about(
        "every submitter of a group submission (Gradescope), the first one first: each gets its grade", listed=True))

    def each(self) -> list[Student]:
        """The student, or each member of a group as a student of their own (for matching to a roster)."""
        if len(self.members) < 2:
            return [self]
        return [replace(self, name=member.name, lms_id=member.lms_id, email=member.email, members=[])
                for member in self.members]

    def __post_init__(self) -> None:
        self.name, self.lms_id, self.email = (_printable(self.name), _printable(self.lms_id),
                                              _printable(self.email))
        self.attempt, self.entry = _printable(self.attempt), name_text(self.entry)

    def describe(self) -> str:
        """Who, in one line: ``smithjohn (Canvas id 12345, late)``."""
        about = [f"{SYSTEM_TITLES[self.system]} id {self.lms_id}" if self.lms_id else SYSTEM_TITLES[self.system]]
        about += [f"attempt of {self.attempt}"] if self.attempt else []
        about += ["late"] if self.late else []
        return f"{self.name or self.entry} ({', '.join(about)})"


@dataclass(kw_only=True)
class Adjustment(_Json):
    """A change to the grader's score the instructor asked for: a late penalty or an override."""

    kind: Literal["late_penalty", "override"]
    points: float = field(metadata=_about("added to the score (a penalty is negative)"))
    reason: str = field(metadata=_about("why, in one line, for the student"))


@dataclass(kw_only=True)
class Report(_Json):
    schema_version: str = SCHEMA_VERSION
    grader_version: str = __version__
    quiz: str
    submission: str
    path: str
    student: Student | None = field(default=None, metadata=_about(
        "who handed it in, when it came from an LMS download"))
    selection: str | None = field(default=None, metadata=_about(
        "why this file was graded, when it is not simply named gradient.py; for nothing_gradable, why no file could "
        "be and what the folder holds"))
    source_sha256: str | None = field(default=None, metadata=_about("digest of the file graded (resume checks it)"))
    grading: Grading | None = field(default=None, metadata=_about("how it was graded (resume checks it)"))
    status: Status
    score: float
    max_score: float
    graded_score: float | None = field(default=None, metadata=_about(
        "the grader's score before any adjustment (absent when there is none): score is what counts"))
    adjustments: list[Adjustment] = field(default_factory=list, metadata=_about(
        "late penalty and overrides, in the order applied", listed=True))
    checks: list[Check]
    stdout: str = ""
    stderr: str = ""
    output_truncated: bool = False
    error: StudentError | None = None
    warnings: list[str] = field(default_factory=list, metadata=_EMPTY_LIST)
    sandbox: Sandbox | None = field(default=None, metadata=_about("absent when the file was never run"))
    fault: Fault | None = field(default=None, metadata=_about("gdgrade's own failure on it, for status grader_error"))
    duration_s: float

    def __post_init__(self) -> None:
        self.source_text: str | None = None
        """The graded file's text, kept in memory for the feedback page: an attribute, not a field, so
        never in the JSON. ``dataclasses.replace`` does not carry it: ``revised`` does."""

    def revised(self, report: Report) -> Report:
        """``report`` (this one with fields replaced) with this one's source text."""
        report.source_text = self.source_text
        return report

    @property
    def full_marks(self) -> bool:
        return self.score >= self.max_score


def explanations(check: Check) -> list[tuple[str, str]]:
    """What to show under a check's message, labelled: why (the diagnosis, unless the message already
    says it) and the hint. Every output format shows these."""
    shown = []
    diagnosis = check.diagnosis
    if diagnosis is not None and diagnosis.kind != "known_mistake" and diagnosis.explanation not in check.message:
        shown.append(("why", diagnosis.explanation))
    if check.hint:
        shown.append(("hint", check.hint))
    return shown


def case_name(index: int) -> str:
    """Case 0 is the public case; the others are "hidden 1", "hidden 2", ..."""
    return "public" if index == 0 else f"hidden {index}"


def case_phrase(case: str) -> str:
    """How a case is named in a sentence: "the public case", "hidden case 2"."""
    return "the public case" if case == "public" else f"{case.replace('hidden', 'hidden case')}"


def is_hidden(case: str) -> bool:
    return case != "public"

