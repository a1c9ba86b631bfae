"""``gdgrade serve``: the quiz page, on gdgrade's own engine and sandbox.

``app`` is the ASGI application (FastAPI): the page, the instructors' class page and their assets
(``static/``, shipped in the package: nothing comes from a CDN), and a JSON API. ``identity``
says who asks (anonymous, a trusted proxy's user header) and keeps it in a signed session;
``admission`` decides who is graded next (fair turns, a per-client rate, body size); ``store``
keeps every attempt, in SQLite or PostgreSQL, before it is answered.
"""
