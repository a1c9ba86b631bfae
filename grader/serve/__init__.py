"""``gdgrade serve``: the quiz page, on gdgrade's own engine and sandbox.

``app`` is the ASGI application (FastAPI): the page and its assets (``static/``, shipped in the
package: nothing comes from a CDN) and a JSON API, ``POST /api/run`` and ``POST /api/check``.
``admission`` keeps the server's one runner pool from a backlog: a bounded queue (503 with
``Retry-After`` when full), a per-client rate limit that slows a client who floods, and a cap on
request bodies. ``record`` keeps each submission and its report for the instructor, only when
asked (``--record DIR``).
"""
