"""tests/ is laid out like the package (tests/README.md): the tests of grader/X.py are in
tests/test_X.py, those of grader/PART/Y.py in tests/PART/test_Y.py, so a reader finds the tests of
any module from its path, and a file named after nothing fails here."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

TESTS = ROOT / "tests"
GRADER = ROOT / "grader"

WHOLE_PRODUCT = {
    "test_adversarial.py": "hostile submissions through intake, the sandbox and every output, in one contained batch",
    "test_samples.py": "the verdict each sample in submissions/ was written to show, for every shipped quiz",
    "test_students.py": "files written as students write them (tests/students/), each verdict and diagnosis",
    "test_collected.py": "how well wrong values are explained, measured on files collected from classes",
    "test_readme.py": "the README's examples, run as written",
    "test_examples.py": "the files in examples/ work where they are meant to run",
    "test_packaging.py": "the built wheel, installed and run from another folder",
    "test_benchmarks.py": "every script in benchmarks/ runs on tiny counts and prints its figures",
    "test_lint.py": "mypy and ruff over the code, with the settings in pyproject.toml",
    "test_layout.py": "this rule",
}
"""The suites of the whole product, which name no one module, and why each is one. Keep it short: a
test of one module is named after it."""


TESTED_WITH = {
    "__main__.py": "test_packaging.py",
    "selfcheck.py": "test_cli.py",
    "options.py": "test_cli.py",
    "explain.py": "test_diagnose.py",
    "nearby.py": "test_diagnose.py",
    "formats/github.py": "test_formats.py",
    "formats/gradebook.py": "formats/test_writer.py",
    "formats/gradescope.py": "test_feedback.py",
    "formats/junit.py": "test_formats.py",
    "formats/render.py": "test_feedback.py",
    "formats/summary.py": "test_formats.py",
    "formats/lms/blackboard.py": "formats/test_lms.py",
    "formats/lms/brightspace.py": "formats/test_lms.py",
    "formats/lms/canvas.py": "formats/test_lms.py",
    "formats/lms/moodle.py": "formats/test_lms.py",
    "formats/lms/sheet.py": "formats/test_lms.py",
    "formats/lms/system.py": "formats/test_lms.py",
    "intake/listing.py": "intake/test_archive.py",
    "sandbox/control.py": "sandbox/test_supervisor.py",
    "sandbox/forkserver.py": "sandbox/test_supervisor.py",
    "sandbox/launch.py": "sandbox/test_supervisor.py",
    "sandbox/job.py": "sandbox/test_child.py",
    "sandbox/kernel.py": "sandbox/test_layers.py",
    "sandbox/landlock.py": "sandbox/test_layers.py",
    "sandbox/mounts.py": "sandbox/test_layers.py",
    "serve/lti/config.py": "serve/lti/test_setup.py",
    "serve/lti/keys.py": "serve/lti/test_verify.py",
    "serve/lti/pages.py": "serve/lti/test_verify.py",
    "serve/lti/routes.py": "serve/lti/test_verify.py",
    "serve/store/model.py": "serve/test_store.py",
    "serve/store/pool.py": "serve/test_store.py",
    "serve/store/schema.py": "serve/test_store.py",
    "serve/store/sqlite.py": "serve/test_store.py",
}
"""Modules of grader/ whose tests are in their package's (or a neighbour's) file rather than one of
their own, and that file: so the tests of every module are found from its path, here or there."""


def suites() -> list[Path]:
    return sorted(TESTS.rglob("test_*.py"))


def module_of(path: Path) -> Path:
    """The module or package of grader/ a test file's path names: tests/a/test_b.py -> grader/a/b."""
    relative = path.relative_to(TESTS)
    return GRADER.joinpath(*relative.parent.parts, relative.stem.removeprefix("test_"))


def test_every_test_file_names_the_module_it_tests():
    unnamed = [str(path.relative_to(ROOT)) for path in suites()
               if str(path.relative_to(TESTS)) not in WHOLE_PRODUCT
               and not (module_of(path).with_suffix(".py").is_file() or module_of(path).is_dir())]
    assert not unnamed, (
        f"{', '.join(unnamed)}: no module or package of grader/ has this name. A test of grader/X.py is "
        "tests/test_X.py, of grader/PART/Y.py tests/PART/test_Y.py (tests/README.md); a suite of the whole "
        "product goes in WHOLE_PRODUCT in tests/test_layout.py, with why")


def test_every_suite_of_the_whole_product_exists_and_names_no_module():
    for name in WHOLE_PRODUCT:
        path = TESTS / name
        assert path.is_file(), f"WHOLE_PRODUCT lists tests/{name}, which is not there"
        assert not (module_of(path).with_suffix(".py").is_file() or module_of(path).is_dir()), (
            f"tests/{name} is named after {module_of(path).relative_to(ROOT)}: it tests that, not the whole product")


def test_every_folder_of_tests_is_a_package():
    """Test files of one name in two folders (tests/test_feedback.py, tests/formats/lms/test_feedback.py)
    import as two modules only when each folder is a package."""
    folders = {path.parent for path in suites()}
    missing = sorted(str(folder.relative_to(ROOT)) for folder in folders if not (folder / "__init__.py").is_file())
    assert not missing, f"{', '.join(missing)} holds tests but no __init__.py"


def test_the_rule_finds_modules_and_packages():
    assert module_of(TESTS / "test_grade.py") == GRADER / "grade"
    assert module_of(TESTS / "serve" / "store" / "test_postgres.py") == GRADER / "serve" / "store" / "postgres"
    assert module_of(TESTS / "test_formats.py").is_dir()
    assert not module_of(TESTS / "test_runner.py").with_suffix(".py").exists()  # named after a module gone


def test_the_tests_of_every_module_are_found_from_its_path():
    """Each module has tests at its own path, or TESTED_WITH names the file that has them (and that
    file names the module), so a reader never has to grep for them."""
    lost = []
    for module in sorted(GRADER.rglob("*.py")):
        relative = module.relative_to(GRADER)
        if relative.name == "__init__.py" or relative.parts[0] == "reference":
            continue
        own = TESTS.joinpath(*relative.parent.parts, f"test_{relative.stem}.py")
        elsewhere = TESTED_WITH.get(relative.as_posix())
        if own.is_file():
            assert elsewhere is None, f"grader/{relative} has tests of its own: take it out of TESTED_WITH"
        elif elsewhere is None or not (TESTS / elsewhere).is_file() or relative.stem.lstrip("_") not in (
                TESTS / elsewhere).read_text(encoding="utf-8"):
            lost.append(f"grader/{relative}")
    assert not lost, (f"{', '.join(lost)}: no tests at tests/<part>/test_<module>.py, and TESTED_WITH in "
                      "tests/test_layout.py names no file of tests that names it")
