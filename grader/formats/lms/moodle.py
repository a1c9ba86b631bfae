"""Moodle's offline grading worksheet (assignment "Download grading worksheet"), read and filled in.

Source: moodle/moodle ``mod/assign/gradingtable.php`` and
``mod/assign/feedback/offline/importgradeslib.php``. Each row's ``Identifier`` is
``Participant <id>`` (the words are translated; the number is the participant id the submission
download names); the upload needs ``Identifier``, ``Grade`` and ``Last modified (grade)``, skips a
row whose grade is empty, and finds ``Feedback comments`` by its header. The import file is the
worksheet itself, every column and row kept, with ``Grade`` filled (with as many decimals as
``Maximum Grade`` shows) and, where the worksheet has that column, ``Feedback comments``.
"""

from __future__ import annotations

import re

from grader.formats.lms.sheet import Sheet
from grader.formats.lms.system import Column, RosterError, System, number

PARTICIPANT = re.compile(r"(\d+)\s*$")


class Moodle(System):
    name = "moodle"
    key_name = "Identifier"
    row_keys = ("Identifier",)
    login_names = ("Email address", "ID number", "Username")

    def recognises(self, sheet: Sheet) -> bool:
        return sheet.column("Identifier") is not None and sheet.column("Grade") is not None

    def column(self, sheet: Sheet, assignment: str | None) -> Column:
        if sheet.column("Scale") is not None and sheet.column("Maximum Grade") is None:
            raise RosterError("the Moodle assignment is graded on a scale, and gdgrade writes points: set the "
                              "assignment's grade type to Point, download the worksheet again")
        maximum = sheet.column("Maximum Grade")
        points = next((value for row in sheet.rows if (value := number(sheet.cell(row, maximum))) is not None), None)
        return Column("Grade", sheet.column("Grade"), points, None if sheet.column("Feedback comments") is not None
                      else "the worksheet has no Feedback comments column (enable feedback comments in the "
                           "assignment to import a summary per student)")

    def grade(self, sheet: Sheet, value: float) -> str:
        """With the decimals Moodle writes grades with, as ``Maximum Grade`` shows them."""
        maximum = sheet.column("Maximum Grade")
        shown = next((sheet.cell(row, maximum).strip() for row in sheet.rows if sheet.cell(row, maximum).strip()), "")
        return f"{value:.{len(shown.rpartition('.')[2]) if '.' in shown else 0}f}"

    def keys(self, sheet: Sheet, row: list[str]) -> list[str]:
        match = PARTICIPANT.search(sheet.cell(row, sheet.column("Identifier")))
        return [match[1]] if match else []

    def output(self, sheet: Sheet, column: Column, grades: dict[int, str],
               comments: dict[int, str]) -> tuple[list[list[str]], bool]:
        grade, feedback = sheet.column("Grade"), sheet.column("Feedback comments")
        rows = [list(sheet.header)]
        for index, row in enumerate(sheet.rows):
            cells = row + [""] * (len(sheet.header) - len(row))
            if grade is not None and index in grades:
                cells[grade] = grades[index]
            if feedback is not None and index in comments:
                cells[feedback] = comments[index]
            rows.append(cells)
        return rows, False
