"""The report: Pydantic models that every output format is rendered from.

A report is written for every submission, whatever it did. Non-finite
numbers a student produced serialise as the strings "NaN", "Infinity" and
"-Infinity" so the JSON stays standard.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator
from typing_extensions import TypeAliasType

from grader import __version__
from grader.text import name_text

SCHEMA_VERSION = "1.0"

Values = TypeAliasType("Values", Union[float, list["Values"]])  # noqa: UP007 - recursive alias


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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings", use_enum_values=False, defer_build=True)


Failure = Literal["not_run", "not_reached", "missing", "not_a_number", "shape", "nan", "infinity", "too_large",
                  "value"]


class CaseDetail(_Model):
    case: str = Field(description='"public", or "hidden N"')
    passed: bool
    failure: Failure | None = Field(None, description="what kind of mismatch, when it does not pass")
    expected: Values | None = Field(None, description="left out of student-facing hidden cases")
    actual: Values | None = Field(None, description="the student's value; left out when it has more than 100 elements")
    actual_shape: list[int] | None = Field(None, description="the shape of the student's value, when it is numbers")
    abs_error: float | None = Field(None, description="largest |actual - expected|")
    rel_error: float | None = Field(None, description="largest |actual - expected| / |expected|")
    problem: str | None = Field(None, description="why this case does not match, if it does not")


DiagnosisKind = Literal["known_mistake", "formula", "expression", "dtype", "list", "shape", "exception", "not_reached",
                        "changed_input", "inside_function", "public_value", "fixed_size", "transpose_1d",
                        "partial"]


class Diagnosis(_Model):
    """Why a check fails, as precisely as gdgrade can tell."""

    kind: DiagnosisKind = Field(description=(
        "known_mistake: a mistake in the quiz's catalogue; formula: the step's own formula with one change (a "
        "dropped bracket, a swapped operand, another function, a sign, another quantity, a missing or extra "
        "factor or term, a square, a mean) gives the value; expression: a formula over the quiz's quantities "
        "gives the value; dtype: integers where fractions are needed; list: a Python list's operators; shape: "
        "the wrong shape; exception: the code raised while computing it; not_reached: the code stopped "
        "before it; changed_input: it uses the student's own value for a given; inside_function: computed "
        "inside a function the script never ran; public_value: a given's public value typed in as a number; "
        "fixed_size: a reshape to the public case's sizes, in a step that fails where the sizes change; "
        "transpose_1d: a `.T` of a 1-D array, which changes nothing; partial: only the first entries, each right"))
    explanation: str = Field(description="one sentence in the student's terms")
    located: str | None = Field(None, description=(
        "the explanation without the step's own formula, where the explanation quotes it: the mistake and "
        "where it is, what --feedback hints shows"))
    expression: str | None = Field(None, description="the formula found, as Python over the quiz's names")
    hint: str | None = None


class Check(_Model):
    name: str
    outcome: Outcome
    passed: bool
    score: float
    max_score: float
    message: str
    hint: str | None = None
    mistake: str | None = Field(None, description="the known mistake the value matches")
    line: int | None = Field(None, description="line of the last top-level assignment")
    place: str | None = Field(None, description="that line as the student finds it: `line 12`, or in a notebook "
                              "`cell 3, line 2`")
    failed_case: str | None = Field(None, description="the case the message describes, when it names one")
    diagnosis: Diagnosis | None = Field(None, description="why it fails, for a check that does not pass")
    found_in: str | None = Field(None, description="the function the value was found in, when not at top level")
    cases: list[CaseDetail] = []

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


class StudentError(_Model):
    case: str
    type: str
    message: str
    line: int | None
    place: str | None = Field(None, description="where it raised as the student finds it: `line 12`, or in a "
                              "notebook `cell 3, line 2`")
    traceback: str


class Sandbox(_Model):
    applied: list[str] = Field(description="layers in force while the submission ran")
    missing: list[str] = Field(description="layers this machine could not apply, with the reason")


class Grading(_Model):
    """How a report was graded: the hidden cases (their seed and number), the limits, the tolerances.
    ``--resume`` keeps a report only when these are the same."""

    seed: int = Field(description="the hidden cases' seed: grade again with --seed to draw the same ones")
    hidden_cases: int
    timeout: float
    memory_mib: int
    tolerances: dict[str, tuple[float, float]] = Field(description="each variable's rtol and atol")
    quiz_digest: str | None = Field(None, description=(
        "SHA-256 of the files that define the quiz: a report graded by another version of it is graded again"))


System = Literal["canvas", "moodle", "blackboard", "brightspace", "gradescope"]
SYSTEM_TITLES = {"canvas": "Canvas", "moodle": "Moodle", "blackboard": "Blackboard", "brightspace": "Brightspace",
                 "gradescope": "Gradescope"}


class Member(_Model):
    """One submitter of a group submission, as the download names them."""

    name: str | None = None
    lms_id: str | None = None
    email: str | None = None

    @field_validator("name", "lms_id", "email")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else name_text(value)


class Student(_Model):
    """Who handed a submission in, as their learning-management system's download names them."""

    system: System = Field(description="the system whose download the submission came from")
    name: str | None = Field(None, description=(
        "as the download gives it: Canvas squeezes the sortable name (smithjohn), Moodle and Brightspace "
        "give the full name, Blackboard's receipt the name, Gradescope every submitter's name"))
    lms_id: str | None = Field(None, description=(
        "the system's id for the student: Canvas user id, Moodle participant id, Blackboard username, "
        "Gradescope student id (SID); for Brightspace the second number of the download's folder name "
        "(undocumented: matching goes by name)"))
    email: str | None = Field(None, description="when the download gives it (Gradescope)")
    late: bool | None = Field(None, description="when the download says (Canvas marks late work)")
    attempt: str | None = Field(None, description=(
        "when the submission was made, as the download says: Blackboard's attempt, Brightspace's "
        "submission date, Gradescope's time"))
    entry: str = Field(description="the download's name for the student's files: their folder, or the prefix "
                                   "of their file names")
    members: list[Member] = Field([], description=(
        "every submitter of a group submission (Gradescope), the first one first: each gets its grade"))

    def each(self) -> list[Student]:
        """The student, or each member of a group as a student of their own (for matching to a roster)."""
        if len(self.members) < 2:
            return [self]
        return [self.model_copy(update={"name": member.name, "lms_id": member.lms_id, "email": member.email,
                                        "members": []}) for member in self.members]

    @field_validator("name", "lms_id", "email", "attempt", "entry")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        """Names come from a download's file names, in any bytes: kept as printable text."""
        return None if value is None else name_text(value)

    def describe(self) -> str:
        """Who, in one line: ``smithjohn (Canvas id 12345, late)``."""
        about = [f"{SYSTEM_TITLES[self.system]} id {self.lms_id}" if self.lms_id else SYSTEM_TITLES[self.system]]
        about += [f"attempt of {self.attempt}"] if self.attempt else []
        about += ["late"] if self.late else []
        return f"{self.name or self.entry} ({', '.join(about)})"


