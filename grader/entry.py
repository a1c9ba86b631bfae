"""The ``gdgrade`` command: its root, which names every command and loads one only when it runs.

A student's ``gdgrade check`` should cost little more than running the file; building every
command's options (and importing what each uses) would cost more than the check itself. So the
root knows each command by name, module and short help (``COMMANDS``): ``gdgrade --help`` lists
them from that table, and running one imports its module alone.

Exit codes: 0 success (``check``: full marks; ``grade``: every submission has a report), 1
``check`` without full marks, 2 usage errors (one line on stderr, never a traceback), 70 a fault
in gdgrade (one line; ``--debug`` prints its traceback), 74 a file that could not be read or
written while working, 130 interrupted.
"""

from __future__ import annotations

import importlib
import sys
from typing import NamedTuple

import click

from grader import __version__, errors


class Command(NamedTuple):
    module: str
    attribute: str
    short_help: str
    """What ``gdgrade --help`` says of it: the one place this is written."""


COMMANDS = {
    "check": Command("grader.selfcheck", "check",
                     "Self-check one file: each variable explained, exit 0 on full marks."),
    "export": Command("grader.cli", "export_command",
                      "Write the quiz page's stored submits as gdgrade grade writes a batch."),
    "grade": Command("grader.cli", "grade_command",
                     "Grade every submission in folders or files; write reports and class files."),
    "gradescope": Command("grader.cli", "gradescope_command",
                          "Gradescope's run_autograder step: grade the upload, write results.json."),
    "lti": Command("grader.cli", "lti_commands", "The quiz page as an LTI 1.3 tool: what to paste into the LMS."),
    "merge": Command("grader.cli", "merge", "Combine the --out folders of every shard of a batch."),
    "quiz": Command("grader.cli", "quiz_commands", "Tools for quiz authors: gdgrade quiz check."),
    "quizzes": Command("grader.cli", "quizzes", "List the quizzes gdgrade finds by name, and where each comes from."),
    "schema": Command("grader.cli", "schema", "Print the JSON Schema of a report."),
    "serve": Command("grader.cli", "serve", "Serve the quiz page: edit, test run, submit, in a browser."),
    "starter": Command("grader.cli", "starter", "Print the quiz's starter file, to begin again from scratch."),
}
"""Every command: the module that defines it, its name there, and its short help."""


class LazyGroup(click.Group):
    """A group whose commands are imported when one runs (or its own help is asked for), not before."""

    def list_commands(self, context: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, context: click.Context, name: str) -> click.Command | None:
        found = COMMANDS.get(name)
        if found is None:
            return None
        command: click.Command = getattr(importlib.import_module(found.module), found.attribute)
        command.short_help = found.short_help
        return command

    def resolve_command(self, context: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(context, args)
        except click.exceptions.NoSuchCommand as unknown:  # click suggests from the commands loaded so far: none
            raise click.exceptions.NoSuchCommand(unknown.command_name, possibilities=COMMANDS, ctx=context) from None

    def format_commands(self, context: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their short help, from the table: listing them imports none."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name].short_help) for name in self.list_commands(context)])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(__version__, prog_name="gdgrade")
@click.option("--debug", is_flag=True, help="Print the traceback of a fault in gdgrade (a bug: please report it).")
@click.pass_context
def cli(context: click.Context, debug: bool) -> None:
    """Grade neural-network quizzes: fast, sandboxed, with credit for carried-forward errors."""
    errors.log_to_stderr(tracebacks=debug)
    if context.invoked_subcommand is None:  # plain "gdgrade": the help, not an error
        click.echo(context.get_help())


def main(argv: list[str] | None = None) -> None:
    """Entry point: usage errors become one line on stderr and exit code 2, a fault in gdgrade one line
    and exit code 70 (its traceback with ``--debug``, which the group reads first)."""
    errors.log_to_stderr(tracebacks=False)
    try:
        cli.main(args=argv, prog_name="gdgrade", standalone_mode=False)
    except click.ClickException as problem:
        click.echo(f"gdgrade: error: {problem.format_message()}", err=True)
        sys.exit(problem.exit_code)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("gdgrade: interrupted", err=True)
        sys.exit(130)
    except errors.UserError as problem:  # found once at work: a quiz's own hidden cases failing, say
        click.echo(f"gdgrade: error: {problem}", err=True)
        sys.exit(errors.USAGE_EXIT)
    except OSError as problem:  # a file gdgrade had to write or read failed (a full disk, a folder it cannot write)
        where = f": {problem.filename}" if problem.filename else ""
        click.echo(f"gdgrade: error: {problem.strerror or problem}{where}", err=True)
        sys.exit(errors.IO_EXIT)
    except Exception as fault:  # noqa: BLE001 - a bug in gdgrade: said as one, never as the user's mistake
        errors.log.error("%s (a fault in gdgrade, not in what it was given: please report it; --debug prints "
                         "its traceback)", errors.fault_line(fault), exc_info=fault)
        sys.exit(errors.FAULT_EXIT)
    sys.exit(0)
