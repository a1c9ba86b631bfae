"""The built distribution: quiz inside the grader namespace, grading from any directory."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import report_json

from .conftest import SUBMISSIONS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from a pristine copy of the source (a stale build/ folder would leak into it)."""
    folder = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "gdgrade"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "build", "dist", ".venv", "*.egg-info", "__pycache__", ".git", "test-artifacts", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(source)],
                   check=True, capture_output=True, timeout=300)
    return next(folder.glob("gdgrade-*.whl"))


def test_wheel_ships_the_quiz_under_the_grader_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/reference/gradient_descent/__init__.py" in names
    assert "grader/reference/gradient_descent/solution.py" in names
    assert "grader/reference/gradient_descent/starter.py" in names
    assert {f"grader/reference/backprop/{name}" for name in ("__init__.py", "solution.py", "starter.py")} <= set(names)
    assert not [name for name in names if name.startswith(("reference/", "tests/", "submissions/"))]
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "grader").rglob("*.py")}
    assert modules and modules <= set(names), sorted(modules - set(names))  # every subpackage is listed
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "gdgrade = grader.__main__:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_package_grades_from_another_directory(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); "
         "from grader.__main__ import main; main()", "grade", str(SUBMISSIONS), "--out", "out"],
        cwd=elsewhere, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = report_json.load((elsewhere / "out" / "correct_dot.json").read_text())
    assert report.score == 5 and report.status.value == "completed"
    assert len(list((elsewhere / "out").glob("*.json"))) == len(list(SUBMISSIONS.glob("*/gradient.py"))) + 1
