"""A report's JSON: written, read back and described by pydantic, the one place that imports it.

grader.report's dataclasses import no pydantic, so a self-check that prints text never loads it;
whatever writes or reads a report's JSON comes here. Writing fails on a value of the wrong type
(``warnings="error"``) rather than write it; reading back forbids unknown fields and checks every
type, as the report models always did.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, NewType, Union

from pydantic import ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypeAliasType

from grader import report
from grader.report import Report

__all__ = ["ValidationError", "dump", "dump_bytes", "load", "schema"]

if TYPE_CHECKING:
    from grader.report import Values
else:  # grader.report's Values as pydantic needs it, a TypeAliasType: grader.report imports no typing_extensions
    Values = TypeAliasType("Values", Union[float, list["Values"]])  # noqa: UP007 - recursive alias
vars(report)["Values"] = Values  # pydantic resolves the dataclasses' annotations in their own module


_CONFIG = ConfigDict(extra="forbid", ser_json_inf_nan="strings", defer_build=True)
"""The root's config, as each report dataclass has it: pydantic builds the recursive Values at the
root, so without it a NaN among a case's values would be written as null."""

_Document = NewType("_Document", Report)
"""Report, under a name pydantic takes a config for (it refuses one for a dataclass itself)."""


@cache
def _adapter() -> TypeAdapter[Report]:
    """Built once per process, when a report's JSON is first needed."""
    return TypeAdapter(_Document, config=_CONFIG)


def dump(report: Report, *, indent: int | None = None) -> str:
    """The report's JSON text; a field of the wrong type raises (pydantic's serialisation error)."""
    return dump_bytes(report, indent=indent).decode()


def dump_bytes(report: Report, *, indent: int | None = None) -> bytes:
    """``dump`` as UTF-8, for a file: not decoded only to be encoded again."""
    return _adapter().dump_json(report, indent=indent, warnings="error")


def load(text: str | bytes) -> Report:
    """A report read back from its JSON, validated strictly; raises ValidationError."""
    return _adapter().validate_json(text)


def schema() -> dict[str, object]:
    """The JSON Schema of a report."""
    return _adapter().json_schema()
