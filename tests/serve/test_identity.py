"""Who asks (grader/serve/identity.py): signed sessions, and which headers count from which addresses;
then the page behind a real nginx with the README's own location block (tests/serve/nginx.py): the
page, its assets and its API under /quiz/, a session and attempts through the proxy, and the
proxy's login naming the student."""

from __future__ import annotations

import dataclasses
import ipaddress

import httpx

from grader import report_json
from grader.serve import identity
from grader.serve.identity import Identity, Sessions
from tests.conftest import SUBMISSIONS
from tests.serve.nginx import location_prefix, readme_block
from tests.serve.students import student

PROXIES = identity.LOOPBACK + (ipaddress.ip_network("10.0.0.0/8"),)
RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()


def test_a_session_survives_its_cookie_and_nothing_else_does():
    sessions = Sessions(b"k" * 32, max_age=3600)
    session = sessions.new(Identity("proxy:ana", "ana", "instructor"), now=1000)
    cookie = sessions.seal(session)
    assert sessions.open(cookie, now=1500) == session
    assert sessions.open(cookie, now=1000 + 3601) is None  # too old
    assert sessions.open(cookie, now=999) is None  # from the future
    assert Sessions(b"x" * 32, max_age=3600).open(cookie, now=1500) is None  # another server's secret
    body, mac = cookie.split(".")
    promoted = sessions.seal(sessions.new(Identity("proxy:bo", "bo", "instructor"), now=1000)).split(".")[0]
    assert sessions.open(f"{promoted}.{mac}", now=1500) is None  # another body under this signature
    for forged in ("", ".", "x.y", "é.é", body, cookie + "a" * 5000, f"{body}.{mac}=="[:-1] + "!"):
        assert sessions.open(forged, now=1500) is None


def test_tokens_of_any_text_compare_without_raising():
    assert identity.same_token("abc", "abc")
    assert not identity.same_token("abd", "abc")
    assert not identity.same_token("é", "abc") and not identity.same_token("\udcff", "abc")
    assert not identity.same_token(None, "abc")


def test_forwarded_headers_count_only_from_a_trusted_proxy():
    headers = {"x-forwarded-for": "203.0.113.9, 10.1.1.1", "x-forwarded-prefix": "/quiz/",
               "x-forwarded-proto": "https"}
    through = identity.peer("127.0.0.1", headers, PROXIES, "")
    assert through == identity.Peer("203.0.113.9", True, "/quiz", True)  # the last address no proxy of ours added
    direct = identity.peer("198.51.100.7", headers, PROXIES, "/root")
    assert direct == identity.Peer("198.51.100.7", False, "/root", False)  # a client cannot claim another address
    assert identity.peer("not an address", headers, PROXIES, "").proxied is False
    odd = identity.peer("127.0.0.1", {"x-forwarded-prefix": "/a;b"}, PROXIES, "/fallback")
    assert odd.prefix == "/fallback"  # a prefix that would break the cookie's path is not used


def test_a_cookie_over_https_has_a_name_no_other_host_can_set():
    plain = identity.Peer("203.0.113.9", True, "/quiz", False)
    tls = dataclasses.replace(plain, secure=True)
    assert identity.cookie("gdgrade_session", plain, secure=False) == identity.Cookie("gdgrade_session", "/quiz", False)
    kept = identity.cookie("gdgrade_session", tls, secure=True)
    assert kept.name.startswith("__Host-gdgrade_session-") and (kept.path, kept.secure) == ("/", True)
    beside = identity.cookie("gdgrade_session", dataclasses.replace(tls, prefix="/quiz2"), secure=True)
    assert beside.name != kept.name  # a second page on the host keeps its own
    at_root = identity.cookie("gdgrade_session", dataclasses.replace(tls, prefix=""), secure=True)
    assert at_root == identity.Cookie("__Host-gdgrade_session", "/", True)
    assert identity.cookie_names("gdgrade_session", tls) == (kept.name,)  # over HTTPS a plain name is not read
    assert identity.cookie_names("gdgrade_session", plain) == (kept.name, "gdgrade_session")


def test_a_proxy_user_names_one_student_or_nobody():
    assert identity.proxy_user(" ana ") == Identity("proxy:ana", "ana")
    assert identity.proxy_user("Zoë Ö") == Identity("proxy:Zoë Ö", "Zoë Ö")
    for name in ("José", "名前", "Łukasz Ćwik"):  # as a header brings them: UTF-8 bytes read as Latin-1
        assert identity.proxy_user(name.encode().decode("latin-1")) == Identity(f"proxy:{name}", name)
    for nobody in (None, "", "   ", "a" * 201, "ana\x00bo", "ana\nbo"):
        assert identity.proxy_user(nobody) is None
    assert identity.anonymous().anonymous and identity.anonymous() != identity.anonymous()


