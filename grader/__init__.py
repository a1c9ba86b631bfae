"""gdgrade: a fast, sandboxed autograder for the gradient-descent quiz.

Reading the modules top-down follows a submission through the grader:
``intake`` finds it, ``source`` reads it without running it, ``sandbox`` runs it
in a fresh child of a fork server that holds no student data, ``protocol``
validates what comes back, ``compare`` decides each variable's outcome against
the quiz (``quiz``, definitions in ``reference``), ``report`` is the result,
``grade`` ties the flow together; ``formats`` write it out, and ``entry`` is the
command line.
"""

import os  # nothing else: ``python -m grader`` imports this before the working folder is off the path

ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""numpy's thread pools, one thread each: in the grader (set here, before numpy is imported: its arrays
are a handful of numbers, and a pool only spins beside the children for the cores they need; measured:
about 1% of a batch's CPU) and in every child (``sandbox.launch.SAFE_ENVIRONMENT``)."""

for _variable, _value in ONE_THREAD.items():
    os.environ.setdefault(_variable, _value)
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
"""No pydantic plugin (a tracer installed beside gdgrade) is handed the untrusted values the grader validates;
and none is looked for, which would read every installed distribution's metadata before the first check."""

__version__ = "0.1.0"


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext grader`` in a notebook: the ``%gdgrade`` magic (``grader.jupyter``)."""
    from grader import jupyter

    jupyter.register(ipython)
