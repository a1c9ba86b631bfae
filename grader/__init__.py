"""gdgrade: a fast, sandboxed autograder for the gradient-descent quiz.

Reading the modules top-down follows a submission through the grader:
``intake`` finds it, ``source`` reads it without running it, ``sandbox`` runs it
in a fresh child of a fork server that holds no student data, ``protocol``
validates what comes back, ``compare`` decides each variable's outcome against
the quiz (``quiz``, definitions in ``reference``), ``report`` is the result,
``grade`` ties the flow together; ``formats`` write it out, and ``cli`` is the
command line.
"""

__version__ = "0.1.0"
