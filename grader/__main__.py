"""``python -m grader`` and the ``gdgrade`` command.

``-m`` puts the working folder first on the import path; when that is a submissions folder, a
student's ``numpy.py`` or ``json.py`` would be imported by the grader itself. It is taken off
before anything else is imported.

A command that grades starts the sandbox's launcher before importing the grader (``sandbox.launch``):
the two start side by side, so ``gdgrade check`` answers sooner. A check, once it has said
everything and closed its sandbox, ends at once: taking numpy and pydantic apart again as the
interpreter exits costs a student tens of milliseconds for nothing.
"""

import os
import sys

GRADING = frozenset({"check", "grade", "gradescope", "serve"})


def main() -> None:
    arguments = sys.argv[1:]
    command = next((argument for argument in arguments if not argument.startswith("-")), None)
    if command in GRADING and not {"-h", "--help"} & set(arguments) and sys.platform == "linux":
        from grader.sandbox import launch

        launch.early()
    from grader.entry import main as cli_main

    try:
        cli_main()
    except SystemExit as done:
        if command != "check":
            raise
        code = done.code if isinstance(done.code, int) else 0 if done.code is None else 1
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe, say: the check's answer is its exit code
                pass
        os._exit(code)


if __name__ == "__main__":
    sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", os.getcwd())]
    main()
