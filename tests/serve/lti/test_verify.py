"""Launches the tool must refuse, each with a page that says why and a line in the log; and what a
launch's role may see. The endpoints are grader/serve/lti/routes.py, the refusal pages pages.py. The
tool runs in-process; the platform (lti1p3platform) on loopback signs the
launches, honest ones and the ones made here from its key with one thing wrong."""

from __future__ import annotations

import html
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from lti1p3platform.registration import Registration

from grader.serve.app import INSTRUCTOR_HOURS
from grader.serve.identity import CSRF_HEADER
from grader.serve.lti import routes
from grader.serve.lti.routes import LOGIN_BURST, STATES_KEPT
from grader.serve.lti.verify import AGS_ENDPOINT, DEEP_LINKING, LTI, SCORE_SCOPE

from .conftest import TOOL, begin, browser_for, launch, tool
from .platform import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, LEARNER, Platform, rsa_pem

RIGHT_FILE = "tests/../submissions/gradient_descent/correct_dot/gradient.py"
HOME = "<the platform>"
STATE_COOKIE = "__Host-gdgrade_lti_login"
SESSION_COOKIE = "__Host-gdgrade_session"
"""The cookies' names at the tool's root: ``__Host-``, which no other host of the domain can set."""
"""Stands for the platform's own address in a return URL (known once the platform runs)."""


@pytest.fixture(scope="module")
def client(platform, tmp_path_factory):
    with tool(platform, str(tmp_path_factory.mktemp("db") / "attempts.sqlite")) as client:
        yield client


def login(browser, platform: Platform, **changes: str) -> tuple[str, str]:
    """Begin a login as the platform would: the state and nonce the tool sent to the authorization URL."""
    params = {"iss": platform.issuer, "login_hint": "mallory", "target_link_uri": f"{TOOL}/lti/launch",
              "client_id": CLIENT_ID, "lti_message_hint": "x", **changes}
    answer = browser.get(f"/lti/login?{urlencode(params)}", follow_redirects=False)
    assert answer.status_code == 302, answer.text
    sent = parse_qs(urlsplit(answer.headers["location"]).query)
    return sent["state"][0], sent["nonce"][0]


def signed(platform: Platform, login_nonce: str, key: str | None = None, **changes: Any) -> str:
    """A launch's id_token, signed with the platform's key (or ``key``), with ``changes`` (None drops one)."""
    now = int(time.time())
    claims = {"iss": platform.issuer, "aud": CLIENT_ID, "azp": CLIENT_ID, "sub": "mallory", "nonce": login_nonce,
              "iat": now, "exp": now + 300, "name": "Mallory", LTI + "deployment_id": DEPLOYMENT_ID,
              LTI + "message_type": "LtiResourceLinkRequest", LTI + "version": "1.3.0", LTI + "roles": [LEARNER],
              LTI + "custom": {"quiz": "gradient_descent"}, LTI + "resource_link": {"id": "gd"},
              LTI + "target_link_uri": f"{TOOL}/lti/launch", **changes}
    kid = platform.registration().get_kid()
    return Registration.encode_and_sign({name: value for name, value in claims.items() if value is not None},
                                        key or platform.key, headers={"kid": kid})


def refused(answer, status: int, words: str, caplog) -> None:
    assert answer.status_code == status, answer.text
    assert "The quiz could not be opened" in answer.text and words in html.unescape(answer.text)
    assert "frame-ancestors 'self' http://localhost:" in answer.headers["content-security-policy"]
    assert any(words in record.getMessage() for record in caplog.records if record.name == "gdgrade.lti")


