"""Where quizzes come from (grader/catalog.py): a folder given by its path, a distribution's entry
point, the list of what is available, one clear line for a quiz that cannot be loaded, and a digest
that changes with the quiz's files."""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader import catalog
from grader.entry import main
from grader.quiz import QuizError
from tests.conftest import LINEAR, ROOT, quiz_with


def gdgrade(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "grader", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


@pytest.fixture
def quiz_folder(tmp_path) -> Path:
    """The linear-unit quiz in a temporary folder outside the repository."""
    return quiz_with(tmp_path / "quizzes" / "linear_unit")


def student_file(tmp_path: Path, source: str, name: str = "ana") -> Path:
    path = tmp_path / "class" / name / "linear.py"
    path.parent.mkdir(parents=True)
    path.write_text(source)
    return path


def test_a_quiz_folder_outside_the_repository_is_graded_by_path(quiz_folder, tmp_path):
    solution = (quiz_folder / "solution.py").read_text()
    student_file(tmp_path, solution)
    student_file(tmp_path, solution.replace("learnrate * error * x", "error * x"), "bo")
    out = tmp_path / "out"
    result = gdgrade("grade", tmp_path / "class", "--quiz", quiz_folder, "--out", out, "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Graded 2 submissions: mean 2.50/3, 1 with full marks; 2 completed.")
    bo = json.loads((out / "bo.json").read_text())
    assert bo["quiz"] == "linear_unit" and [check["outcome"] for check in bo["checks"]] == [
        "correct", "correct", "wrong"]
    assert bo["checks"][2]["mistake"] == "learning rate forgotten"
    assert bo["checks"][2]["hint"] == "Scale the step by learnrate."


def test_check_and_starter_take_a_relative_path(quiz_folder, tmp_path):
    solution = student_file(tmp_path, (quiz_folder / "solution.py").read_text())
    checked = gdgrade("check", solution, "--quiz", "./quizzes/linear_unit", cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "Score: 3/3" in checked.stdout
    started = gdgrade("starter", "--quiz", "quizzes/linear_unit", cwd=tmp_path)
    assert started.returncode == 0 and started.stdout == (quiz_folder / "starter.py").read_text()


def test_a_bare_name_never_loads_a_folder_of_the_working_folder(quiz_folder, capsys, monkeypatch):
    """A folder of students' work may hold anything: only a path (with a /) loads a quiz folder."""
    monkeypatch.chdir(quiz_folder.parent)
    (quiz_folder / "__init__.py").write_text("raise SystemExit('this must never run')\n")
    code = run_main(["starter", "--quiz", "linear_unit"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown quiz 'linear_unit'" in err
    assert "for the quiz folder linear_unit, give its path: ./linear_unit" in err


BROKEN = {
    "missing": (None, "no quiz folder {folder}: it does not exist"),
    "file": ("", "{folder} is not a quiz folder: it is a file"),
    "no __init__": ({"solution.py": "x = 1\n"}, "{folder} is not a quiz folder: it has no __init__.py"),
    "import error": ({"__init__.py": "import numpy\nimport no_such_module_here\n"},
                     "the quiz in {folder} failed to load: ModuleNotFoundError: No module named "
                     "'no_such_module_here' (__init__.py, line 2)"),
    "syntax error": ({"__init__.py": "QUIZ = (\n"}, "the quiz in {folder} failed to load: SyntaxError: '(' was never "
                     "closed (__init__.py, line 1)"),
    "error in a module of its own": ({"__init__.py": "from .helpers import QUIZ\n", "helpers.py": "QUIZ = 1 / 0\n"},
                                     "the quiz in {folder} failed to load: ZeroDivisionError: division by zero "
                                     "(helpers.py, line 1)"),
    "exit": ({"__init__.py": "import sys\nsys.exit(3)\n"},
             "the quiz in {folder} failed to load: SystemExit: 3 (__init__.py, line 2)"),
    "no QUIZ": ({"__init__.py": "TITLE = 'a quiz'\n"}, "{folder}/__init__.py defines no QUIZ (a grader.quiz.Quiz)"),
    "not a Quiz": ({"__init__.py": "QUIZ = {'name': 'q'}\n"}, "QUIZ in {folder}/__init__.py is a dict, not a "
                   "grader.quiz.Quiz"),
}


def make_broken(tmp_path: Path, files) -> Path:
    folder = tmp_path / "broken"
    if files == "":
        folder.write_text("not a folder\n")
    elif files is not None:
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text)
    return folder


def run_main(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    return exited.value.code


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_quiz_folder_that_fails_to_load_is_one_line(case, tmp_path, capsys):
    files, said = BROKEN[case]
    folder = make_broken(tmp_path, files)
    code = run_main(["check", str(LINEAR / "solution.py"), "--quiz", str(folder)])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"gdgrade: error: Invalid value for '--quiz': {said.format(folder=folder)}")
    assert err.count(", line ") <= 1  # the place once (a SyntaxError's own text carries it too)


def test_a_quiz_whose_parts_do_not_fit_is_refused_when_loaded(tmp_path):
    folder = quiz_with(tmp_path / "changed", """
        def sideways(x, w, q):
            return q
        QUIZ = dataclasses.replace(QUIZ, mistakes=QUIZ.mistakes + (Mistake("error", "q", sideways, "hint"),),
                                   filename="../linear.py")
    """)
    with pytest.raises(QuizError) as refused:
        catalog.load(str(folder))
    assert str(refused.value) == (f"the quiz in {folder} is not usable: its filename '../linear.py' is not the plain "
                                  "name of a .py file (and 1 more problems)")


def test_a_quiz_whose_hidden_cases_fail_while_grading_is_one_line(tmp_path, capsys):
    folder = quiz_with(tmp_path / "changed", """
        def failing(rng, index):
            return {"x": 1 / 0}
        QUIZ = dataclasses.replace(QUIZ, hidden_inputs=failing)
    """)
    code = run_main(["check", str(LINEAR / "solution.py"), "--quiz", str(folder), "--seed", "4"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = err.splitlines()
    assert len(line) == 1 and line[0].startswith("gdgrade: error: quiz linear_unit: its hidden_inputs failed on "
                                                 "hidden case 1 of seed 4: ZeroDivisionError: division by zero "
                                                 "(__init__.py, line ")


def test_quizzes_lists_each_quiz_and_where_it_comes_from():
    result = gdgrade("quizzes")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        "backprop          Backpropagation: one weight update of a network with a hidden layer (students hand in "
        "backprop.py)",
        "                  shipped with gdgrade: grader.reference.backprop",
        "gradient_descent  Gradient descent: one weight step of a sigmoid unit (students hand in gradient.py)",
        "                  shipped with gdgrade: grader.reference.gradient_descent",
    ]


@pytest.fixture(scope="module")
def quiz_pack(tmp_path_factory) -> dict[str, str]:
    """The linear-unit quiz as a distribution of its own, registered under the gdgrade.quizzes entry
    points, installed into a folder of its own: the environment that puts it on the path."""
    source = tmp_path_factory.mktemp("pack")
    shutil.copytree(LINEAR, source / "linear_unit", ignore=shutil.ignore_patterns("__pycache__"))
    (source / "linear_unit" / "raising.py").write_text("QUIZ = None\nraise SystemExit(1 / 0)\n")
    (source / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "linear-unit-quiz"
        version = "1.0"

        [project.entry-points."gdgrade.quizzes"]
        linear_unit = "linear_unit:QUIZ"
        broken_pack = "linear_unit.missing_module"
        raising_pack = "linear_unit.raising:QUIZ"

        [tool.setuptools]
        packages = ["linear_unit"]
    """))
    site = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(site), str(source)], check=True, capture_output=True, timeout=120)
    return {**os.environ, "PYTHONPATH": str(site)}


def test_an_installed_distribution_registers_quizzes_by_entry_point(quiz_pack, tmp_path):
    listed = gdgrade("quizzes", env=quiz_pack)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    at = lines.index("linear_unit       A linear unit: one weight update (students hand in linear.py)")
    assert lines[at + 1] == ("                  installed with linear-unit-quiz 1.0: entry point linear_unit = "
                             "linear_unit:QUIZ")
    broken = next(line for line in lines if line.startswith("broken_pack"))
    assert "fails to load: quiz broken_pack (entry point broken_pack = linear_unit.missing_module) failed to load: " \
           "ModuleNotFoundError" in broken
    raising = next(line for line in lines if line.startswith("raising_pack"))
    assert raising.endswith("fails to load: quiz raising_pack (entry point raising_pack = linear_unit.raising:QUIZ) "
                            "failed to load: ZeroDivisionError: division by zero (raising.py, line 2)")
    solution = student_file(tmp_path, (LINEAR / "solution.py").read_text())
    checked = gdgrade("check", solution, "--quiz", "linear_unit", env=quiz_pack)
    assert checked.returncode == 0, checked.stderr
    assert "Score: 3/3" in checked.stdout
    wrong = gdgrade("check", solution, "--quiz", "broken_pack", env=quiz_pack)
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1 and "Traceback" not in wrong.stderr


def test_a_shipped_quiz_keeps_its_name_against_an_installed_one(monkeypatch):
    """An entry point named like a shipped quiz is listed, but the shipped quiz is the one loaded."""

    class Point:
        name, value, group, module = "backprop", "elsewhere:QUIZ", catalog.GROUP, "elsewhere"
        dist = None

        def load(self):
            raise AssertionError("a shipped quiz of this name comes first")

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [Point()])
    listed = [(entry.name, entry.shadowed) for entry in catalog.entries()]
    assert listed == [("backprop", False), ("gradient_descent", False), ("backprop", True)]
    assert catalog.load("backprop").filename == "backprop.py"


def test_the_quiz_page_serves_the_quiz_folder_it_is_given(quiz_folder):
    from fastapi.testclient import TestClient

    from grader.grade import Settings
    from grader.serve.app import Options, create_app
    from grader.serve.identity import CSRF_HEADER

    app = create_app(catalog.load(str(quiz_folder)), Settings(seed=5, timeout=5), Options(jobs=1))
    with TestClient(app) as client:
        client.headers[CSRF_HEADER] = client.get("/api/me").json()["csrf"]  # as the page sends each POST
        about = client.get("/api/quiz").json()
        assert about["filename"] == "linear.py" and about["variables"] == ["prediction", "error", "delta_w"]
        report = client.post("/api/check", json={"source": (quiz_folder / "solution.py").read_text()}).json()
        assert report["score"] == 3 and report["path"] == "linear.py"


def test_the_shipped_quizzes_pass_the_page_their_file_names():
    page = (ROOT / "grader" / "serve" / "static" / "index.html").read_text()
    assert "gradient.py" not in page and "backprop.py" not in page  # the page asks /api/quiz


def test_shards_graded_with_a_quiz_folder_merge_with_it(quiz_folder, tmp_path):
    solution = (quiz_folder / "solution.py").read_text()
    for name in ("ana", "bo", "cy"):
        student_file(tmp_path, solution, name)
    for k in (1, 2):
        graded = gdgrade("grade", tmp_path / "class", "--quiz", quiz_folder, "--out", tmp_path / f"s{k}", "--seed",
                         "3", "--shard", f"{k}/2")
        assert graded.returncode == 0, graded.stderr
    unnamed = gdgrade("merge", tmp_path / "s1", tmp_path / "s2", "--out", tmp_path / "all")
    assert unnamed.returncode == 2 and "unknown quiz 'linear_unit'" in unnamed.stderr
    other = gdgrade("merge", tmp_path / "s1", tmp_path / "s2", "--out", tmp_path / "all", "--quiz", "backprop")
    assert other.returncode == 2 and "the shards were graded with quiz 'linear_unit', not 'backprop'" in other.stderr
    merged = gdgrade("merge", tmp_path / "s1", tmp_path / "s2", "--out", tmp_path / "all", "--quiz", quiz_folder)
    assert merged.returncode == 0, merged.stderr
    assert merged.stdout.startswith("Graded 3 submissions (merged from 2 shards): mean 3.00/3, 3 with full marks")


def test_gradescope_gives_each_test_its_steps_weight_when_nothing_could_be_graded(tmp_path):
    folder = quiz_with(tmp_path / "weighted", """
        QUIZ = dataclasses.replace(QUIZ, steps=tuple(dataclasses.replace(step, weight=float(index + 1))
                                                    for index, step in enumerate(QUIZ.steps)))
    """)
    upload, results = tmp_path / "upload", tmp_path / "results.json"
    upload.mkdir()
    done = subprocess.run([sys.executable, "-m", "grader", "gradescope", "--quiz", str(folder), "--submission-dir",
                           str(upload), "--results", str(results)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    tests = json.loads(results.read_text())["tests"]
    assert [test["max_score"] for test in tests] == [float(index + 1) for index in range(len(tests))]


def test_a_quiz_changed_on_disk_has_another_digest(tmp_path):
    folder = quiz_with(tmp_path / "linear")
    before = catalog.load(str(folder)).digest
    assert len(before) == 64 and catalog.load(str(folder)).digest == before
    (folder / "__init__.py").write_text((folder / "__init__.py").read_text() + "\n# a hint reworded\n")
    assert catalog.load(str(folder)).digest != before
