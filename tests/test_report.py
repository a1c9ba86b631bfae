"""The report (grader/report.py): its JSON Schema changes only with SCHEMA_VERSION.

Whoever reads gdgrade's reports (an LMS script, a CI step, a dashboard) tells their shapes apart by
``schema_version``. tests/data/report.schema.json keeps the schema with the version it was made
for: a change to the report's models fails here until SCHEMA_VERSION is bumped, CHANGELOG.md says
so, and the copy is written again with the command the failure gives.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from grader import report_json
from grader.report import SCHEMA_VERSION
from tests.conftest import ROOT

STORED = Path(__file__).with_name("data") / "report.schema.json"
WRITE = "python -m pytest tests/test_report.py --write-report-schema"


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def problem(stored: dict[str, object], schema_version: str, schema: dict[str, object]) -> str | None:
    """What is wrong with the stored copy, for a report model of ``schema`` at ``schema_version``;
    None when it is that model's. A changed schema must come with a later version."""
    if stored == {"schema_version": schema_version, "schema": schema}:
        return None
    made_for = str(stored["schema_version"])
    if schema_version == made_for:
        return (f"the report's JSON Schema changed, but SCHEMA_VERSION is still {schema_version}, so readers "
                "cannot tell the new reports from the old: bump SCHEMA_VERSION in grader/report.py (the minor "
                "number for a field added; the major one for a field removed, renamed, retyped or made optional, "
                "or a value readers have not seen), add a line 'Report schema X.Y: ...' under [Unreleased] in "
                f"CHANGELOG.md, then run `{WRITE}` and commit tests/data/report.schema.json")
    if version(schema_version) < version(made_for):
        return f"SCHEMA_VERSION {schema_version} comes before {made_for}, the version of the stored schema"
    return (f"SCHEMA_VERSION is {schema_version} but tests/data/report.schema.json was made for {made_for}: "
            f"write it again with `{WRITE}` and commit it")


def test_the_stored_schema_is_the_reports_at_its_version(request):
    schema = report_json.schema()
    found = problem(json.loads(STORED.read_text()), SCHEMA_VERSION, schema)
    if found and request.config.getoption("--write-report-schema") and "write it again" in found:
        STORED.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "schema": schema}, indent=2) + "\n")
        found = None
    assert found is None, found
    said = re.search(rf"^- Report schema {re.escape(SCHEMA_VERSION)}\b", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert said, f"CHANGELOG.md has no line '- Report schema {SCHEMA_VERSION}: ...' saying what changed"


def test_a_changed_schema_is_refused_until_its_version_is_later():
    stored = {"schema_version": "2.0", "schema": {"properties": {"score": {"type": "number"}}}}
    changed = {"properties": {"score": {"type": "number"}, "late": {"type": "boolean"}}}
    assert problem(stored, "2.0", stored["schema"]) is None
    assert "SCHEMA_VERSION is still 2.0" in problem(stored, "2.0", changed)
    assert "comes before 2.0" in problem(stored, "1.9", changed)
    assert "write it again" in problem(stored, "2.1", changed)
    assert "write it again" in problem(stored, "10.0", stored["schema"])  # 10.0 is after 2.0, not before
