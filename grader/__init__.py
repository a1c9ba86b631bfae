"""gdgrade: a fast, sandboxed autograder for the gradient-descent quiz.

Reading the modules top-down follows a submission through the grader:
``intake`` finds it, ``source`` reads it without running it, ``sandbox`` runs it
in a fresh child of a fork server that holds no student data, ``protocol``
validates what comes back, ``compare`` decides each variable's outcome against
the quiz (``quiz``, definitions in ``reference``), ``report`` is the result,
``grade`` ties the flow together; ``formats`` write it out, and ``cli`` is the
command line.
"""

import os

from grader.sandbox.launch import SAFE_ENVIRONMENT

for _variable in (name for name in SAFE_ENVIRONMENT if name.endswith("_NUM_THREADS")):
    # before numpy is imported: the grader's arrays are a handful of numbers, and a BLAS thread pool
    # only spins beside the children for the cores they need (measured: about 1% of a batch's CPU)
    os.environ.setdefault(_variable, SAFE_ENVIRONMENT[_variable])

__version__ = "0.1.0"