class Adjustment(_Model):
    """A change to the grader's score the instructor asked for: a late penalty or an override."""

    kind: Literal["late_penalty", "override"]
    points: float = Field(description="added to the score (a penalty is negative)")
    reason: str = Field(description="why, in one line, for the student")


class Report(_Model):
    schema_version: str = SCHEMA_VERSION
    grader_version: str = __version__
    quiz: str
    submission: str
    path: str
    student: Student | None = Field(None, description="who handed it in, when it came from an LMS download")
    selection: str | None = Field(None, description="why this file was graded, when it is not simply named "
                                  "gradient.py; for nothing_gradable, why no file could be and what the folder holds")
    source_sha256: str | None = Field(None, description="digest of the file graded (resume checks it)")
    grading: Grading | None = Field(None, description="how it was graded (resume checks it)")
    status: Status
    score: float
    max_score: float
    graded_score: float | None = Field(None, description=(
        "the grader's score before any adjustment (absent when there is none): score is what counts"))
    adjustments: list[Adjustment] = Field([], description="late penalty and overrides, in the order applied")
    checks: list[Check]
    stdout: str = ""
    stderr: str = ""
    output_truncated: bool = False
    error: StudentError | None = None
    warnings: list[str] = []
    sandbox: Sandbox | None = Field(None, description="absent when the file was never run")
    duration_s: float
    _source_text: str | None = PrivateAttr(None)

    @property
    def source_text(self) -> str | None:
        """The graded file's text, kept in memory for the feedback page (never in the JSON)."""
        return self._source_text

    @source_text.setter
    def source_text(self, text: str | None) -> None:
        self._source_text = text

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


