"""Brightspace's (D2L's) grades: its export read, its import file written.

Sources: D2L's help, "Importing grades"; several universities' guides to the format. Students
are matched by ``OrgDefinedId`` or ``Username`` (exported with a ``#`` before each, so that a
spreadsheet keeps leading zeros; kept as exported); a numeric item's column is ``<item> Points
Grade``, exported with ``<Numeric MaxPoints:<points> ...>`` after it; the last column is
``End-of-Line Indicator``, ``#`` in every row. The submission download names a student by
name only, so its submissions are matched by ``First Name`` and ``Last Name`` (and never when two
students share a name).
"""

from __future__ import annotations

import re

from grader.formats.lms.sheet import Sheet
from grader.formats.lms.system import Column, System, choose, number
from grader.report import Student

ITEM = re.compile(r"^(?P<item>.+?) Points Grade(?: <(?P<about>[^>]*)>)?$", re.DOTALL)
MAX_POINTS = re.compile(r"MaxPoints:\s*(?P<points>[\d.,]+)")
IDENTITY = ("OrgDefinedId", "Username")
END = "End-of-Line Indicator"


def _name(text: str) -> str:
    return " ".join(text.split()).casefold()


class Brightspace(System):
    name = "brightspace"
    key_name = "First Name and Last Name"
    row_keys = IDENTITY
    login_names = (*IDENTITY, "Email")

    def recognises(self, sheet: Sheet) -> bool:
        return sheet.column(END) is not None or (any(sheet.column(name) is not None for name in IDENTITY) and any(
            ITEM.match(header) for header in sheet.header))

    def column(self, sheet: Sheet, assignment: str | None) -> Column:
        matches = {header: match for header in sheet.header if (match := ITEM.match(header))}
        chosen = choose({header: (header, match["item"]) for header, match in matches.items()}, assignment, self.title)
        if chosen is None:
            return Column(f"{assignment} Points Grade", None, None, f"{assignment!r} is no grade item of the "
                          "Brightspace export, so Brightspace will create a grade item of that name when the file "
                          "is imported")
        about = MAX_POINTS.search(matches[chosen]["about"] or "")
        return Column(chosen, sheet.header.index(chosen), number(about["points"]) if about else None)

    def keys(self, sheet: Sheet, row: list[str]) -> list[str]:
        first, last = (sheet.cell(row, sheet.column(name)) for name in ("First Name", "Last Name"))
        return [_name(f"{first} {last}"), _name(f"{last}, {first}"), _name(f"{last} {first}")] if first or last else []

    def student_keys(self, student: Student) -> list[str]:
        return [_name(student.name)] if student.name else []

    def shown(self, student: Student) -> str | None:
        return student.name

    def logins(self, sheet: Sheet, row: list[str]) -> list[str]:
        return [value.removeprefix("#") for value in super().logins(sheet, row)]  # Brightspace's "#1001"

    def output(self, sheet: Sheet, column: Column, grades: dict[int, str],
               comments: dict[int, str]) -> tuple[list[list[str]], bool]:
        identity = [index for name in IDENTITY if (index := sheet.column(name)) is not None]
        header = column.header if column.index is not None or column.points is None else \
            f"{column.header} <Numeric MaxPoints:{column.points:g}>"
        rows = [[sheet.header[index] for index in identity] + [header, END]]
        rows += [[sheet.cell(row, index) for index in identity] + [grades.get(number_, ""), "#"]
                 for number_, row in enumerate(sheet.rows)]
        return rows, False