def test_a_launch_signed_by_the_platform_is_taken(client, platform):
    browser = browser_for(client)
    state, nonce = login(browser, platform)
    answer = browser.post("/lti/launch", data={"state": state, "id_token": signed(platform, nonce)},
                          follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "../?quiz=gradient_descent"
    cookie = answer.headers["set-cookie"]
    assert "SameSite=none" in cookie.replace("samesite", "SameSite") and "Secure" in cookie.replace("secure", "Secure")
    me = browser.get("/api/me").json()
    assert (me["name"], me["role"]) == ("Mallory", "student")
    assert "frame-ancestors 'self' http://localhost:" in browser.get("/").headers["content-security-policy"]


def test_a_replayed_launch_is_refused(client, platform, caplog):
    browser = browser_for(client)
    fields = begin(browser, platform, "alice")
    assert browser.post("/lti/launch", data=fields, follow_redirects=False).status_code == 303
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser.post("/lti/launch", data=fields), 401, "a launch replayed", caplog)  # its cookie is gone
        kept = browser_for(client)  # and if its cookie were kept
        refused(kept.post("/lti/launch", data=fields, headers={"Cookie": f"{STATE_COOKIE}={fields['state']}"}), 401,
                "used already", caplog)


def test_a_login_state_planted_by_another_host_is_not_taken(client, platform, caplog):
    """Login CSRF by cookie tossing: Mallory begins a login, then a sibling host of the tool's domain
    plants her state in a student's browser and posts her launch from it. A cookie of the plain name
    (any host of the domain can set one) does not count; only the ``__Host-`` one the tool set does."""
    state, nonce = login(browser_for(client), platform)
    fields = {"state": state, "id_token": signed(platform, nonce)}
    victim = browser_for(client)
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(victim.post("/lti/launch", data=fields, headers={"Cookie": f"gdgrade_lti_login={state}"}), 401,
                "did not begin this launch", caplog)
    taken = victim.post("/lti/launch", data=fields, headers={"Cookie": f"{STATE_COOKIE}={state}"},
                        follow_redirects=False)
    assert taken.status_code == 303  # the same launch, with the state under the tool's own name


def test_a_nonce_used_once_is_refused_in_another_login(client, platform, caplog):
    browser = browser_for(client)
    fields = begin(browser, platform, "alice")
    assert browser.post("/lti/launch", data=fields, follow_redirects=False).status_code == 303
    state, _ = login(browser, platform)  # a fresh login, then the old id_token (and its nonce) again
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser.post("/lti/launch", data={"state": state, "id_token": fields["id_token"]}), 401,
                "nonce is not its login", caplog)


