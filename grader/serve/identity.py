"""Who is asking: the client's address, the student behind it, and the signed session that carries both.

A page with many students must know whose attempt each is, and must not take that from the client.
Three ways, one option each: anonymous (a random id the server mints, for a student's own machine),
a trusted proxy's user header (``--user-header``: honoured only from the proxy's addresses, which
are also the only ones whose ``X-Forwarded-For`` and ``X-Forwarded-Prefix`` count), and an LMS
launch. Whoever it is, the session is a cookie signed with a secret every replica shares, holding
the identity and a token each POST must echo in a header: another site's page can make a browser
send the cookie, never read the token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["student", "instructor"]
Address = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[Address, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
CSRF_HEADER = "X-CSRF-Token"
PROXY_HEADER = "x-gdgrade-proxy"
"""Where the proxy puts ``--proxy-secret``, when one is set."""
USER_BYTES = 200
"""The longest user name a proxy may send: longer is refused, never cut (two users would merge)."""


@dataclass(frozen=True)
class Identity:
    """A student or instructor: ``user`` is the key their attempts are kept under."""

    user: str
    """``anon:<hex>``, ``proxy:<name>``, ``lti:<issuer>|<sub>``: the kind is part of the key, so kinds
    never collide."""
    name: str | None
    """What an instructor sees; None for an anonymous student."""
    role: Role = "student"

    @property
    def anonymous(self) -> bool:
        return self.user.startswith("anon:")


@dataclass(frozen=True)
class Session:
    identity: Identity
    csrf: str
    issued: int
    """Unix seconds: a session older than the server's ``max_age`` is not taken."""
    launch: str | None = None
    """The LTI launch the session began with (its id in the store): where its scores go."""
    grant: str | None = None
    """For an instructor who signed in with the server's token: that token's digest (``grant``), so
    the role ends when the token changes; None for a role an LMS launch gave."""


def grant(token: str) -> str:
    """What a session keeps of the instructor token that promoted it: enough to tell the token changed."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class Sessions:
    """Session cookies: the session as JSON, base64url, then an HMAC-SHA256 of it with ``secret``.

    Nothing in a cookie is read before its signature is checked, and only the fields above are
    read from it.
    """

    def __init__(self, secret: bytes, max_age: int):
        self.secret, self.max_age = secret, max_age

    def new(self, identity: Identity, now: float | None = None, launch: str | None = None,
            granted: str | None = None) -> Session:
        return Session(identity, secrets.token_urlsafe(24), int(time.time() if now is None else now), launch,
                       granted)

    def seal(self, session: Session) -> str:
        fields = {"u": session.identity.user, "n": session.identity.name, "r": session.identity.role,
                  "c": session.csrf, "t": session.issued}
        if session.launch is not None:
            fields["l"] = session.launch
        if session.grant is not None:
            fields["g"] = session.grant
        payload = json.dumps(fields, separators=(",", ":")).encode()
        body = base64.urlsafe_b64encode(payload).rstrip(b"=")
        return (body + b"." + base64.urlsafe_b64encode(self._mac(body)).rstrip(b"=")).decode()

    def open(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session a cookie holds, or None when it is absent, forged, altered or too old."""
        if not cookie or len(cookie) > 4096 or not cookie.isascii():
            return None
        body, _, mac = cookie.encode().partition(b".")
        try:
            if not hmac.compare_digest(_unpad(mac), self._mac(body)):
                return None
            fields = json.loads(_unpad(body))
            session = Session(Identity(str(fields["u"]), None if fields["n"] is None else str(fields["n"]),
                                       "instructor" if fields["r"] == "instructor" else "student"),
                              str(fields["c"]), int(fields["t"]), None if fields.get("l") is None else str(fields["l"]),
                              None if fields.get("g") is None else str(fields["g"]))
        except (ValueError, TypeError, KeyError, binascii.Error):
            return None
        age = (time.time() if now is None else now) - session.issued
        return session if 0 <= age <= self.max_age else None

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self.secret, body, hashlib.sha256).digest()


