"""``python -m grader`` is the ``gdgrade`` command."""

from grader.cli import main

main()
