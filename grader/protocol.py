"""Validation of what comes back from a child: untrusted plain data only.

The child runs hostile code, so each result line it wrote may be forged,
malformed or huge. Every line is parsed as JSON (never unpickled or
evaluated) and validated against these models: sizes, shapes and types are
checked before the grader uses a single number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from grader.sandbox.child import MAX_ELEMENTS  # the most numbers one value may carry

if TYPE_CHECKING:  # the supervisor is the grader's to start; reading its answers needs only their type
    from grader.sandbox.supervisor import Answer, Outcome

Text = Annotated[str, Field(max_length=4000)]


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Missing(_Payload):
    kind: Literal["missing", "none"]


class Other(_Payload):
    kind: Literal["other"]
    type: Text


class Numeric(_Payload):
    kind: Literal["numeric"]
    type: Text
    dtype: Annotated[str, Field(max_length=40)] = "float64"
    """numpy's name for the element type: int64 tells that fractions were cut off."""
    shape: Annotated[list[Annotated[int, Field(ge=0, le=10**12)]], Field(max_length=32)]
    values: Annotated[list[float], Field(max_length=MAX_ELEMENTS)] | None

    @model_validator(mode="after")
    def _values_fill_shape(self) -> Numeric:
        if self.values is not None and len(self.values) != math.prod(self.shape):
            raise ValueError("values do not fill the shape")
        return self

    def array(self) -> np.ndarray | None:
        """The value as a float64 array, or None when it was too large to send."""
        if self.values is None:
            return None
        return np.array(self.values, dtype=np.float64).reshape(self.shape)


StudentValue = Annotated[Missing | Other | Numeric, Field(discriminator="kind")]


class Frame(_Payload):
    line: int
    function: Text


class StudentException(_Payload):
    type: Text
    message: Text
    frames: Annotated[list[Frame], Field(max_length=20)]
    memory: bool
    timeout: bool
    disk: bool = False


class SandboxMessage(_Payload):
    """The child's first line, written before any student code runs."""

    class Layers(_Payload):
        applied: Annotated[list[Text], Field(max_length=16)]
        missing: Annotated[list[Text], Field(max_length=16)]

    sandbox: Layers


class CaseMessage(_Payload):
    case: Annotated[int, Field(ge=0)]
    values: dict[str, StudentValue]
    error: StudentException | None
    exit_code: int | None
    injected: Annotated[list[Text], Field(max_length=32)]
    given: Annotated[dict[Text, StudentValue], Field(max_length=32)] = {}
    """Public case only: the value of the file's own expression for each input it assigns."""
    found_in: Annotated[dict[Text, Text], Field(max_length=32)] = {}
    """Checked names whose value came from inside a function of the file, and which function."""


@dataclass
class Run:
    """What the grader knows about one run of a submission, all validated."""

    outcome: Outcome
    cases: list[CaseMessage]
    """One message per case that finished, in case order."""
    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    exit_code: int | None = None
    signal: int | None = None
    duration_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    sandbox: SandboxMessage.Layers | None = None


def parse_run(answer: Answer, case_count: int, variables: tuple[str, ...]) -> Run:
    """Validate a runner's answer; keep result lines only while they are well-formed and in order."""
    run = Run(outcome=answer.outcome, cases=[], stdout=answer.stdout, stderr=answer.stderr,
              stdout_bytes=answer.stdout_bytes, stderr_bytes=answer.stderr_bytes, exit_code=answer.exit_code,
              signal=answer.signal, duration_s=answer.duration_s)
    if answer.detail is not None:
        run.problems.append(answer.detail)
    lines = list(answer.results)
    if lines:
        try:
            run.sandbox = SandboxMessage.model_validate_json(lines.pop(0)).sandbox
        except ValidationError:
            run.problems.append("the sandbox report is malformed; results ignored")
            return run
    for position, line in enumerate(lines):
        try:
            message = CaseMessage.model_validate_json(line)
        except ValidationError:
            run.problems.append(f"result line {position + 1} is malformed; later results ignored")
            break
        if message.case != position or position >= case_count or set(message.values) != set(variables):
            run.problems.append(f"result line {position + 1} is out of order; later results ignored")
            break
        run.cases.append(message)
    return run
