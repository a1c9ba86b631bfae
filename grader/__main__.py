"""``python -m grader`` is the ``gdgrade`` command.

``-m`` puts the working folder first on the import path; when that is a submissions folder, a
student's ``numpy.py`` or ``json.py`` would be imported by the grader itself. It is taken off
before anything else is imported.
"""

import os
import sys

sys.path[:] = [entry for entry in sys.path if entry not in ("", ".", os.getcwd())]

from grader.cli import main  # noqa: E402 - only once the path is safe

main()
