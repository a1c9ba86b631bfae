"""Canvas's gradebook: its export read, its import file written.

Source: instructure/canvas-lms ``lib/gradebook_exporter.rb`` and ``lib/gradebook_importer.rb``.
The identity columns run from ``Student`` (or ``LastName``, ``FirstName``) to ``Section``; an
assignment's header is ``<title> (<assignment id>)``; a "Points Possible" row (and, when some
assignment is posted manually, a "Manual Posting" row) sits above the students and has no ``ID``;
total columns read ``(read only)`` there and are never imported. Canvas matches rows by ``ID``,
the user id its submission download names, and a header without an id creates a new assignment.
"""

from __future__ import annotations

import re

from grader.formats.lms.sheet import Sheet
from grader.formats.lms.system import Column, RosterError, System, choose, number

ASSIGNMENT = re.compile(r"^(?P<title>.*)\s\((?P<id>\d+)\)$", re.DOTALL)
TOTALS = re.compile(r"Current Score|Current Points|Current Grade|Final Score|Final Points|Final Grade|"
                    r"Override Score|Override Grade|Override Status")
"""Canvas drops any column whose header contains one of these on import (its importer's own pattern)."""


class Canvas(System):
    name = "canvas"
    key_name = "ID"
    row_keys = ("ID", "SIS User ID", "SIS Login ID")
    login_names = ("SIS Login ID", "SIS User ID", "ID")

    def recognises(self, sheet: Sheet) -> bool:
        return sheet.column("ID") is not None and sheet.column("Section") is not None and bool(sheet.header) and (
            "Student" in sheet.header[0] or sheet.header[0].strip() == "LastName")

    def _identity(self, sheet: Sheet) -> int:
        return (sheet.column("Section") or 0) + 1

    def _points_row(self, sheet: Sheet) -> list[str]:
        return next((row for row in sheet.rows if row and "Points Possible" in row[0]), [])

    def students(self, sheet: Sheet) -> list[int]:
        identifier = sheet.column("ID")
        return [index for index, row in enumerate(sheet.rows) if sheet.cell(row, identifier).strip()]

    def column(self, sheet: Sheet, assignment: str | None) -> Column:
        points_row = self._points_row(sheet)
        candidates = {}
        for index, header in enumerate(sheet.header[self._identity(sheet):], self._identity(sheet)):
            match = ASSIGNMENT.match(header)
            if match and not TOTALS.search(header) and "read only" not in sheet.cell(points_row, index):
                candidates[header] = (header, match["title"], match["id"])
        chosen = choose(candidates, assignment, self.title)
        if chosen is None:
            if total := TOTALS.search(assignment or ""):
                raise RosterError(f"--assignment {assignment!r}: Canvas ignores columns whose header contains "
                                  f"{total[0]!r}; choose another name")
            return Column(assignment or "", None, None, f"the import file's column {assignment!r} has no assignment "
                          "id, so Canvas will create a new assignment of that name when it is imported")
        index = sheet.header.index(chosen)
        return Column(chosen, index, number(sheet.cell(points_row, index)))

    def keys(self, sheet: Sheet, row: list[str]) -> list[str]:
        return [sheet.cell(row, sheet.column("ID")).strip()]

    def output(self, sheet: Sheet, column: Column, grades: dict[int, str],
               comments: dict[int, str]) -> tuple[list[list[str]], bool]:
        identity = self._identity(sheet)
        points_row = id(self._points_row(sheet))
        rows = [sheet.header[:identity] + [column.header]]
        for index, row in enumerate(sheet.rows):
            cells = (row + [""] * identity)[:identity]
            if index in grades:
                cells.append(grades[index])
            elif id(row) == points_row:  # as exported, unless --points changed it
                exported = sheet.cell(row, column.index)
                cells.append(exported if number(exported) == column.points else
                             "" if column.points is None else f"{column.points:g}")
            else:  # a row Canvas reads and skips ("Manual Posting"): as exported
                cells.append(sheet.cell(row, column.index))
            rows.append(cells)
        return rows, False
