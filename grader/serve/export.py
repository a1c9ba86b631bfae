"""The quiz page's stored submits, written as ``gdgrade grade`` writes a batch.

One submit per student, their best (the latest of equal scores) or their last, with the full report
the grader made when they pressed Submit, named by their user: each student's ``<user>.json`` and
``.html``, ``grades.csv``, ``junit.xml``, the class overview and, with a roster, the LMS import file.
The writer is the batch's own (``formats.gradebook``): an export and a graded batch cannot drift apart.
``gdgrade export`` writes to a folder; the server's download calls ``archive`` for the same in a zip.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import zipfile
from pathlib import Path

from grader import atomic
from grader.audience import Audience, student
from grader.errors import UserError
from grader.formats import gradebook
from grader.formats.lms import Roster
from grader.formats.summary import Summary
from grader.outdir import MANIFEST, Batch, OutputFolder, batch_of
from grader.quiz import Quiz
from grader.serve.store import Chosen, Store, Which


class NothingToExport(UserError):
    """The store holds no submit of the quiz asked for (the message says what it does hold)."""


def login(user: str) -> str:
    """A student's id in an export: the name the proxy logged them in with (``proxy:ana`` is
    ``ana``, what a roster's login column holds), else the page's own key."""
    return user.removeprefix("proxy:") if user.startswith("proxy:") and len(user) > len("proxy:") else user


def only_quiz(store: Store) -> str:
    """The quiz the store holds attempts of, when there is one; NothingToExport says why otherwise."""
    quizzes = store.quizzes()
    if len(quizzes) != 1:
        raise NothingToExport("the database holds no attempts yet" if not quizzes else
                              f"the database holds attempts of {len(quizzes)} quizzes ({', '.join(quizzes)}): "
                              "give --quiz")
    return quizzes[0]


def select(store: Store, quiz: str, which: Which = "best") -> Chosen:
    """Each student's ``which`` submit of ``quiz``; NothingToExport when nobody has submitted it."""
    chosen = store.reports(quiz, which)
    if not chosen.users:
        held = store.quizzes()
        raise NothingToExport(f"the database holds no submit of quiz {quiz}" + (
            f" (it holds attempts of {', '.join(held)})" if held else " (it holds no attempts yet)"))
    return chosen


def write(chosen: Chosen, folder: OutputFolder, quiz: Quiz, batch: Batch, roster: Roster | None = None,
          pages: Audience | None = None, replace: bool = False) -> Summary:
    """Write ``chosen`` to ``folder`` as ``batch`` (``outdir.batch_of``); ``roster`` (a fresh one each
    export) fills the LMS import file; ``pages``: whom the feedback pages are for (default: a student
    at the quiz's feedback level, shown the hidden cases, as ``gdgrade grade`` writes them). What the
    same export wrote there earlier for students no longer in it is removed; a folder holding another
    batch raises ``OtherBatch`` unless ``replace``."""
    folder.claim(gradebook.claimed(map(login, chosen.users), roster, ()), batch, replace)
    book = gradebook.Gradebook(folder, quiz, pages or student(quiz.feedback, hidden_shown=True), roster)
    try:
        for recorded in chosen:
            report = recorded.attempt.report
            book.add(report.revised(dataclasses.replace(report, submission=login(recorded.attempt.user))))
    except BaseException:  # the database went away, or an interrupt: no batch file is half-written
        book.abandon()
        raise
    return book.finish()


def archive(store: Store, quiz: Quiz, destination: Path, which: Which = "best", roster: Roster | None = None,
            pages: Audience | None = None) -> Summary:
    """The same export as one zip file at ``destination`` (written whole), for the page's download.

    Raises NothingToExport and StoreUnavailable as ``select`` and the store do."""
    chosen = select(store, quiz.name, which)
    # beside the zip, not in /tmp: the same disk, and nothing left where another program looks
    with tempfile.TemporaryDirectory(prefix=".export-", dir=destination.parent) as scratch:
        with OutputFolder(Path(scratch)) as folder:
            summary = write(chosen, folder, quiz, batch_of("export", quiz.name, ["the quiz page"]), roster, pages)
        with atomic.AtomicFile(destination, binary=True) as out, \
                zipfile.ZipFile(out.stream, "w", zipfile.ZIP_DEFLATED) as bundle:
            for name in sorted(os.listdir(scratch)):
                if name != MANIFEST and not name.startswith("."):
                    bundle.write(Path(scratch) / name, name)
    return summary