def test_a_launch_from_another_browser_is_refused(client, platform, caplog):
    fields = begin(browser_for(client), platform, "alice")
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser_for(client).post("/lti/launch", data=fields), 401, "did not begin this launch", caplog)


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"key": "other"}, 401, "forged or altered"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, 401, "expired"),
    ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200}, 401, "in the future"),
    ({LTI + "deployment_id": "deployment-2"}, 403, "deployment of the tool"),
    ({"aud": "another-tool"}, 403, "not registered for"),
    ({"aud": [CLIENT_ID, "another-tool"], "azp": "another-tool"}, 401, "meant for another tool"),
    ({LTI + "message_type": "LtiSubmissionReviewRequest"}, 400, "LtiSubmissionReviewRequest"),
    ({LTI + "version": "1.1"}, 400, "version"),
    ({"sub": None}, 400, "'sub' claim"),
    ({"nonce": "not-the-logins"}, 401, "nonce is not its login"),
    ({"iss": "https://elsewhere.example"}, 401, "issuer is not the platform"),
    ({LTI + "custom": {"quiz": "no_such_quiz"}}, 404, "does not serve"),
    ({LTI + "custom": None}, 404, "names no quiz"),
    ({LTI + "message_type": "LtiDeepLinkingRequest",
      DEEP_LINKING: {"deep_link_return_url": HOME}}, 403, "only the course's instructors"),
    ({LTI + "message_type": "LtiDeepLinkingRequest", LTI + "roles": [INSTRUCTOR],
      DEEP_LINKING: {"deep_link_return_url": HOME, "accept_types": ["file"]}}, 400, "takes no link to a tool"),
    ({LTI + "message_type": "LtiDeepLinkingRequest", LTI + "roles": [INSTRUCTOR],
      DEEP_LINKING: {"deep_link_return_url": "javascript:alert(document.domain)//"}}, 403, "return URL"),
    ({LTI + "message_type": "LtiDeepLinkingRequest", LTI + "roles": [INSTRUCTOR],
      DEEP_LINKING: {"deep_link_return_url": "https://evil.example/collect"}}, 403, "return URL"),
    ({AGS_ENDPOINT: {"scope": [SCORE_SCOPE], "lineitem": "http://127.0.0.1:9/internal/admin?all=1"}}, 403,
     "line item 'http://127.0.0.1:9/internal/admin?all=1' is not an address of"),
    ({AGS_ENDPOINT: {"scope": [SCORE_SCOPE], "lineitem": "http://[::1/x"}}, 403, "is not an address of"),
    ({AGS_ENDPOINT: {"scope": [SCORE_SCOPE], "lineitem": "http://x/\nWARNING forged"}}, 403,
     "line item 'http://x/\\nWARNING forged' is not"),
    ({"sub": "mal\u202elory\n"}, 400, "names no user"),
])
def test_a_launch_with_one_thing_wrong_is_refused_and_logged(client, platform, caplog, change, status, words):
    browser = browser_for(client)
    state, nonce = login(browser, platform)
    change = {name: {**value, "deep_link_return_url": value["deep_link_return_url"].replace(HOME, platform.issuer)}
              if name == DEEP_LINKING else value for name, value in change.items()}
    key = rsa_pem() if change.pop("key", None) else None
    token = signed(platform, nonce, key, **change)
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser.post("/lti/launch", data={"state": state, "id_token": token}), status, words, caplog)
    assert browser.get("/api/me").status_code == 401  # no session came of it


def test_an_altered_launch_is_refused(client, platform, caplog):
    browser = browser_for(client)
    state, nonce = login(browser, platform)
    header, _, signature = signed(platform, nonce).split(".")
    body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(jwt.decode(signed(platform, nonce, sub="teacher"),
                                                                        options={"verify_signature": False})
                                                             ).encode()).decode()
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser.post("/lti/launch", data={"state": state, "id_token": f"{header}.{body}.{signature}"}),
                401, "forged or altered", caplog)


@pytest.mark.parametrize(("change", "status", "words"), [
    ({"iss": "https://elsewhere.example"}, 403, "not registered for the platform"),
    ({"client_id": "another-tool"}, 403, "not registered for the platform"),
    ({"target_link_uri": "https://evil.example/lti/launch"}, 400, "not this tool"),
    ({"login_hint": ""}, 400, "names no user"),
    ({"lti_deployment_id": "deployment-2"}, 403, "deployment of the tool ('deployment-2')"),
])
def test_a_login_for_another_platform_or_tool_is_refused(client, platform, caplog, change, status, words):
    params = {"iss": platform.issuer, "login_hint": "mallory", "target_link_uri": f"{TOOL}/lti/launch",
              "client_id": CLIENT_ID, **change}
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser_for(client).get(f"/lti/login?{urlencode(params)}"), status, words, caplog)


def test_without_a_launch_there_is_no_session(client):
    answer = browser_for(client).get("/api/me")
    assert answer.status_code == 401 and "open this quiz from your course" in answer.json()["detail"]


