"""The tool end to end against an LTI platform we did not write (tests/serve/lti/platform.py), both on
loopback: ``gdgrade serve --lti-config`` as a subprocess, Chromium as the browser, the platform's
gradebook as the judge. The platform is taken down, made to answer 500, and made slow; every
score still arrives, once, in order."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from grader import quiz as quiz_module
from grader.serve.store import open_store
from tests.conftest import SUBMISSIONS, console_errors
from tests.serve.page import submit, wait_for, wait_ready

from .conftest import free_port, serving_tool, wait_until
from .platform import Link, Platform

FORGOT = (SUBMISSIONS / "forgot_learnrate" / "gradient.py").read_text()
RIGHT = (SUBMISSIONS / "correct_dot" / "gradient.py").read_text()


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    """The platform (http://localhost:P) and the tool (http://127.0.0.1:T): two sites, as an LMS and a
    tool are."""
    port = free_port()
    platform = Platform(f"http://127.0.0.1:{port}", links={"gd": Link("Gradient descent",
                                                                      {"quiz": "gradient_descent"})}).start()
    folder = tmp_path_factory.mktemp("tool")
    with serving_tool(platform, folder, port):
        platform.db = str(folder / "attempts.sqlite")
        yield platform
    platform.stop()


def sent_to(platform: Platform, user: str, link: str = "gd") -> list[tuple[float, str]]:
    """Every Score the platform took for ``user`` at ``link``, in the order it came: (score, progress)."""
    return [(score["scoreGiven"], score["activityProgress"]) for item, score in list(platform.scores)
            if item == platform.lineitem(link) and score["userId"] == user]


def outbox_of(platform: Platform, user: str):
    with open_store(platform.db) as store:
        return store.lti.outbox(f"lti:{platform.issuer}|{user}")


def test_a_learner_launched_in_the_lms_frame_is_graded_into_its_gradebook(lms_browser, lms):
    lms_browser.get(f"{lms.issuer}/course?user=alice&link=gd")
    lms_browser.switch_to.frame(wait_for(lms_browser, lambda driver: driver.find_element(By.ID, "tool")))
    try:
        wait_ready(lms_browser)
        assert lms_browser.find_element(By.ID, "who").text.startswith("Signed in as Alice Example · ")
        submit(lms_browser, FORGOT, "Your answer: 4 of 5")
        first = wait_until(lambda: lms.grades(lms.lineitem("gd")).get("alice"))
        assert (first["scoreGiven"], first["scoreMaximum"]) == (4, 5)
        assert (first["activityProgress"], first["gradingProgress"]) == ("Submitted", "FullyGraded")
        submit(lms_browser, RIGHT, "Your answer: 5 of 5")
        wait_until(lambda: lms.grades(lms.lineitem("gd"))["alice"]["scoreGiven"] == 5)
        assert lms.grades(lms.lineitem("gd"))["alice"]["activityProgress"] == "Completed"
        submit(lms_browser, FORGOT, "Your answer: 4 of 5")  # --grade best: the gradebook keeps the 5
        wait_until(lambda: len(sent_to(lms, "alice")) == 3)
        assert sent_to(lms, "alice") == [(4, "Submitted"), (5, "Completed"), (5, "Completed")]
        assert lms.refused == []
        assert console_errors(lms_browser) == []
    finally:
        lms_browser.switch_to.default_content()


def test_an_instructor_adds_a_quiz_by_deep_linking_and_sees_the_class(lms_browser, lms):
    backprop = quiz_module.load("backprop")
    lms_browser.get(f"{lms.issuer}/course?user=prof&role=Instructor&deep=true")
    lms_browser.switch_to.frame(wait_for(lms_browser, lambda driver: driver.find_element(By.ID, "tool")))
    try:
        wait_for(lms_browser, lambda driver: driver.find_elements(By.XPATH, f"//button[text()='{backprop.title}']"))[
            0].click()
        added = wait_for(lms_browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "li.added"))[0]
        link = added.get_attribute("data-link")
        assert added.text == backprop.title and lms.links[link].custom == {"quiz": "backprop"}
    finally:
        lms_browser.switch_to.default_content()
    lms_browser.get(f"{lms.issuer}/launch?user=bob&link={link}")  # a learner, in a new window this time
    wait_ready(lms_browser)
    assert lms_browser.find_element(By.ID, "title").text == backprop.title
    submit(lms_browser, backprop.solution_source, "Your answer: ")
    wait_until(lambda: sent_to(lms, "bob", link))
    assert [score for score, _ in sent_to(lms, "bob", link)] == [sum(step.weight for step in backprop.steps)]
    lms_browser.get(f"{lms.issuer}/launch?user=prof&role=Instructor&link={link}")
    wait_ready(lms_browser)
    lms_browser.find_element(By.LINK_TEXT, "The class").click()
    wait_for(lms_browser, lambda driver: driver.find_elements(By.CSS_SELECTOR, "#students tbody tr"))
    rows = [row.text for row in lms_browser.find_elements(By.CSS_SELECTOR, "#students tbody tr")]
    assert len(rows) == 1 and "Bob Example" in rows[0]


def test_a_platform_that_was_down_gets_each_score_once_when_it_is_back(lms_browser, lms):
    lms_browser.get(f"{lms.issuer}/launch?user=carol&link=gd")
    wait_ready(lms_browser)
    with lms.down():
        submit(lms_browser, FORGOT, "Your answer: 4 of 5")
        submit(lms_browser, RIGHT, "Your answer: 5 of 5")
        kept = wait_until(lambda: [row for row in outbox_of(lms, "carol") if row.tries >= 2]
                          and outbox_of(lms, "carol"))
        assert [(row.score, row.sent) for row in kept] == [(4, None), (5, None)]
        assert "could not be reached" in (kept[0].problem or "")
        assert kept[1].tries == 0  # the second waits for the first: never out of order
    wait_until(lambda: len(sent_to(lms, "carol")) == 2)
    assert sent_to(lms, "carol") == [(4, "Submitted"), (5, "Completed")]
    wait_until(lambda: all(row.sent is not None for row in outbox_of(lms, "carol")))
    assert sent_to(lms, "carol") == [(4, "Submitted"), (5, "Completed")]  # and nothing more came


def test_a_platform_answering_500_then_slowly_gets_the_score_once(lms_browser, lms):
    lms_browser.get(f"{lms.issuer}/launch?user=dan&link=gd")
    wait_ready(lms_browser)
    lms.mode = "error"
    try:
        submit(lms_browser, FORGOT, "Your answer: 4 of 5")
        # a try may also meet a connection the platform closed under it (a ReadError): it waits all the same
        failed = wait_until(lambda: [row for row in outbox_of(lms, "dan")
                                     if row.tries >= 2 and "answered 500" in (row.problem or "")])
        assert failed[0].sent is None and sent_to(lms, "dan") == []
        lms.mode = "slow"  # slower than a page, within the tool's timeout
        wait_until(lambda: all(row.sent is not None for row in outbox_of(lms, "dan")))
    finally:
        lms.mode = "up"
    assert sent_to(lms, "dan") == [(4, "Submitted")]


def test_a_browser_that_keeps_no_cookies_in_the_lms_frame_is_told_to_open_a_new_window(browser, lms):
    browser.get(f"{lms.issuer}/course?user=hal&link=gd")  # Chromium's own default: no third-party cookies
    browser.switch_to.frame(wait_for(browser, lambda driver: driver.find_element(By.ID, "tool")))
    try:
        heading = wait_for(browser, lambda driver: driver.find_elements(By.TAG_NAME, "h1"))[0]
        assert heading.text == "The quiz could not be opened"
        assert "open the activity in a new window" in browser.find_element(By.TAG_NAME, "body").text
    finally:
        browser.switch_to.default_content()
    browser.get(f"{lms.issuer}/launch?user=hal&link=gd")  # which works
    wait_ready(browser)
    assert browser.find_element(By.ID, "who").text.startswith("Signed in as Hal Example · ")


def test_two_replicas_on_one_postgresql_send_each_score_once(lms_browser, postgres, tmp_path):
    """Two servers share the database and its outbox; a student's page moves from one to the other (the
    session cookie is the database's, the host's cookies ignore the port). The platform is down while
    both take Submits, then back: each score arrives once, each student's in order."""
    first, second = free_port(), free_port()
    platform = Platform(f"http://127.0.0.1:{first}", links={"gd": Link("Gradient descent",
                                                                      {"quiz": "gradient_descent"})}).start()
    url = postgres.create_database()
    try:
        with serving_tool(platform, tmp_path, first, url) as one, \
                serving_tool(platform, tmp_path, second, url, public=first) as two:
            for user in ("ida", "jon"):
                lms_browser.delete_all_cookies()
                lms_browser.get(f"{platform.issuer}/launch?user={user}&link=gd")
                wait_ready(lms_browser)
                with platform.down():
                    submit(lms_browser, FORGOT, "Your answer: 4 of 5")  # on the first
                    lms_browser.get(f"{two}/?quiz=gradient_descent")
                    wait_ready(lms_browser)
                    submit(lms_browser, RIGHT, "Your answer: 5 of 5")  # on the second
                    lms_browser.get(f"{one}/?quiz=gradient_descent")
                    wait_ready(lms_browser)
                    submit(lms_browser, FORGOT, "Your answer: 4 of 5")  # on the first again
                    with open_store(url) as store:
                        whose = f"lti:{platform.issuer}|{user}"
                        wait_until(lambda: any(row.tries >= 2 for row in store.lti.outbox(whose)))  # noqa: B023
            with open_store(url) as store:
                wait_until(lambda: all(row.sent is not None for row in store.lti.outbox()))
            for user in ("ida", "jon"):
                assert sent_to(platform, user) == [(4, "Submitted"), (5, "Completed"), (5, "Completed")]
            assert platform.refused == []
    finally:
        platform.stop()


