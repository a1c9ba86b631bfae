"""Learning-management systems' gradebooks: the import file a batch fills in.

``Roster`` reads the gradebook export an instructor gives with ``--roster`` (``sheet``), knows
which system wrote it from its header (``canvas``, ``moodle``, ``blackboard``, ``brightspace``),
and, as the batch's reports arrive, matches each to a row: a submission from that system's own
download by the id the download names (Canvas's user id, Moodle's participant id, Blackboard's
username; Brightspace's download names students only, so by name, when one row has it); a plain
submission by its folder name, and one from another system's download (a Gradescope export) by its
student id or email, when that is a row's login, student id or email; never by a name alone where
the system gives ids. Its ``finish`` writes ``<system>-import.csv`` in that system's import
layout, with the instructor's rows and identity columns as exported and the assignment's column
filled, and ``unmatched.csv``, naming every submission that matched no row and why. A student
with several attempts (``--attempts all``) is given their best.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from grader import atomic
from grader.formats.lms.blackboard import Blackboard
from grader.formats.lms.brightspace import Brightspace
from grader.formats.lms.canvas import Canvas
from grader.formats.lms.moodle import Moodle
from grader.formats.lms.sheet import SheetError, read, write
from grader.formats.lms.system import RosterError, System
from grader.formats.summary import LmsImport
from grader.outdir import UNMATCHED
from grader.report import SYSTEM_TITLES, Report, Status, Student
from grader.text import count, exported_cell, one_line, spreadsheet_cell

__all__ = ["IMPORTED", "UNMATCHED_MARK", "Placed", "Roster", "RosterError", "SYSTEMS"]
SYSTEMS: tuple[System, ...] = (Canvas(), Moodle(), Blackboard(), Brightspace())


UNGRADED = frozenset({Status.NOTHING_GRADABLE, Status.UNREADABLE, Status.SANDBOX_ERROR, Status.GRADER_ERROR})
"""Statuses that say gdgrade could not grade the work (it may well exist): never a 0 in an import file."""


@dataclass(frozen=True)
class _Graded:
    id: str
    student: Student | None
    score: float
    max_score: float
    comment: str
    status: Status


def comment(report: Report) -> str:
    """One line for a gradebook's feedback column: the score and each variable's outcome."""
    outcomes = "; ".join(f"{check.name} {check.outcome.value}" for check in report.checks)
    return (f"gdgrade: {report.score:g}/{report.max_score:g} ({report.status.value.replace('_', ' ')}). "
            f"{outcomes}. Your feedback page says why.")


IMPORTED, UNMATCHED_MARK = "imported", "unmatched"
"""How a submission fared in the import: its grade is in the import file, or it is in ``unmatched.csv``."""


@dataclass(frozen=True)
class Placed:
    """Where a submission went in the import, for the class page: who the roster says it is, and whether
    its grade went in (``IMPORTED``) or it is in ``unmatched.csv`` (``UNMATCHED_MARK``)."""

    names: str
    mark: str


class Roster:
    """A gradebook export to fill in with a batch's scores (see the module's docstring)."""

    def __init__(self, path: Path, assignment: str | None = None, points: float | None = None,
                 missing_zero: bool = False):
        self.path = path
        try:
            self.sheet = read(path)
        except (SheetError, OSError) as problem:
            raise RosterError(f"--roster {path} cannot be read: "
                              f"{problem.strerror if isinstance(problem, OSError) else problem}") from None
        system = next((system for system in SYSTEMS if system.recognises(self.sheet)), None)
        if system is None:
            first = one_line(self.sheet.delimiter.join(self.sheet.header))[:120]
            raise RosterError(f"--roster {path} is no gradebook export gdgrade knows (Canvas, Moodle, Blackboard, "
                              f"Brightspace, exported with English column names); its first line is {first!r}")
        self.system = system
        column = system.column(self.sheet, assignment)
        if column.index is None and points is None:  # a new column: its points must be known, and a typo caught
            near = difflib.get_close_matches(assignment or "", self.sheet.header, n=1, cutoff=0.6)
            raise RosterError(f"the {system.title} export has no column {assignment!r}"
                              + (f" (did you mean {near[0]!r}?)" if near else "")
                              + "; to create a new one, give its points with --points")
        self.points_note = None
        if points is not None and column.points is not None and points != column.points:
            self.points_note = (f"scores are scaled to --points {points:g}, but the export gives the column "
                                f"{column.points:g} points")
        self.column = column if points is None else dataclasses.replace(column, points=points)
        self.missing_zero = missing_zero
        self.graded: list[_Graded] = []
        self.placed: dict[str, Placed] = {}
        """Each submission's names and mark, once ``finish`` has matched them."""
        self.reencoded = (f"the export was {self.sheet.encoding}, separated by {self.sheet.delimiter!r} (a "
                          f"spreadsheet saved it): {self.file_name} is UTF-8 with commas, as {system.title} exports"
                          if (self.sheet.encoding, self.sheet.delimiter) not in (("utf-8", ","), ("utf-16-le", "\t"),
                                                                                  ("utf-16-be", "\t")) else None)

    @property
    def file_name(self) -> str:
        return f"{self.system.name}-import.csv"

    def add(self, report: Report) -> None:
        """Count in one report (the view its student may see, for the comment); a group submission
        once for each member, so that every member's row gets the group's grade."""
        for student in report.student.each() if report.student is not None else [None]:
            self.graded.append(_Graded(report.submission, student, report.score, report.max_score,
                                       comment(report), report.status))

    def _rows_of(self, graded: _Graded, own: dict[str, list[int]], logins: dict[str, list[int]]) -> tuple[
            list[int], str]:
        """The rows a submission matches, and why it matches none (or several)."""
        student, system = graded.student, self.system
        if student is not None and student.system != system.name:  # another system's ids: try the roster's logins
            rows = sorted({row for value in (student.lms_id, student.email) if value
                           for row in logins.get(value.casefold(), [])})
            return rows, (f"it came from a {SYSTEM_TITLES[student.system]} download, and no roster row's "
                          f"{system.login_columns()} is its id or email" if not rows else
                          f"{len(rows)} roster rows' {system.login_columns()} is its id or email: grade it by hand")
        if student is not None:
            keys = system.student_keys(student)
            if not keys:
                return [], ("the download does not say who handed it in (anonymous grading)"
                            if student.system == "canvas" else "the download does not name the student")
            rows = sorted({row for key in keys for row in own.get(key, [])})
            shown, what = system.shown(student), system.key_name
            return rows, (f"no roster row's {what} is {shown!r}" if not rows else
                          f"{len(rows)} roster rows' {what} is {shown!r}: grade it by hand")
        rows = sorted(set(logins.get(graded.id.casefold(), [])))
        return rows, (f"it is not from a {system.title} download, and no roster row's {system.login_columns()} is "
                      f"its name {graded.id!r}" if not rows else
                      f"{len(rows)} roster rows' {system.login_columns()} is {graded.id!r}: grade it by hand")

    def _value(self, score: float, max_score: float) -> str:
        points = self.column.points
        value = score / max_score * points if points is not None and max_score > 0 else score
        return self.system.grade(self.sheet, value)

    def _index(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """The student rows by what this system's download names (``keys``) and by login (``logins``)."""
        sheet, system = self.sheet, self.system
        own: dict[str, list[int]] = defaultdict(list)
        logins: dict[str, list[int]] = defaultdict(list)
        for index in system.students(sheet):
            for key in dict.fromkeys(system.keys(sheet, sheet.rows[index])):
                if key:
                    own[key].append(index)
            for login in dict.fromkeys(value.casefold() for value in system.logins(sheet, sheet.rows[index])):
                if login:
                    logins[login].append(index)
        return own, logins

    def check(self, handed_in: list[tuple[str, Student | None]]) -> str | None:
        """Before anything is graded: ``RosterError`` when no submission (``(id, student)``) matches any
        row, naming the likely cause (another system's or another course's export); a note with the
        counts when only some do; None when all do."""
        own, logins = self._index()
        people = [(identifier, one) for identifier, student in handed_in
                  for one in (student.each() if student is not None else [None])]
        matched = sum(bool(self._rows_of(_Graded(identifier, one, 0.0, 0.0, "", Status.COMPLETED), own, logins)[0])
                      for identifier, one in people)
        if matched == len(people):
            return None
        systems = {one.system for _, one in people if one is not None}
        if matched:
            left = len(people) - matched
            return (f"--roster {self.path} matches {matched} of the {count(len(people), 'submission')}: {left} "
                    f"{'goes' if left == 1 else 'go'} to {UNMATCHED}, with the reason")
        if len(systems) == 1 and (came := next(iter(systems))) not in (self.system.name, "gradescope"):
            cause = (f"it is a {self.system.title} export, but the submissions come from a "
                     f"{SYSTEM_TITLES[came]} download: give that system's gradebook export")
        elif systems == {self.system.name}:
            cause = (f"no row's {self.system.key_name} is one the download names: is it the export of another "
                     "course or section?")
        else:
            cause = (f"no row's {self.system.login_columns()} is a submission's id, email or folder name: is it "
                     "the export of another course?")
        raise RosterError(f"--roster {self.path} matches none of the {count(len(people), 'submission')}: {cause}")

    def _place(self, matched: dict[int, list[_Graded]], unmatched: list[tuple[_Graded, str]]) -> None:
        """Fill ``placed``: a submission any of whose people is in ``unmatched.csv`` is marked so (the
        teacher must look at it); the others went in, under the roster's names."""
        names: dict[str, list[str]] = defaultdict(list)
        marks: dict[str, str] = {}
        for index, found in matched.items():
            for graded in found:
                names[graded.id].append(self.system.person(self.sheet, self.sheet.rows[index]))
                marks.setdefault(graded.id, IMPORTED)
        for graded, _ in unmatched:
            marks[graded.id] = UNMATCHED_MARK
        self.placed = {identifier: Placed(_joined(names[identifier]), mark) for identifier, mark in marks.items()}

    def finish(self, folder: Path) -> LmsImport:
        """Write the import file and ``unmatched.csv``; say what was matched."""
        sheet, system = self.sheet, self.system
        students = system.students(sheet)
        own, logins = self._index()
        matched: dict[int, list[_Graded]] = defaultdict(list)
        unmatched: list[tuple[_Graded, str]] = []
        held: set[int] = set()
        """Rows a submission reached that stay blank for the instructor to look at, whatever --missing says."""
        for graded in self.graded:
            rows, why = self._rows_of(graded, own, logins)
            if len(rows) == 1:
                matched[rows[0]].append(graded)
            else:
                unmatched.append((graded, why))
                held.update(rows)
        missing = self._value(0.0, 1.0) if self.missing_zero else ""
        grades = dict.fromkeys(students, missing)
        comments: dict[int, str] = {}
        for index, found in matched.items():
            people = {(g.student.system, g.student.lms_id or g.student.name) if g.student else g.id for g in found}
            gradable = [g for g in found if g.status not in UNGRADED]
            if len(people) > 1 or not gradable:
                why = (f"{count(len(found), 'submission')} match the same roster row: grade them by hand"
                       if len(people) > 1 else "it matches a roster row, but nothing in it could be graded "
                       f"({found[0].status.value.replace('_', ' ')}): its cell is left blank for you to grade by hand")
                unmatched += [(g, why) for g in found]
                held.add(index)
                continue
            best = max(gradable, key=lambda g: g.score / g.max_score if g.max_score else 0.0)
            grades[index], comments[index] = self._value(best.score, best.max_score), best.comment
        for index in held:
            grades[index] = ""
        self._place(matched, unmatched)
        table, quote_all = system.output(sheet, self.column, grades, comments)
        keys = {index for index, title in enumerate(table[0]) if title.strip().casefold() in
                {key.casefold() for key in system.row_keys}}
        table[1:] = [[cell if index in keys else exported_cell(cell) for index, cell in enumerate(row)]
                     for row in table[1:]]
        write(folder / self.file_name, sheet, table, quote_all, system.bom)
        _write_unmatched(folder / UNMATCHED, unmatched)
        filled = sum(1 for index in students if index in comments)
        return LmsImport(system=system.title, file=self.file_name, column=self.column.header,
                         points=self.column.points, graded=filled, held=len(held),
                         without_submission=len(students) - filled - len(held),
                         unmatched=len(unmatched), missing="zero" if self.missing_zero else "blank",
                         notes=[note for note in (self.column.note, self.points_note, self.reencoded) if note])


def _joined(names: list[str]) -> str:
    return ", ".join(dict.fromkeys(name for name in names if name))


def _write_unmatched(path: Path, unmatched: list[tuple[_Graded, str]]) -> None:
    buffer = io.StringIO(newline="")
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["id", "student", "lms_id", "download", "score", "max_score", "reason"])
    for graded, why in sorted(unmatched, key=lambda pair: pair[0].id.casefold()):
        student = graded.student
        out.writerow([spreadsheet_cell(value) for value in (
            graded.id, student.name or "" if student else "", student.lms_id or "" if student else "",
            SYSTEM_TITLES[student.system] if student else "", f"{graded.score:g}", f"{graded.max_score:g}", why)])
    atomic.write(path, buffer.getvalue())
