"""The command's root: every command listed from its table, each loaded only when it runs."""

from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from grader import entry

from .conftest import SUBMISSIONS


def test_the_table_says_of_each_command_what_the_command_itself_is():
    for name, found in entry.COMMANDS.items():
        command = entry.cli.get_command(click.Context(entry.cli), name)
        assert isinstance(command, click.Command) and command.name == name
        assert not command.hidden
        assert found.short_help == command.get_short_help_str(200)


def test_help_lists_every_command_with_its_short_help():
    shown = " ".join(CliRunner().invoke(entry.cli, ["--help"]).output.split())
    for name, found in entry.COMMANDS.items():
        assert f"{name} {found.short_help}" in shown


def test_an_unknown_command_is_one_line_with_the_commands_it_may_mean():
    result = subprocess.run([sys.executable, "-m", "grader", "chek"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "gdgrade: error: No such command 'chek'. (Did you mean one of: 'check', 'schema'?)\n"


LOADED = ("import json, sys\nfrom grader.entry import main\n"
          "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
          "print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
"""``gdgrade`` that says, as it ends, every module it imported."""


def loaded(*args: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=120)
    return set(json.loads(result.stderr.splitlines()[-1]))


def test_a_check_imports_nothing_a_batch_the_page_or_a_quiz_author_needs():
    modules = loaded("check", str(SUBMISSIONS / "correct_dot" / "gradient.py"))
    assert {"grader.selfcheck", "grader.grade", "grader.formats.render"} <= modules
    batch = {"grader.cli", "grader.formats.gradebook", "grader.formats.html", "grader.formats.junit",
             "grader.formats.lms", "grader.formats.summary", "grader.intake.archive", "grader.intake.layouts",
             "grader.quizcheck", "grader.adjust", "grader.shard", "grader.serve"}
    assert not batch & modules
    pydantic = {"pydantic", "pydantic_core", "annotated_types", "typing_inspection", "grader.report_json"}
    assert not pydantic & modules  # a report printed as text is never JSON: its types are plain dataclasses


def test_a_check_printing_json_writes_it_with_pydantic():
    modules = loaded("check", str(SUBMISSIONS / "correct_dot" / "gradient.py"), "--json")
    assert {"grader.report_json", "pydantic"} <= modules


SERVER_SIDE = {"grader.sandbox.forkserver", "grader.sandbox.layers", "grader.sandbox.kernel",
               "grader.sandbox.seccomp", "grader.sandbox.landlock", "grader.sandbox.mounts"}
"""The sandbox's side that runs in the fork server and its children, never in the grader's process."""
EXPLAINING = {"grader.diagnose", "grader.explain", "grader.nearby"}
"""What explains a wrong value: a right file never needs it."""


def test_a_check_of_a_right_file_imports_no_server_side_sandbox_diagnosis_or_output_folder():
    modules = loaded("check", str(SUBMISSIONS / "correct_dot" / "gradient.py"))
    assert "grader.sandbox.control" in modules  # how it speaks to the server, and all it imports of it
    assert not (SERVER_SIDE | EXPLAINING | {"grader.outdir", "grader.atomic"}) & modules


def test_a_check_of_a_wrong_file_imports_the_diagnosis_it_prints():
    modules = loaded("check", str(SUBMISSIONS / "integer_zeros" / "gradient.py"))
    assert EXPLAINING <= modules
    assert not SERVER_SIDE & modules


def test_the_version_imports_no_command():
    modules = loaded("--version")
    root = {"grader.entry", "grader.errors"}  # the root and how it says what went wrong: no command's code
    assert not {name for name in modules if name.startswith("grader.") and name not in root}
    assert not {"numpy", "pydantic"} & modules
