"""The one seam every output of a batch is written through: a ``Writer`` per output.

A writer is told once, when it is made, which audience it writes for (``grader.audience``), and is
given each report as that audience may see it: no output decides for itself what a student sees,
so a new output is one subclass and a new status or a new field a student may not see changes
``grader.audience`` alone. ``Outputs`` feeds a batch's writers, making each audience's view once
per report. The shape follows pytest's junitxml plugin (one object per output, fed every result,
finished once) and httpx's ``BaseTransport`` (a small typed base class with a default to close).
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Sequence

from grader.audience import Audience, View
from grader.report import Report


class Writer(abc.ABC):
    """One output, for one audience."""

    def __init__(self, audience: Audience) -> None:
        self.audience = audience

    @abc.abstractmethod
    def add(self, view: View) -> None:
        """Write one report, as ``audience`` may see it (``Outputs`` makes the view)."""

    def takes(self, report: Report) -> bool:
        """Whether ``add`` would write anything of ``report``: when it would not, no view is made for it."""
        return True

    def finish(self) -> None:  # noqa: B027 - most outputs are whole once each report is written
        """Put the output in place once every report is in; a file that grows with the batch appears whole."""

    def abandon(self) -> None:  # noqa: B027 - most outputs hold nothing unfinished
        """Drop what is unfinished (an interrupted batch): what is in place stays."""


class Outputs:
    """A batch's writers, fed one report at a time."""

    def __init__(self, writers: Sequence[Writer]) -> None:
        self.writers = list(writers)

    def add(self, report: Report, without: Collection[Writer] = ()) -> None:
        """Give ``report`` to every writer but those ``without`` (a report kept on disk is not written
        again), each audience's view made once."""
        views: dict[Audience, View] = {}
        for writer in self.writers:
            if writer not in without and writer.takes(report):
                if writer.audience not in views:
                    views[writer.audience] = writer.audience.view(report)
                writer.add(views[writer.audience])

    def finish(self) -> None:
        for writer in self.writers:
            writer.finish()

    def abandon(self) -> None:
        for writer in self.writers:
            writer.abandon()
