"""Who asks: signed sessions, and which headers count from which addresses."""

from __future__ import annotations

import ipaddress

from grader.serve import identity
from grader.serve.identity import Identity, Sessions

PROXIES = identity.LOOPBACK + (ipaddress.ip_network("10.0.0.0/8"),)


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


def test_a_proxy_user_names_one_student_or_nobody():
    assert identity.proxy_user(" ana ") == Identity("proxy:ana", "ana")
    assert identity.proxy_user("Zoë Ö") == Identity("proxy:Zoë Ö", "Zoë Ö")
    for name in ("José", "名前", "Łukasz Ćwik"):  # as a header brings them: UTF-8 bytes read as Latin-1
        assert identity.proxy_user(name.encode().decode("latin-1")) == Identity(f"proxy:{name}", name)
    for nobody in (None, "", "   ", "a" * 201, "ana\x00bo", "ana\nbo"):
        assert identity.proxy_user(nobody) is None
    assert identity.anonymous().anonymous and identity.anonymous() != identity.anonymous()