def test_a_learner_sees_only_their_own_and_an_instructor_the_class(client, platform):
    right = open(RIGHT_FILE).read()
    learner, other = browser_for(client), browser_for(client)
    assert launch(learner, platform, "erin").status_code == 303
    assert launch(other, platform, "frank").status_code == 303
    assert learner.post("/api/check?quiz=gradient_descent", json={"source": right}).json()["score"] == 5
    assert learner.get("/api/solution?quiz=gradient_descent").status_code == 200
    assert other.get("/api/solution?quiz=gradient_descent").status_code == 403  # erin's full marks are hers
    assert learner.get("/api/class?quiz=gradient_descent").status_code == 403
    assert learner.post("/lti/pick", data={"quiz": "backprop", "csrf": learner.headers[CSRF_HEADER]}
                        ).status_code == 403
    teacher = browser_for(client)
    assert launch(teacher, platform, "grace", role="Instructor").status_code == 303
    assert teacher.get("/api/me").json()["role"] == "instructor"
    rows = teacher.get("/api/class?quiz=gradient_descent").json()["students"]
    assert {row["name"]: row["best"] for row in rows if row["name"] in ("Erin Example", "Frank Example")} == {
        "Erin Example": 5}
    owed = [row for row in teacher.get("/lti/grades").json() if row["user"].endswith("|erin")]
    assert [(row["score"], row["max_score"]) for row in owed] == [(5, 5)]  # (the LMS here cannot reach the tool)
    assert learner.get("/lti/grades").status_code == 403


def test_the_tool_publishes_one_key_which_it_keeps(client, platform, tmp_path):
    keys = client.get("/lti/jwks").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]
    with tool(platform, str(tmp_path / "a.sqlite")) as first:
        kid = first.get("/lti/jwks").json()["keys"][0]["kid"]
    with tool(platform, str(tmp_path / "a.sqlite")) as again:
        assert again.get("/lti/jwks").json()["keys"][0]["kid"] == kid != keys[0]["kid"]


def test_a_platform_that_rotates_its_key_is_followed(platform, tmp_path):
    with tool(platform, str(tmp_path / "a.sqlite"), key_refetch=0) as client:
        assert launch(browser_for(client), platform, "ivan").status_code == 303  # its keys are cached now
        old = platform.key
        platform.key = rsa_pem()
        try:
            assert launch(browser_for(client), platform, "ivan").status_code == 303
            browser = browser_for(client)
            state, nonce = login(browser, platform)
            late = browser.post("/lti/launch", data={"state": state, "id_token": signed(platform, nonce, old)})
            assert late.status_code == 401  # a launch signed with the retired key is not taken
        finally:
            platform.key = old