def _unpad(text: bytes) -> bytes:
    """Strict base64url without padding: any other byte is refused, so a cookie has one spelling."""
    return base64.b64decode(text + b"=" * (-len(text) % 4), altchars=b"-_", validate=True)


def same_token(sent: str | None, expected: str) -> bool:
    """Whether a token from a header matches, in constant time; any text may arrive, ASCII or not."""
    return sent is not None and hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode())


@dataclass(frozen=True)
class Peer:
    """Where a request comes from, as far as the server can trust it."""

    address: str
    """The client's address: the proxy's ``X-Forwarded-For`` when the peer is a trusted proxy."""
    proxied: bool
    """Whether the peer is a trusted proxy, whose headers count."""
    prefix: str
    """The path prefix the page is served under (``X-Forwarded-Prefix`` from a trusted proxy, else
    the server's ``--root-path``), for the cookies' path or name."""
    secure: bool
    """Whether the browser reached the page over HTTPS (``X-Forwarded-Proto`` from a trusted proxy)."""


@dataclass(frozen=True)
class Cookie:
    """Where one of the server's cookies is kept in the browser: its name, path and Secure flag."""

    name: str
    path: str
    secure: bool


def cookie(base: str, sender: Peer, secure: bool) -> Cookie:
    """Where the cookie ``base`` goes. A Secure one is named ``__Host-``: a browser takes that name only
    from this very host, with Path=/, so a sibling host of the domain cannot plant its own value (a
    session, a login's state) in a student's browser (cookie tossing). The page's path prefix is then in
    the name, so that servers under two prefixes of one host keep their own. Over plain HTTP no name
    protects anything: the cookie keeps its plain name and the prefix as its path."""
    if not secure:
        return Cookie(base, sender.prefix or "/", False)
    place = f"-{hashlib.sha256(sender.prefix.encode()).hexdigest()[:12]}" if sender.prefix else ""
    return Cookie(f"__Host-{base}{place}", "/", True)


def cookie_names(base: str, sender: Peer) -> tuple[str, ...]:
    """The names a request's cookie ``base`` is read under: the ``__Host-`` one, and the plain one only
    for a page reached over plain HTTP (over HTTPS, a plain name may be another host's plant)."""
    host = cookie(base, sender, secure=True).name
    return (host,) if sender.secure else (host, base)


def trusted(address: str, proxies: Sequence[Address]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def peer(direct: str, headers: dict[str, str], proxies: Sequence[Address], root_path: str,
         secret: str | None = None) -> Peer:
    """Who sent a request. ``X-Forwarded-*`` count only from a trusted proxy (and, with a
    ``secret``, only when the request carries it in ``X-Gdgrade-Proxy``: on a machine other
    accounts share, they reach loopback too); the client is the last address in
    ``X-Forwarded-For`` that is not itself a trusted proxy."""
    if not trusted(direct, proxies) or (secret is not None and not same_token(headers.get(PROXY_HEADER), secret)):
        return Peer(direct, False, root_path, False)
    address = direct
    for hop in reversed([part.strip() for part in headers.get("x-forwarded-for", "").split(",") if part.strip()]):
        address = hop
        if not trusted(hop, proxies):
            break
    prefix = headers.get("x-forwarded-prefix", root_path).rstrip("/")
    if not prefix.startswith("/") or not prefix.isascii() or any(c in prefix for c in ";,\r\n\t "):
        prefix = root_path
    return Peer(address, True, prefix, headers.get("x-forwarded-proto", "").lower() == "https")


def proxy_user(value: str | None) -> Identity | None:
    """The identity a trusted proxy's user header names, or None when it names nobody usable."""
    if value is None:
        return None
    try:  # HTTP headers arrive as Latin-1 text; a proxy sends a login's UTF-8 bytes (José, 名前)
        value = value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass  # not UTF-8: taken as Latin-1, as it came
    name = value.strip()
    if not name or len(name.encode("utf-8", "surrogateescape")) > USER_BYTES or not name.isprintable():
        return None
    return Identity(f"proxy:{name}", name)


def anonymous() -> Identity:
    return Identity(f"anon:{secrets.token_hex(12)}", None)
