"""The quiz page behind a real nginx with the README's own location block (tests/serve/nginx.py):
the page, its assets and its API under /quiz/, a session and attempts through the proxy."""

from __future__ import annotations

import httpx

from grader.report import Report

from ..conftest import SUBMISSIONS
from .nginx import location_prefix, readme_block
from .students import student

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()


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
        report = Report.model_validate(checked.json())
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

    from .nginx import nginx
    from .servers import serving

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
