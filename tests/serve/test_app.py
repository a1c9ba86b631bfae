"""gdgrade serve's app (grader/serve/app.py): the API through FastAPI's test client, its limits, and hostile files
sent through the page to a server running contained, as a batch does."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from grader import report_json
from grader.grade import Settings
from grader.serve.app import Options, create_app
from grader.serve.identity import CSRF_HEADER
from tests.attacks import ATTACKS
from tests.conftest import SEED, SUBMISSIONS
from tests.containment import CONTAINED, pids_cgroup
from tests.serve.students import Student

RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()
FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()


@contextlib.contextmanager
def serving(quiz, settings=None, **options):
    options.setdefault("seed", SEED)
    app = create_app(quiz, settings or Settings(seed=SEED, timeout=5), Options(jobs=2, **options))
    with Student(app) as client:  # runs the lifespan: the runner pool starts and stops with it
        client.app = app
        client.app_state = app.state
        client.start()
        yield client


def another(client: Student, address: str = "testclient", **headers: str) -> Student:
    """A second browser on the same running server (its lifespan is the first client's)."""
    return Student(client.app, client=(address, 50001), headers=headers)


@pytest.fixture(scope="module")
def client(quiz):
    with serving(quiz) as client:
        yield client


def test_the_page_and_its_own_assets_are_served_with_a_strict_policy(client):
    page = client.get("/")
    assert page.status_code == 200 and '<textarea id="code"' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "http" not in page.text  # nothing from elsewhere: it works offline
    for asset in ("/static/page.js", "/static/page.css"):
        answer = client.get(asset)
        assert answer.status_code == 200 and "http://" not in answer.text and "https://" not in answer.text
    assert client.get("/static/../app.py").status_code == 404


def test_the_quiz_says_what_to_do_and_what_a_right_file_prints(client, quiz):
    about = client.get("/api/quiz").json()
    assert about["instructions"] == quiz.instructions and "`del_w`" in about["instructions"]
    assert about["expected_output"].endswith("Change in Weights:\n[-0.02031869 -0.04063738 -0.06095608 -0.08127477]\n")
    assert about["starter"] == quiz.starter_source and about["solution"] is None
    assert {item["name"]: item["value"] for item in about["inputs"]} == {
        "learnrate": "0.5", "x": "[1, 2, 3, 4]", "y": "0.5", "w": "[0.5, -0.5, 0.3, 0.1]"}


def test_a_test_run_shows_the_printout_or_the_students_own_traceback(client):
    ran = client.post("/api/run", json={"source": FORGOT}).json()
    assert ran["status"] == "completed" and ran["error"] is None
    assert ran["stdout"].endswith("[-0.04063738 -0.08127477 -0.12191215 -0.16254953]\n")
    broken = client.post("/api/run", json={"source": RIGHT.replace("h = np.dot(x, w)", "h = np.dot(x, v)")}).json()
    assert broken["status"] == "runtime_error" and broken["error"]["case"] == "public"
    assert "NameError: name 'v' is not defined" in broken["error"]["traceback"]
    assert "h = np.dot(x, v)" in broken["error"]["traceback"]


def test_a_check_is_the_report_gdgrade_check_gives_a_student(client):
    answer = client.post("/api/check", json={"source": FORGOT})
    report = report_json.load(answer.content)
    checks = {check.name: check for check in report.checks}
    assert report.score == 4 and checks["del_w"].outcome.value == "wrong"
    assert checks["del_w"].hint == "The step is scaled by the learning rate: learnrate * error_term * x."
    assert checks["del_w"].line is not None
    assert all(case.expected is None for check in report.checks for case in check.cases[1:])  # hidden: not shown
    assert report.grading is None  # the seed would let a student draw the hidden cases again
    assert client.get("/api/solution").status_code == 403


def test_full_marks_unlock_the_solution_for_that_student_only(client, quiz):
    other = another(client).start()
    assert client.post("/api/run", json={"source": RIGHT}).status_code == 200
    assert client.get("/api/solution").status_code == 403  # a test run earns nothing
    answer = client.post("/api/check", json={"source": RIGHT})
    assert answer.json()["score"] == 5
    assert client.get("/api/solution").json() == {"source": quiz.solution_source}
    assert client.get("/api/me").json()["earned_solution"] is True
    assert other.get("/api/solution").status_code == 403
    forged = other.post("/api/check", json={"source": RIGHT}, headers={CSRF_HEADER: "é".encode()})
    assert forged.status_code == 403  # a token no page sent, even one that is not ASCII: refused, never a 500


@pytest.mark.parametrize("mode, status", [("never", 403), ("always", 200)])
def test_the_solution_is_shown_as_the_instructor_says(quiz, mode, status):
    with serving(quiz, show_solution=mode) as client:
        assert client.get("/api/solution").status_code == status
        assert (client.get("/api/quiz").json()["solution"] is not None) == (mode == "always")
        assert client.post("/api/check", json={"source": RIGHT}).json()["score"] == 5
        assert client.get("/api/solution").status_code == status


def test_requests_are_bounded(client):
    assert client.post("/api/check", content=b"x" * (3 << 20),
                       headers={"content-type": "application/json"}).status_code == 413
    too_large = client.post("/api/check", json={"source": "#" * ((16 << 10) + 1)})
    assert too_large.status_code == 413
    assert too_large.json()["detail"] == "your file is 16385 bytes; the page takes files up to 16384 bytes"
    assert client.post("/api/check", json={"source": "é" * (8 << 10) + "#"}).status_code == 413  # bytes, not letters
    assert client.post("/api/check", json={"text": RIGHT}).status_code == 422
    description = client.get("/api/openapi.json").json()
    assert {"/api/run", "/api/check", "/api/quiz", "/api/solution"} <= set(description["paths"])
    assert "Report" in description["components"]["schemas"]


def test_a_file_sent_the_wrong_way_is_told_how_and_not_echoed(client):
    for sent in ({"content": b"h = 'my own code'\n", "headers": {"content-type": "text/plain"}},
                 {"files": {"file": ("gradient.py", b"h = 'my own code'\n")}}):
        answer = client.post("/api/check", **sent)
        assert answer.status_code == 422 and "my own code" not in answer.text
        assert answer.json()["detail"].startswith('send JSON {"source": "<the file\'s text>"}')


def test_a_full_queue_answers_503_with_retry_after(quiz):
    with serving(quiz, queue=1) as client:
        slow = threading.Thread(target=client.post, args=("/api/run",),
                                kwargs={"json": {"source": "import time\ntime.sleep(3)\n"}})
        slow.start()
        turns = client.app_state.turns
        deadline = time.monotonic() + 30
        while turns.inside < 1 and time.monotonic() < deadline:  # the first request holds the one place
            time.sleep(0.01)
        refused = another(client).start().post("/api/run", json={"source": RIGHT})
        slow.join()
        assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
        assert "busy" in refused.json()["detail"]
        assert client.post("/api/run", json={"source": RIGHT}).status_code == 200  # room again


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(server: subprocess.Popen, base: str) -> None:
    """Until the server answers; the deadline only bounds a server that never starts."""
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/api/quiz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()
        time.sleep(0.1)


def browser_session(base: str) -> httpx.Client:
    """An HTTP client holding a page's session: its cookie, and its token on every request."""
    client = httpx.Client(base_url=base, timeout=60)
    client.headers[CSRF_HEADER] = client.get("/api/me").json()["csrf"]
    return client


HOSTILE = ("fork_bomb", "kill_everything", "subprocess_shell", "daemon_grandchild", "stat_host_files",
           "scan_frames_and_objects")


def test_hostile_files_through_the_page_are_contained_as_in_a_batch(tmp_path):
    """A server started as an instructor would, contained (PID namespace, pids cgroup): files of the
    hostile suite sent through the API earn nothing, touch nothing, and the server goes on."""
    canary = tmp_path / "canary"
    canary.mkdir()
    token = secrets.token_hex(6)
    port = _free_port()
    group = pids_cgroup(f"gdgrade-test-serve-{token}")
    command = ["unshare", "--pid", "--fork", "--mount-proc", sys.executable, str(CONTAINED), "1", "--",
               sys.executable, "-m", "grader", "serve", "--port", str(port), "--jobs", "2", "--timeout", "3",
               "--rate", "0", "--db", str(tmp_path / "attempts.sqlite")]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
                              preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(server, base)
        page = browser_session(base)
        for name in HOSTILE:
            code = ATTACKS[name][0].replace("CANARY_DIR", str(canary)).replace("TOKEN", token).replace(
                "SUBMISSIONS_DIR", str(tmp_path)).replace("REFERENCE_PATH", "/nonexistent").replace(
                "REVERSED_SECRET", "terces")
            report = report_json.load(page.post("/api/check", json={"source": code}).content)
            assert report.score == 0 and report.sandbox.missing == [], name
            assert "PWNED" not in report.stdout + report.stderr, (name, report.stdout)
        honest = page.post("/api/check", json={"source": RIGHT}).json()
        assert honest["score"] == 5  # the pool survived every attack
    finally:
        with contextlib.suppress(OSError):  # the namespace's process 1: its end takes every process in it
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            for child in children:
                os.kill(int(child), signal.SIGKILL)
        server.wait(timeout=60)
        with contextlib.suppress(OSError):
            group.rmdir()
    assert os.listdir(canary) == []


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_server_stops_cleanly_as_a_service_manager_stops_it(tmp_path, stop):
    """systemd and Docker stop a service with SIGTERM, a terminal with Ctrl-C: either is exit code 0."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--port", str(port), "--db", "none"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        _wait_until_serving(server, f"http://127.0.0.1:{port}")
        server.send_signal(stop)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "Traceback" not in server.stderr.read().decode()


def test_serve_without_its_extra_says_how_to_install_it():
    script = "import sys; sys.modules['uvicorn'] = None\nfrom grader.entry import main; main(['serve'])"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == ("gdgrade: error: gdgrade serve needs its extra packages: pip install '.[serve]' in "
                             "gdgrade's folder (gdgrade is not on PyPI yet)\n")


def test_a_stop_answers_the_waiting_at_once_and_keeps_what_it_answered(tmp_path):
    """SIGTERM with one attempt being graded and two waiting: the two get 503 at once, the one is
    graded, kept and answered, and the server exits 0 without waiting for a queue."""
    port, db = _free_port(), tmp_path / "attempts.sqlite"
    server = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--port", str(port), "--jobs", "1",
                               "--db", str(db), "--rate", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    answers: dict[str, httpx.Response] = {}
    try:
        _wait_until_serving(server, base)
        slow = RIGHT + "\nimport time\ntime.sleep(4)\n"
        sent = [threading.Thread(target=lambda name=name, source=source: answers.__setitem__(
                    name, browser_session(base).post("/api/check", json={"source": source})))
                for name, source in (("graded", slow), ("waiting1", RIGHT), ("waiting2", RIGHT))]
        sent[0].start()
        deadline = time.monotonic() + 60  # bounds a broken server only
        while httpx.get(f"{base}/readyz").json()["attempts_inside"] < 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        for thread in sent[1:]:
            thread.start()
        while httpx.get(f"{base}/readyz").json()["attempts_inside"] < 3:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        server.send_signal(signal.SIGTERM)
        for thread in sent:
            thread.join(timeout=60)
        assert server.wait(timeout=60) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert answers["graded"].status_code == 200 and answers["graded"].json()["score"] == 5
    for name in ("waiting1", "waiting2"):
        assert answers[name].status_code == 503 and "stopping" in answers[name].json()["detail"]
    from grader.serve.store import open_store

    with open_store(str(db)) as store:
        [row] = store.students("gradient_descent")
        assert (row.attempts, row.best_score) == (1, 5.0)  # the answered attempt was kept; the refused were not


def test_one_server_serves_every_quiz_it_is_given(quiz):
    from grader.quiz import load

    backprop = load("backprop")
    with serving([quiz, backprop]) as client:
        assert client.get("/api/quiz").json()["name"] == quiz.name  # the first is the default
        about = client.get("/api/quiz", params={"quiz": "backprop"}).json()
        assert (about["name"], about["filename"]) == ("backprop", "backprop.py")
        graded = client.post("/api/check", params={"quiz": "backprop"}, json={"source": backprop.solution_source})
        assert graded.json()["quiz"] == "backprop" and graded.json()["score"] == graded.json()["max_score"]
        assert client.get("/api/solution", params={"quiz": "backprop"}).status_code == 200
        assert client.get("/api/solution").status_code == 403  # earned for backprop, not for this quiz
        unknown = client.get("/api/quiz", params={"quiz": "nope"})
        assert unknown.status_code == 404 and "gradient_descent, backprop" in unknown.json()["detail"]


def test_over_https_a_session_planted_by_another_host_is_not_taken(client):
    """Behind a proxy that ends TLS, the session cookie is ``__Host-``, which only the page's own host can
    set: a sibling host of the domain that plants a session of its own (its name, a Domain attribute)
    does not sign the student in as someone else (cookie tossing)."""
    https = {"x-forwarded-proto": "https", "x-forwarded-prefix": "/quiz"}
    mallory = another(client, "127.0.0.1", **https)
    me = mallory.get("/api/me")
    cookie = me.headers["set-cookie"]
    name, _, rest = cookie.partition("=")
    assert name.startswith("__Host-gdgrade_session-") and "Path=/;" in rest and "secure" in rest.lower()
    sealed = rest.split(";")[0]
    victim = another(client, "127.0.0.1", **https)
    for planted in (f"gdgrade_session={sealed}", f"gdgrade_session={sealed}; {name}=x.y"):
        answer = victim.get("/api/me", headers={"cookie": planted})
        assert answer.status_code == 200 and answer.json()["csrf"] != me.json()["csrf"], planted
    assert victim.get("/api/me", headers={"cookie": f"{name}={sealed}"}).json()["csrf"] == me.json()["csrf"]


def test_another_servers_cookie_of_the_same_name_does_not_hide_this_ones(client):
    """One host may run several pages (ports, prefixes): the browser then sends each one's cookie,
    the longer path first; the session is whichever value this server signed."""
    own = client.cookies["gdgrade_session"]
    foreign = another(client).start()
    foreign.cookies.clear()
    for order in (f"gdgrade_session=x.y; gdgrade_session={own}", f"gdgrade_session={own}; gdgrade_session=x.y"):
        answer = foreign.post("/api/run", json={"source": RIGHT},
                              headers={"cookie": order, CSRF_HEADER: client.headers[CSRF_HEADER]})
        assert answer.status_code == 200, (order, answer.text)
