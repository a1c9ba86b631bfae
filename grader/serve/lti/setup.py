"""What an LMS admin pastes to add the tool: Canvas's developer key JSON, Moodle's tool settings,
and the platforms part of ``--lti-config`` with where each LMS shows each value
(``gdgrade lti config``)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from grader.serve.lti.verify import DEEP_LINKING_REQUEST, SCORE_SCOPE


def canvas_key(url: str, title: str) -> dict[str, object]:
    """Canvas: Admin > Developer Keys > + Developer Key > + LTI Key, Configure Method "Paste JSON"."""
    base = url.rstrip("/")
    launch = f"{base}/lti/launch"
    return {
        "title": title,
        "description": "Programming quizzes graded by gdgrade; each Submit's score goes to the gradebook.",
        "oidc_initiation_url": f"{base}/lti/login",
        "target_link_uri": launch,
        "public_jwk_url": f"{base}/lti/jwks",
        "scopes": [SCORE_SCOPE],
        "extensions": [{
            "platform": "canvas.instructure.com",
            "domain": urlsplit(base).netloc,
            "privacy_level": "name_only",
            "settings": {"placements": [
                {"placement": place, "message_type": DEEP_LINKING_REQUEST, "target_link_uri": launch}
                for place in ("assignment_selection", "link_selection")]},
        }],
        "custom_fields": {},
    }


def moodle_fields(url: str, title: str) -> list[tuple[str, str]]:
    """Moodle: Site administration > Plugins > External tool > Manage tools > configure a tool manually."""
    base = url.rstrip("/")
    return [
        ("Tool name", title),
        ("Tool URL", f"{base}/lti/launch"),
        ("LTI version", "LTI 1.3"),
        ("Client ID", "(Moodle fills it in when the tool is saved)"),
        ("Public key type", "Keyset URL"),
        ("Public keyset", f"{base}/lti/jwks"),
        ("Initiate login URL", f"{base}/lti/login"),
        ("Redirection URI(s)", f"{base}/lti/launch"),
        ("Custom parameters", "(empty; each activity gets quiz=NAME, by Deep Linking or by hand)"),
        ("Tool configuration usage", "Show in activity chooser and as a preconfigured tool"),
        ("Default launch container", "Embed, without blocks"),
        ("Supports Deep Linking (Content-Item Message)", "yes"),
        ("Content Selection URL", f"{base}/lti/launch"),
        ("Services > IMS LTI Assignment and Grade Services", "Use this service for grade sync only"),
        ("Privacy > Share launcher's name with tool", "Always"),
        ("Privacy > Accept grades from the tool", "Always"),
    ]


def platforms_template(url: str) -> str:
    """The ``--lti-config`` file, with where each LMS shows each value once the tool is added."""
    return f"""url: {url.rstrip('/')}
platforms:
  - name: Canvas            # Developer Keys: the key's ID (Details) is the client id; Settings > Apps >
    issuer: https://canvas.instructure.com                # the app's gear > Deployment Id
    client_id: "10000000000001"
    deployment_ids: ["1:0123456789abcdef"]
    auth_login_url: https://sso.canvaslms.com/api/lti/authorize_redirect
    token_url: https://sso.canvaslms.com/login/oauth2/token
    jwks_url: https://sso.canvaslms.com/api/lti/security/jwks
    frame_origins: [https://yourschool.instructure.com]   # where your Canvas is opened (pages, grade columns)
  - name: Moodle            # Manage tools > the tool's "View configuration details" icon
    issuer: https://moodle.example.edu                    # Platform ID
    client_id: "aBcDeFgHiJkLmNo"                          # Client ID
    deployment_ids: ["1"]                                 # Deployment ID
    auth_login_url: https://moodle.example.edu/mod/lti/auth.php
    token_url: https://moodle.example.edu/mod/lti/token.php
    jwks_url: https://moodle.example.edu/mod/lti/certs.php
"""


def instructions(url: str, title: str) -> str:
    """Everything ``gdgrade lti config`` prints."""
    base = url.rstrip("/")
    width = max(len(name) for name, _ in moodle_fields(url, title))
    moodle = "\n".join(f"  {name:<{width}}  {value}" for name, value in moodle_fields(url, title))
    return (f"== Canvas: Admin > Developer Keys > + Developer Key > + LTI Key; Configure Method: Paste JSON;\n"
            f"   Redirect URIs: {base}/lti/launch; then turn the key ON and add the app by its Client ID\n"
            f"   (Settings > Apps > + App > By Client ID).\n{json.dumps(canvas_key(url, title), indent=2)}\n\n"
            f"== Moodle: Site administration > Plugins > Activity modules > External tool > Manage tools >\n"
            f"   configure a tool manually:\n{moodle}\n\n"
            f"== Then give gdgrade serve --lti-config FILE, with what the LMS shows after the tool is added:\n"
            f"{platforms_template(url)}")
