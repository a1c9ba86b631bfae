"""One submission (grader/intake/submission.py): read within its bound, or refused."""

from __future__ import annotations

import pytest

from grader.intake import MAX_SOURCE_BYTES, Submission
from tests.intake.conftest import write


def test_read_refuses_oversized_files(tmp_path):
    big = write(tmp_path / "gradient.py", "#" * (MAX_SOURCE_BYTES + 1))
    with pytest.raises(OSError, match="larger than"):
        Submission("big", big).read()
    assert Submission("ok", write(tmp_path / "ok.py")).read() == b"h = 1\n"
