"""The report: Pydantic models that every output format is rendered from.

A report is written for every submission, whatever it did. Non-finite
numbers a student produced serialise as the strings "NaN", "Infinity" and
"-Infinity" so the JSON stays standard.
"""

from __future__ import annotations

from enum import Enum
from typing import Union

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from grader import __version__

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings", use_enum_values=False)


class CaseDetail(_Model):
    case: str = Field(description='"public", or "hidden N"')
    passed: bool
    expected: Values
    actual: Values | None = None
    abs_error: float | None = Field(None, description="largest |actual - expected|")
    rel_error: float | None = Field(None, description="largest |actual - expected| / |expected|")
    problem: str | None = Field(None, description="why this case does not match, if it does not")


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
    cases: list[CaseDetail] = []


class StudentError(_Model):
    case: str
    type: str
    message: str
    line: int | None
    traceback: str


class Sandbox(_Model):
    applied: list[str] = Field(description="layers in force while the submission ran")
    missing: list[str] = Field(description="layers this machine could not apply, with the reason")


class Report(_Model):
    schema_version: str = SCHEMA_VERSION
    grader_version: str = __version__
    quiz: str
    submission: str
    path: str
    source_sha256: str | None = Field(None, description="digest of the file graded (resume checks it)")
    status: Status
    score: float
    max_score: float
    checks: list[Check]
    stdout: str = ""
    stderr: str = ""
    output_truncated: bool = False
    error: StudentError | None = None
    warnings: list[str] = []
    sandbox: Sandbox | None = Field(None, description="absent when the file was never run")
    duration_s: float

    @property
    def full_marks(self) -> bool:
        return self.score >= self.max_score


def schema() -> dict[str, object]:
    """The JSON Schema of a report."""
    return Report.model_json_schema()
