"""gdgrade: a fast, sandboxed autograder for the gradient-descent quiz.

Reading the modules top-down follows a submission through the grader:
``discover`` finds it, ``source`` reads it without running it, ``pool`` and
``runner`` run it in a fresh child inside the ``sandbox`` (``execute`` is the
child's side), ``protocol`` validates what comes back, ``compare`` decides each
variable's outcome against the quiz (``quiz``, definitions in
``grader.reference``), ``report`` is the result, ``grade`` ties the flow
together and ``cli`` is the command line.
"""

__version__ = "0.1.0"
