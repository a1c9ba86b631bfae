"""``gdgrade serve``: the quiz page, on gdgrade's own engine and sandbox.

``app`` is the ASGI application (FastAPI): the page, the instructors' class page and their assets
(``static/``, shipped in the package: nothing comes from a CDN), and a JSON API. ``identity``
says who asks (anonymous, a trusted proxy's user header, an LMS launch) and keeps it in a signed
session; ``lti`` makes the page an LTI 1.3 tool (launches, Deep Linking, grades sent back);
``admission`` decides who is graded next (fair turns, a per-client rate, body size); ``store``
keeps every attempt, in SQLite or PostgreSQL, before it is answered.
"""