def test_a_score_tried_a_thousand_times_waits_the_longest_wait_and_the_senders_go_on():
    """At try 1,025 the doubling wait was 2 ** 1024 seconds, no float: the error ended every sender,
    for every platform, three days after an LMS began refusing one score."""
    from grader.serve.lti.outbox import Outbox

    outbox = Outbox(None, None, first=1.0, most=300.0)  # type: ignore[arg-type]
    assert all(240 <= outbox.delay(tries) <= 300 for tries in (10, 1025, 1030, 10**9))


def test_a_slow_platform_takes_half_the_senders_and_the_others_go_on(tmp_path, reports):
    """Four senders took the four oldest rows, all for one slow LMS, and every other platform's scores
    waited behind them. Half the senders at most now go to one platform: here the slow one's sends
    hold until the other platform's score is through, which they would wait for forever otherwise."""
    import asyncio

    from grader.serve.lti.outbox import Outbox
    from tests.serve.store.test_lti import submit

    slow, quick = "https://slow.example", "https://quick.example"

    class Scores:
        def __init__(self) -> None:
            self.sent: list[str] = []
            self.through = asyncio.Event()

        async def send(self, row) -> None:
            if row.issuer == slow:
                await asyncio.wait_for(self.through.wait(), 120)
            else:
                self.through.set()
            self.sent.append(row.subject)

        async def close(self) -> None:
            pass

    async def scenario(store) -> list[str]:
        scores = Scores()
        outbox = Outbox(store.lti, scores, senders=4, idle=0.01)  # type: ignore[arg-type]
        outbox.start()
        for _ in range(12000):  # bounded: until all five went
            if len(scores.sent) == 5:
                break
            await asyncio.sleep(0.01)
        await outbox.stop()
        return scores.sent

    with open_store(str(tmp_path / "attempts.db")) as store:
        for minute in range(4):
            submit(store, reports, f"s{minute}", "correct_dot", minute, lineitem=f"{slow}/items/1", issuer=slow)
        submit(store, reports, "q", "correct_dot", 9, lineitem=f"{quick}/items/1", issuer=quick)
        sent = asyncio.run(scenario(store))
    assert sent[0] == "q" and sorted(sent[1:]) == ["s0", "s1", "s2", "s3"]
