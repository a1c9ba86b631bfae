"""The LTI tests' parts: the test platform on loopback, and the tool in-process (FastAPI's test
client on https://testserver, so the browser-like client keeps Secure cookies) or as ``gdgrade serve``."""

from __future__ import annotations

import contextlib
import json
import re
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from grader import quiz as quiz_module
from grader.grade import Settings
from grader.serve.app import Options, create_app
from grader.serve.identity import CSRF_HEADER
from grader.serve.lti import Lti, LtiConfig
from grader.serve.store import open_store
from tests.conftest import SEED, chromium
from tests.serve.servers import serving

from .platform import Link, Platform

TOOL = "https://testserver"
LINKS = {"gd": Link("Gradient descent", {"quiz": "gradient_descent"}), "bp": Link("Backprop", {"quiz": "backprop"}),
         "bare": Link("No quiz named", {}), "other": Link("Not served", {"quiz": "no_such_quiz"})}


@pytest.fixture(scope="module")
def lms_browser(tmp_path_factory):
    """Chromium as most students' browsers are set: the LMS's frame may keep the tool's cookies
    (Chromium's headless default blocks third-party cookies; a browser that does is told to open the
    activity in a new window, see test_verify.py)."""
    driver = chromium(tmp_path_factory.mktemp("chromium"), {"profile.cookie_controls_mode": 0,
                                                            "profile.block_third_party_cookies": False})
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def platform():
    platform = Platform(TOOL, links=dict(LINKS)).start()
    yield platform
    platform.stop()


@contextlib.contextmanager
def tool(platform: Platform, db: str, **lti: object):
    """The tool in-process, for ``platform``, keeping its store at ``db``."""
    config = LtiConfig.model_validate({"url": TOOL, "platforms": [platform.config()]})
    quizzes = [quiz_module.load("gradient_descent"), quiz_module.load("backprop")]
    with open_store(db) as store:
        app = create_app(quizzes, Settings(seed=SEED, timeout=5),
                         Options(jobs=1, seed=SEED, store=store, lti=Lti(config, **lti)))  # type: ignore[arg-type]
        with TestClient(app, base_url=TOOL) as client:
            client.store = store  # type: ignore[attr-defined]
            yield client


def browser_for(client: TestClient) -> TestClient:
    """Another browser on the same running tool: its own cookies."""
    return TestClient(client.app, base_url=TOOL)


def form_of(page: str) -> dict[str, str]:
    return {name: value for name, value in re.findall(r'name="([^"]+)" value="([^"]*)"', page)}


def begin(browser: TestClient, platform: Platform, user: str, role: str = "Learner", link: str | None = "gd",
          deep: bool = False) -> dict[str, str]:
    """Click the activity in the LMS and follow it to the launch the platform posts: its fields."""
    params = {"user": user, "role": role, **({"link": link} if link else {}), **({"deep": "true"} if deep else {})}
    initiation = httpx.get(f"{platform.issuer}/launch", params=params)
    assert initiation.status_code == 302, initiation.text
    login = urlsplit(initiation.headers["location"])
    assert f"{login.scheme}://{login.netloc}" == TOOL and login.path == "/lti/login"
    to_platform = browser.get(f"{login.path}?{login.query}", follow_redirects=False)
    assert to_platform.status_code == 302, to_platform.text
    launch_form = httpx.get(to_platform.headers["location"])
    assert launch_form.status_code == 200, launch_form.text
    return form_of(launch_form.text)


def launch(browser: TestClient, platform: Platform, user: str, role: str = "Learner", link: str | None = "gd",
           deep: bool = False) -> httpx.Response:
    """A whole launch; on the quiz page, the browser holds the session and sends its token."""
    answer = browser.post("/lti/launch", data=begin(browser, platform, user, role, link, deep), follow_redirects=False)
    if answer.status_code == 303:
        me = browser.get("/api/me")
        assert me.status_code == 200, me.text
        browser.headers[CSRF_HEADER] = me.json()["csrf"]
    return answer


@contextlib.contextmanager
def serving_tool(platform: Platform, folder, port: int, db: str | None = None, public: int | None = None):
    """``gdgrade serve --lti-config`` for ``platform`` on 127.0.0.1:``port`` (another site than the
    platform's localhost), its store ``db`` (an SQLite file in ``folder``), the tool's public address
    http://127.0.0.1:``public`` (``port``: a replica behind a balancer has another's)."""
    config = folder / "lti.json"
    config.write_text(json.dumps({"url": f"http://127.0.0.1:{public or port}", "platforms": [platform.config()]}))
    with serving(folder, ["--port", str(port), "--seed", str(SEED), "--jobs", "1", "--also", "backprop", "--db",
                          db or str(folder / "attempts.sqlite"), "--lti-config", str(config), "--lti-retry-most", "2",
                          "--rate", "0"]) as running:
        assert running.port == port
        yield running.url


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, seconds: float = 120, every: float = 0.1):
    """``condition()``'s first true value; fails after a generous deadline (never asserts a duration)."""
    import time

    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(every)
