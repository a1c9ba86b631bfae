"""What every learning-management system's gradebook file has in common, and what each must say."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from grader.errors import UserError
from grader.formats.lms.sheet import Sheet
from grader.report import SYSTEM_TITLES, Student


class RosterError(UserError):
    """The roster cannot be used as asked; the message says why and what to do, for the instructor."""


@dataclass(frozen=True)
class Column:
    """The assignment's column in the import file."""

    header: str
    index: int | None
    """Its index in the export, or None for a new column."""
    points: float | None
    """Points possible, when the export says."""
    note: str | None = None
    """What the instructor should know about it (a new column creates a new assignment)."""


def number(text: str) -> float | None:
    """A number as an export writes it (``10``, ``10.00``, ``1,499``, ``7,5``), or None."""
    text = text.strip()
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        text = text.replace(",", "")
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def choose(candidates: Mapping[str, tuple[str, ...]], assignment: str | None, title: str) -> str | None:
    """The header among ``candidates`` (each with the names it answers to) that ``--assignment`` names,
    the only one when it names none; None when ``assignment`` names none of them (a new column)."""
    if assignment is None:
        if len(candidates) == 1:
            return next(iter(candidates))
        listed = "; ".join(candidates) or "none"
        raise RosterError(f"the {title} export has {len(candidates)} assignment columns ({listed}): "
                          "name the one to fill with --assignment")
    wanted = assignment.strip().casefold()
    matches = [header for header, names in candidates.items() if wanted in (name.strip().casefold() for name in names)]
    if len(matches) > 1:
        raise RosterError(f"--assignment {assignment!r} names several columns of the {title} export: "
                          + "; ".join(matches))
    return matches[0] if matches else None


class System:
    """One system's gradebook export and import. Subclasses say how theirs is laid out."""

    name = ""
    key_name = ""
    """The column ``keys`` reads, for messages."""

    @property
    def title(self) -> str:
        return SYSTEM_TITLES[self.name]
    bom: bool | None = None
    """Whether the import file starts with a UTF-8 byte-order mark; None: as the export did."""

    def recognises(self, sheet: Sheet) -> bool:
        raise NotImplementedError

    def students(self, sheet: Sheet) -> list[int]:
        """The rows that are students (others, such as Canvas's "Points Possible", are kept as they are)."""
        return list(range(len(sheet.rows)))

    def column(self, sheet: Sheet, assignment: str | None) -> Column:
        raise NotImplementedError

    def keys(self, sheet: Sheet, row: list[str]) -> list[str]:
        """What identifies the row to a submission from this system's own download."""
        raise NotImplementedError

    def student_keys(self, student: Student) -> list[str]:
        """What identifies a student of this system's download to a row."""
        return [student.lms_id.casefold()] if student.lms_id else []

    def shown(self, student: Student) -> str | None:
        """The student as ``key_name`` holds them, for messages."""
        return student.lms_id

    def grade(self, sheet: Sheet, value: float) -> str:
        """A grade as the import file writes it: up to two decimals, none trailing."""
        return f"{round(value, 2):.2f}".rstrip("0").rstrip(".")

    row_keys: tuple[str, ...] = ()
    """The columns the system's import finds a row by: written back exactly as exported, whatever they
    hold (every other cell is made safe for a spreadsheet: ``text.exported_cell``)."""

    login_names: tuple[str, ...] = ()
    """The columns whose value a plain submission's folder name may be (a username, a student number)."""

    def logins(self, sheet: Sheet, row: list[str]) -> list[str]:
        """The row's values in ``login_names``."""
        return [sheet.cell(row, sheet.column(name)).strip() for name in self.login_names]

    def person(self, sheet: Sheet, row: list[str]) -> str:
        """The row's student as the gradebook names them, for the class page: Canvas's ``Student``
        (``LastName``, ``FirstName`` in some exports), Moodle's ``Full name``, else first and last name."""
        for whole in ("Student", "Full name"):
            if sheet.column(whole) is not None:
                return sheet.cell(row, sheet.column(whole)).strip()
        parts = [sheet.cell(row, sheet.column(name)).strip() for pair in (("First Name", "FirstName"),
                                                                          ("Last Name", "LastName"))
                 for name in pair if sheet.column(name) is not None]
        return " ".join(part for part in parts if part)

    def login_columns(self) -> str:
        """The columns ``logins`` reads, for messages: "A, B or C"."""
        *others, last = self.login_names
        return f"{', '.join(others)} or {last}" if others else last

    def output(self, sheet: Sheet, column: Column, grades: dict[int, str],
               comments: dict[int, str]) -> tuple[list[list[str]], bool]:
        """The import file's rows (header first), and whether every cell is quoted. ``grades`` has a
        cell for every student row; ``comments``, a one-line summary for each graded one."""
        raise NotImplementedError
