"""What the sandbox is given for a batch: typed here, plain JSON only on the way between processes.

The grader builds a ``Job`` once per batch (``grader.grade.job_settings``); the supervisor sends it
to the fork server with the server's own ``ServerConfig``, and a spawned child reads it back. Each
end names fields, never keys: a misspelt name fails where it is written, not silently in a child.
The inputs inside are the quiz's own (trusted) values in plain JSON (``encode_input`` and
``decode_input`` turn them there and back); nothing from a submission is ever in a job.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

Plain = float | int | bool | list[Any] | dict[str, float]
"""An input value as JSON: a number, a nested list (an array), or ``{"scalar_array": x}`` (a 0-d array)."""


def encode_input(value: object) -> Plain:
    """An input value as plain JSON data the child can turn back into the same type (``decode_input``)."""
    if isinstance(value, np.ndarray):
        return {"scalar_array": value.item()} if value.ndim == 0 else value.tolist()
    return cast(Plain, value)  # a number: what a quiz's inputs are when not arrays


def decode_input(data: Plain) -> object:
    """A fresh copy of an input in the type the quiz uses (array, 0-d array or number), from ``encode_input``."""
    if isinstance(data, list):
        return np.array(data)
    if isinstance(data, dict) and "scalar_array" in data:
        return np.array(data["scalar_array"])
    return data


def encode_inputs(inputs: Mapping[str, object]) -> dict[str, Plain]:
    """One case's inputs, by name, as plain JSON data."""
    return {name: encode_input(value) for name, value in inputs.items()}


@dataclass(frozen=True)
class Limits:
    """What one child may spend, and what the supervisor keeps of what it sends."""

    wall_seconds: float
    """All cases of one submission, enforced by the supervisor (it kills the child)."""
    cpu_seconds: int
    memory_bytes: int
    """Address space (RLIMIT_AS)."""
    file_bytes: int
    """The largest file the child may write (RLIMIT_FSIZE)."""
    scratch_bytes: int
    scratch_files: int
    """The private scratch folder's size and number of files."""
    output_bytes: int
    """Stdout and stderr kept, each."""
    flood_bytes: int
    """Stdout and stderr together beyond which the run is stopped."""
    result_bytes: int
    """Result lines beyond which the run is stopped and its results refused."""


@dataclass(frozen=True)
class Job:
    """What every run of a batch shares: the file's name, the checked variables, the public case's
    inputs, how many hidden cases follow, the limits and whether to be strict."""

    filename: str
    variables: tuple[str, ...]
    public: dict[str, Plain]
    hidden_cases: int
    soft_timeout: float
    """Seconds for all cases together, shared evenly among them, before the wall limit."""
    limits: Limits
    strict: bool
    """Refuse to run a submission unless every layer is in force."""

    def to_plain(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_plain(cls, data: dict[str, Any]) -> Job:
        """The job back from ``to_plain``; a missing or unknown field raises TypeError."""
        return cls(**{**data, "variables": tuple(data["variables"]), "limits": Limits(**data["limits"])})


@dataclass(frozen=True)
class ServerConfig:
    """What the supervisor tells a new fork server on its stdin: the job, how many children may run
    at once, and whether each starts a fresh interpreter instead of a fork."""

    job: Job
    slots: int
    spawn: bool

    def encode(self) -> bytes:
        return json.dumps(dataclasses.asdict(self)).encode()

    @classmethod
    def decode(cls, data: bytes) -> ServerConfig:
        fields = json.loads(data)
        return cls(**{**fields, "job": Job.from_plain(fields["job"])})
