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


def test_a_write_is_whole_in_place_with_no_temporary_left(tmp_path):
    """Text goes out as UTF-8 with a lone surrogate escaped (never fatal), over what was there."""
    (tmp_path / "page.html").write_text("old")
    atomic.write(tmp_path / "page.html", "caf\u00e9 \udc80\n")
    assert (tmp_path / "page.html").read_bytes() == "caf\u00e9 \\udc80\n".encode()
    assert os.listdir(tmp_path) == ["page.html"]


def test_a_write_that_cannot_be_put_in_place_leaves_nothing(tmp_path):
    (tmp_path / "report.json").mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(IsADirectoryError):
        atomic.write(tmp_path / "report.json", "{}\n")
    assert os.listdir(tmp_path) == ["report.json"] and not os.listdir(tmp_path / "report.json")
