"""Files that appear whole or not at all (grader/atomic.py): an interrupt waits for the file it caught."""

from __future__ import annotations

import os
import signal

import pytest

from grader import atomic


def test_an_interrupt_while_a_file_is_written_waits_until_it_is_whole(tmp_path):
    previous = signal.getsignal(signal.SIGINT)
    atomic.install_interrupt_handler()
    try:
        with pytest.raises(KeyboardInterrupt):
            file = atomic.AtomicFile(tmp_path / "report.json")
            os.kill(os.getpid(), signal.SIGINT)  # arrives between creating the temporary and renaming it
            file.stream.write("whole")
            file.commit()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    assert sorted(os.listdir(tmp_path)) == ["report.json"]
    assert (tmp_path / "report.json").read_text() == "whole"
