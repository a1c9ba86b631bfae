"""The few pages LTI needs besides the quiz page: a refusal, the Deep Linking picker, and the form
that carries the instructor's choice back to the LMS. Every text in them is escaped; each page
has its own Content-Security-Policy, since each posts a form to a different place."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

SELF, NONE = "'self'", "'none'"
STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}"


def _page(title: str, body: str, status: int, frame_ancestors: str, form_action: str = NONE,
          script: bool = False) -> HTMLResponse:
    policy = (f"default-src 'none'; style-src 'unsafe-inline'; script-src {SELF if script else NONE}; "
              f"base-uri 'none'; form-action {form_action}; frame-ancestors {frame_ancestors}")
    html = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<style>{STYLE}</style></head><body>{body}</body></html>')
    return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": policy,
                                                           "Cache-Control": "no-store"})


def refusal(reason: str, status: int, frame_ancestors: str) -> HTMLResponse:
    return _page("The quiz could not be opened", f"<h1>The quiz could not be opened</h1><p>{escape(reason)}.</p>"
                 "<p>Go back to the course and open the activity again. If this keeps happening, tell your "
                 "instructor: the server's log has the details.</p>", status, frame_ancestors)


def picker(quizzes: Sequence[tuple[str, str]], csrf: str, frame_ancestors: str) -> HTMLResponse:
    """One button per quiz: the instructor's choice for the activity being added."""
    rows = "".join(f'<li><form method="post" action="pick"><input type="hidden" name="csrf" value="{escape(csrf)}">'
                   f'<input type="hidden" name="quiz" value="{escape(name)}"><button type="submit">{escape(title)}'
                   f'</button> <code>{escape(name)}</code></form></li>' for name, title in quizzes)
    return _page("Choose a quiz", f"<h1>Choose the quiz for this activity</h1><ul>{rows}</ul>", 200,
                 frame_ancestors, form_action=SELF)


def post_back(return_url: str, jwt: str, frame_ancestors: str) -> HTMLResponse:
    """The Deep Linking response, posted to the platform by the page's own script (a button without it)."""
    parts = urlsplit(return_url)
    body = (f'<form method="post" action="{escape(return_url)}" id="lti-post"><input type="hidden" name="JWT" '
            f'value="{escape(jwt)}"><p>Returning to the course…</p><noscript><button type="submit">Continue'
            '</button></noscript></form><script src="../static/lti-post.js"></script>')
    return _page("Returning to the course", body, 200, frame_ancestors,
                 form_action=f"{parts.scheme}://{parts.netloc}", script=True)
