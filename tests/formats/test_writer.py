"""The one seam every batch output is written through (grader/formats/writer.py): each output told
its audience once, each audience's view made once per report."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace

from grader import audience, intake, outdir
from grader.audience import INSTRUCTOR, Audience, View, student
from grader.formats import gradebook
from grader.formats.writer import Outputs, Writer
from grader.report import Report, Student
from tests.conftest import SUBMISSIONS

LEAKY = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text().replace(
    "h = np.dot(x, w)", "if len(x) != 4:\n    raise ValueError('LE' + f'AK {list(x)}')\nh = np.dot(x, w)")
"""Raises in every hidden case with a message that spells the case's inputs."""


class Kept(Writer):
    """Keeps what it is given."""

    def __init__(self, audience: Audience) -> None:
        super().__init__(audience)
        self.views: list[View] = []
        self.finished = self.abandoned = False

    def add(self, view: View) -> None:
        self.views.append(view)

    def finish(self) -> None:
        self.finished = True

    def abandon(self) -> None:
        self.abandoned = True


def leaky_report(fork_grader, tmp_path) -> Report:
    path = tmp_path / "gradient.py"
    path.write_text(LEAKY)
    return next(fork_grader.grade(intake.find([path]).submissions))


def views_made(monkeypatch) -> list[Audience]:
    """The audience of every view made from now on, in order."""
    made: list[Audience] = []
    real = Audience.view

    def counted(self: Audience, given: Report) -> View:
        made.append(self)
        return real(self, given)

    monkeypatch.setattr(Audience, "view", counted)
    return made


def test_each_writer_gets_its_audiences_view_made_once_per_report(fork_grader, tmp_path, monkeypatch):
    report = leaky_report(fork_grader, tmp_path)
    made = views_made(monkeypatch)
    hints = student("hints")
    writers = [Kept(INSTRUCTOR), Kept(hints), Kept(hints), Kept(student("full", hidden_shown=True))]
    outputs = Outputs(writers)
    outputs.add(report)
    outputs.add(report, without=writers[:1])
    assert made == [INSTRUCTOR, hints, student("full", hidden_shown=True)] + [hints, student("full", hidden_shown=True)]
    assert [len(writer.views) for writer in writers] == [1, 2, 2, 2]
    assert writers[0].views[0] is report  # the instructor's view is the report whole
    assert writers[1].views[0] is writers[2].views[0]  # one view for both writers of that audience
    assert "LEAK" in writers[3].views[0].error.message and writers[1].views[0].error.message == ""
    outputs.finish()
    outputs.abandon()
    assert all(writer.finished and writer.abandoned for writer in writers)


def test_a_batch_tells_each_output_whom_it_is_for(quiz, tmp_path):
    pages = student("hints", hidden_shown=True)
    with outdir.OutputFolder(tmp_path / "out") as folder:
        book = gradebook.Gradebook(folder, quiz, pages)
        told = {type(writer).__name__: writer.audience for writer in book.outputs.writers}
        book.abandon()
    assert told == {"ReportFiles": INSTRUCTOR, "GradesCsv": INSTRUCTOR, "StudentsTable": INSTRUCTOR,
                    "Tally": INSTRUCTOR, "Pages": pages, "Suites": pages,
                    "LmsFiles": student("hints")}  # what reaches a student through the LMS hides the hidden cases


def test_a_canvas_students_page_hides_the_hidden_cases_that_their_folder_page_shows(quiz, fork_grader, tmp_path):
    """Without --hide-hidden-cases a batch's pages show the hidden cases (the instructor reads them);
    the page that goes to the student in Canvas's feedback zip never does."""
    report = replace(leaky_report(fork_grader, tmp_path), submission="ana", path="ana_12345_678_gradient.py",
                     student=Student(system="canvas", name="ana", lms_id="12345", entry="ana_12345_678"))
    with outdir.OutputFolder(tmp_path / "out") as folder:
        folder.claim(gradebook.claimed(["ana"], None, {"canvas"}), outdir.batch_of("grade", quiz.name, [tmp_path]),
                     False)
        book = gradebook.Gradebook(folder, quiz, audience.student("full", hidden_shown=True))
        book.add(report)
        book.finish()
    out = tmp_path / "out"
    assert "LEAK" in (out / "ana.html").read_text() and "LEAK" in (out / "ana.json").read_text()
    with zipfile.ZipFile(io.BytesIO((out / "canvas-feedback.zip").read_bytes())) as bundle:
        sent = bundle.read("feedback_12345_678_gdgrade.html").decode()
    assert "LEAK" not in sent and "ValueError (in a hidden case its message" in sent


def test_a_plain_batch_makes_no_view_for_the_lms_files(quiz, fork_grader, tmp_path, monkeypatch):
    """With no roster and no student from an LMS, nothing goes to an LMS: the hidden cases are not
    hidden for it (the batch's pages show them), a Canvas student's report still gets its view."""
    report = leaky_report(fork_grader, tmp_path)
    made = views_made(monkeypatch)
    canvas = replace(report, submission="ana", student=Student(system="canvas", name="ana", lms_id="12345",
                                                             entry="ana_12345_678"))
    with outdir.OutputFolder(tmp_path / "out") as folder:
        folder.claim(gradebook.claimed([report.submission, "ana"], None, {"canvas"}),
                     outdir.batch_of("grade", quiz.name, [tmp_path]), False)
        book = gradebook.Gradebook(folder, quiz, student("full", hidden_shown=True))
        book.add(report)
        assert student("full") not in made
        book.add(canvas)
        assert student("full") in made
        book.abandon()
