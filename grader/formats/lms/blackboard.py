"""Blackboard Learn's Grade Center: its download read, an upload file written.

Sources: Blackboard's help, "Upload and download Grade Center items"; public upload scripts
of course staff. A grade column's header is ``<title> [Total Pts: <points> <display>] |<column
id>`` (``up to`` before the points marks a calculated column, which cannot be uploaded); students
are matched by ``Username``, the name the assignment download puts in each file's name. The
upload file has ``Username`` and the column headed exactly as exported, every cell quoted (what
Blackboard asks of comma-separated files), UTF-8 with a byte-order mark.
"""

from __future__ import annotations

import re

from grader.formats.lms.sheet import Sheet
from grader.formats.lms.system import Column, RosterError, System, choose, number

GRADE_COLUMN = re.compile(r"^(?P<title>.*?) \[[^\]:]*: (?P<calculated>up to )?(?P<points>[\d.,]+)[^\]]*\] "
                          r"\|(?P<id>\d+)$", re.DOTALL)


class Blackboard(System):
    name = "blackboard"
    key_name = "Username"
    row_keys = ("Username",)
    login_names = ("Username", "Student ID")
    bom = True

    def recognises(self, sheet: Sheet) -> bool:
        return sheet.column("Username") is not None and any(GRADE_COLUMN.match(header) for header in sheet.header)

    def column(self, sheet: Sheet, assignment: str | None) -> Column:
        candidates = {header: (header, match["title"], match["id"]) for header in sheet.header
                      if (match := GRADE_COLUMN.match(header)) and not match["calculated"]}
        chosen = choose(candidates, assignment, self.title)
        if chosen is None:
            raise RosterError(f"--assignment {assignment!r} is no column of the Blackboard download, and Blackboard "
                              "would upload a new column as text worth 0 points: create the column in the Grade "
                              "Center, download it again, and name it")
        match = GRADE_COLUMN.match(chosen)
        return Column(chosen, sheet.header.index(chosen), number(match["points"]) if match else None)

    def keys(self, sheet: Sheet, row: list[str]) -> list[str]:
        return [sheet.cell(row, sheet.column("Username")).strip().casefold()]

    def output(self, sheet: Sheet, column: Column, grades: dict[int, str],
               comments: dict[int, str]) -> tuple[list[list[str]], bool]:
        username = sheet.column("Username")
        rows = [["Username", column.header]]
        rows += [[sheet.cell(row, username), grades.get(index, "")] for index, row in enumerate(sheet.rows)]
        return rows, True