FAILURE_TEXT = {
    "not_run": "not computed: the run stopped before this case",
    "not_reached": "not reached: the code stopped earlier in this case",
    "missing": "not defined",
    "not_a_number": "not a number",
    "shape": "the wrong shape",
    "nan": "contains NaN",
    "infinity": "contains infinity",
    "too_large": "far too large",
    "value": "the wrong value",
}
"""How a failure is described without the case's inputs or expected values."""
QUOTES_THE_CASE = frozenset({"not_a_number", "shape", "nan", "infinity", "too_large", "value"})
"""Failures whose message for the instructor quotes the case's values (the others tell where and how
the code stopped, which a student may read once the inputs' sizes are taken out)."""


def case_name(index: int) -> str:
    """Case 0 is the public case; the others are "hidden 1", "hidden 2", ..."""
    return "public" if index == 0 else f"hidden {index}"


def case_phrase(case: str) -> str:
    """How a case is named in a sentence: "the public case", "hidden case 2"."""
    return "the public case" if case == "public" else f"{case.replace('hidden', 'hidden case')}"


def is_hidden(case: str) -> bool:
    return case != "public"


def wrong_message(variable: str, case: str, problem: str, mistake: str | None) -> str:
    """The message of a ``wrong`` check: where it first fails, how, and the known mistake it matches."""
    message = f"`{variable}` is wrong in {case_phrase(case)}: {problem}"
    return message + (f". This matches a known mistake: {mistake}" if mistake else "")


HIDDEN_LENGTHS = re.compile(r", where `[^`]+` has (?:\d+ elements?|shape \([\d, ]*\)) "
                            r"\((?:\d+|\([\d, ]*\)) in the public case\)")
"""How the sizes of a hidden case's inputs are said (``compare``), left out for students."""


def for_students(report: Report) -> Report:
    """The report as a student may see it: hidden cases say that and how they failed, nothing more.

    Instructors' JSON keeps everything; this view drops the hidden cases'
    expected and actual values and rewrites any message that quotes them.
    """
    checks = []
    for check in report.checks:
        if check.failed_case and is_hidden(check.failed_case):
            diagnosis = check.diagnosis and check.diagnosis.model_copy(
                update={"explanation": HIDDEN_LENGTHS.sub("", check.diagnosis.explanation)})
            check = check.model_copy(update={"message": HIDDEN_LENGTHS.sub("", check.message),
                                             "diagnosis": diagnosis})
        cases = [case.model_copy(update={"expected": None, "actual": None, "actual_shape": None, "abs_error": None,
                                         "rel_error": None,
                                         "problem": FAILURE_TEXT[case.failure] if case.failure else None})
                 if is_hidden(case.case) else case for case in check.cases]
        message = check.message
        failing = next((case for case in cases if case.case == check.failed_case), None)
        if failing is not None and is_hidden(failing.case) and failing.failure in QUOTES_THE_CASE:
            message = wrong_message(check.name, failing.case, failing.problem or "", check.mistake)
        checks.append(check.model_copy(update={"cases": cases, "message": message}))
    error = report.error
    if error is not None and is_hidden(error.case):  # its message, and calls' line numbers, may spell the inputs
        raised = f"{error.type}: {error.message}"
        frames = error.traceback[:-len(raised)] if error.traceback.endswith(raised) else ""
        statement = "\n".join(frames.splitlines()[:3]) + "\n" if frames else ""  # the header and the outermost frame
        hidden = f"{error.type} (in a hidden case its message and the calls inside this line are not shown)"
        error = error.model_copy(update={"message": "", "traceback": statement + hidden})
    # the seed would let anyone draw the hidden cases again: a student's view has no grading record
    return report.model_copy(update={"checks": checks, "error": error, "grading": None})


def schema() -> dict[str, object]:
    """The JSON Schema of a report."""
    return Report.model_json_schema()