def test_a_role_that_teaches_is_an_instructor():
    from grader.serve.lti.verify import role_of

    assert role_of([INSTRUCTOR]) == "instructor"
    assert role_of(["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]) == "instructor"
    assert role_of([LEARNER, "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"]) == "student"
    assert role_of("Instructor") == "student"  # not a list: not believed


def test_many_logins_leave_one_cookie_and_two_tabs_both_launch(client, platform):
    """Each login once set a cookie of its own: another site could make a student's browser begin
    hundreds, filling the tool's cookie jar (and pushing out the session). One cookie keeps the last
    few states, so two tabs launched together both work and old states go."""
    browser = browser_for(client)
    first = begin(browser, platform, "tabby")
    second = begin(browser, platform, "tabby")
    assert browser.post("/lti/launch", data=second, follow_redirects=False).status_code == 303
    assert browser.post("/lti/launch", data=first, follow_redirects=False).status_code == 303
    flooded = browser_for(client)
    states = [login(flooded, platform)[0] for _ in range(STATES_KEPT + 3)]
    assert [name for name in flooded.cookies.keys() if "gdgrade" in name] == [STATE_COOKIE]
    assert flooded.cookies[STATE_COOKIE].split(".") == states[-STATES_KEPT:]


def test_a_login_flood_from_one_address_is_turned_away(platform, tmp_path, caplog, monkeypatch):
    """Logins need no account: 1,834 a minute once each left a row. One address now gets a lab's worth
    at once, then is told to wait."""
    monkeypatch.setattr(routes, "LOGINS_PER_SECOND", 1e-9)  # no refill while the test runs, however slow
    with tool(platform, str(tmp_path / "a.sqlite")) as client:
        browser = browser_for(client)
        params = {"iss": platform.issuer, "login_hint": "x", "target_link_uri": f"{TOOL}/lti/launch"}
        codes = [browser.get(f"/lti/login?{urlencode(params)}", follow_redirects=False).status_code
                 for _ in range(LOGIN_BURST + 5)]
        assert codes == [302] * LOGIN_BURST + [429] * 5
        with client.store.lti._pool.session(None, "test") as session:  # a login writes nothing
            assert [tuple(row) for row in session.rows("SELECT COUNT(*) FROM lti_logins")] == [(0,)]
        with caplog.at_level(logging.WARNING, "gdgrade.lti"):
            refused(browser.get(f"/lti/login?{urlencode(params)}"), 429, "too many launches from this address",
                    caplog)


def test_an_lms_instructor_sees_the_class_not_the_solution_and_not_for_long(client, platform, monkeypatch):
    """An instructor role comes from any course, even a sandbox course a student made: it shows the
    activity's class, but the solution only to a full-marks Submit or the server's token, and it
    lasts hours, not the session's 30 days (the LMS may have taken it away)."""
    teacher = browser_for(client)
    launched = launch(teacher, platform, "hedy", role="Instructor")
    assert launched.status_code == 303 and f"Max-Age={INSTRUCTOR_HOURS * 3600}" in launched.headers["set-cookie"]
    assert teacher.get("/api/me").json() | {"csrf": None} == {"name": "Hedy Example", "role": "instructor",
                                                               "csrf": None, "earned_solution": False}
    assert teacher.get("/api/class?quiz=gradient_descent").status_code == 200
    assert teacher.get("/api/solution?quiz=gradient_descent").status_code == 403
    kept = {"Cookie": f"{SESSION_COOKIE}={teacher.cookies[SESSION_COOKIE]}"}  # a browser that keeps it anyway
    later = time.time() + INSTRUCTOR_HOURS * 3600 + 60
    monkeypatch.setattr(time, "time", lambda: later)
    assert browser_for(client).get("/api/me", headers=kept).json()["role"] == "student"
    assert browser_for(client).get("/api/class?quiz=gradient_descent", headers=kept).status_code == 403


def test_a_name_no_page_can_show_is_cleaned_not_a_lockout(client, platform):
    """A lone surrogate is valid JSON and no UTF-8: a platform sending one in a name once made every
    /api/me of that student a 500."""
    browser = browser_for(client)
    state, nonce = login(browser, platform)
    token = signed(platform, nonce, name="Zo\ud800e\n<b>", sub="zoe")
    assert browser.post("/lti/launch", data={"state": state, "id_token": token},
                        follow_redirects=False).status_code == 303
    me = browser.get("/api/me")
    assert me.status_code == 200 and me.json()["name"] == "Zoe<b>"


def test_a_state_the_tool_did_not_sign_is_refused(client, platform, caplog):
    """With nothing kept for a login, the state itself says it is the tool's: one altered by a digit
    is not taken."""
    browser = browser_for(client)
    state, nonce = login(browser, platform)
    altered = state[:-1] + ("0" if state[-1] != "0" else "1")
    with caplog.at_level(logging.WARNING, "gdgrade.lti"):
        refused(browser_for(client).post("/lti/launch", data={"state": altered, "id_token": signed(platform, nonce)},
                                         headers={"Cookie": f"{STATE_COOKIE}={altered}"}), 401, "login expired", caplog)


def test_signing_out_inside_the_lms_keeps_the_frames_cookie(client, platform):
    """Sign-out re-issued a SameSite=Strict, 30-day cookie, which the LMS's frame then never sent."""
    teacher = browser_for(client)
    assert launch(teacher, platform, "ida", role="Instructor").status_code == 303
    out = teacher.post("/api/logout?quiz=gradient_descent")
    cookie = out.headers["set-cookie"].lower()
    assert out.status_code == 200 and "samesite=none" in cookie and "secure" in cookie
    assert teacher.get("/api/me").json()["role"] == "student"
