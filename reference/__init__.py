"""Quiz definitions, installed as ``grader.reference``.

Each sub-package is one quiz and exposes ``QUIZ`` (a ``grader.quiz.Quiz``).
Adding a quiz means adding a folder here; the engine does not change.
"""