def test_the_readme_block_is_the_one_the_proxy_runs():
    block = readme_block("127.0.0.1:4242")
    assert location_prefix(block) == "/quiz/"
    assert "proxy_pass http://127.0.0.1:4242/;" in block and "X-Forwarded-For $proxy_add_x_forwarded_for" in block


def test_the_page_and_its_assets_are_served_under_the_prefix(proxied):
    page = httpx.get(proxied.url, timeout=60)
    assert page.status_code == 200 and '<textarea id="code"' in page.text
    assert 'href="static/page.css"' in page.text and 'src="static/page.js"' in page.text  # relative: under /quiz/
    for asset, kind in (("static/page.css", "text/css"), ("static/page.js", "javascript")):
        answer = httpx.get(proxied.url + asset, timeout=60)
        assert answer.status_code == 200 and kind in answer.headers["content-type"], asset
    about = httpx.get(proxied.url + "api/quiz", timeout=60).json()
    assert about["name"] == "gradient_descent"
    assert httpx.get(proxied.nginx.url + "/static/page.js", timeout=60).status_code == 404  # only under /quiz/


def test_the_prefix_without_its_slash_lands_on_the_page(proxied):
    moved = httpx.get(proxied.nginx.url + "/quiz", timeout=60)
    assert moved.status_code == 301 and moved.headers["location"].endswith("/quiz/")
    landed = httpx.get(proxied.nginx.url + "/quiz", timeout=60, follow_redirects=True)
    assert landed.status_code == 200 and str(landed.url) == proxied.url and '<textarea id="code"' in landed.text


def test_a_student_tests_and_submits_through_the_proxy(proxied):
    with student(proxied.url) as browser:
        ran = browser.post("api/run", json={"source": FORGOT})
        assert ran.status_code == 200, ran.text
        assert ran.json()["stdout"].endswith("[-0.04063738 -0.08127477 -0.12191215 -0.16254953]\n")
        checked = browser.post("api/check", json={"source": FORGOT})
        assert checked.status_code == 200, checked.text
        report = report_json.load(checked.content)
        assert report.score == 4 and {check.name: check.outcome.value for check in report.checks}["del_w"] == "wrong"
        assert browser.post("api/check", json={"source": RIGHT}).json()["score"] == 5
        assert browser.get("api/solution").status_code == 200  # earned, through the same session
    without_token = httpx.post(proxied.url + "api/check", json={"source": RIGHT}, timeout=60)
    assert without_token.status_code == 403  # no session, no token: not the page's own request


def test_the_proxys_login_names_the_student(tmp_path):
    """The README's block inside a server block that asks for a login (here nginx's basic auth), with
    the proxy's secret added: with --user-header X-Remote-User each attempt is kept under the name
    the proxy logged in, and a client that reaches gdgrade without the proxy gets no name at all."""
    from grader.serve.store import open_store
    from tests.serve.nginx import nginx
    from tests.serve.servers import serving

    (tmp_path / "users").write_text("ana:{PLAIN}ana-pw\nbo:{PLAIN}bo-pw\n")
    db = tmp_path / "attempts.sqlite"
    arguments = ["--user-header", "X-Remote-User", "--db", str(db), "--proxy-secret", "s3cret"]
    with serving(tmp_path / "server", arguments) as server:
        login = f'        auth_basic "the class";\n        auth_basic_user_file {tmp_path / "users"};\n'
        secret = '    proxy_set_header X-Gdgrade-Proxy "s3cret";\n}'
        block = readme_block(f"127.0.0.1:{server.port}").rstrip("}") + secret
        block = "\n".join("        " + line for line in block.splitlines())
        with nginx(login + block) as proxy:
            page = proxy.url + location_prefix(readme_block("x"))
            assert httpx.get(page + "api/me", timeout=60).status_code == 401  # nginx asks for the login
            for name in ("ana", "bo"):
                with httpx.Client(base_url=page, timeout=120, auth=(name, f"{name}-pw")) as browser:
                    me = browser.get("api/me").json()
                    assert me["name"] == name
                    browser.headers["X-CSRF-Token"] = me["csrf"]
                    source = FORGOT if name == "bo" else RIGHT
                    assert browser.post("api/check", json={"source": source}).status_code == 200
            direct = httpx.get(server.url.rstrip("/") + "/api/me", headers={"X-Remote-User": "ana"}, timeout=60)
            assert direct.status_code == 403  # another account on the machine, past the proxy: no secret, no name
    with open_store(str(db)) as store:
        assert {(row.name, row.best_score) for row in store.students("gradient_descent")} == {("ana", 5.0), ("bo", 4.0)}
