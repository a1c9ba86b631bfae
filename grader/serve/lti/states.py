"""A login's state and nonce, made and checked by the tool alone: beginning a login writes nothing.

Anyone may begin a login, so nothing is kept for one: the state says when it was made and for which
platform, signed with a key from the store every replica shares, and the nonce is derived from it.
Only a launch whose id_token the platform signed records its state, to be taken once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

SHAPE = re.compile(r"([0-9a-f]{1,12})-([0-9a-f]{8})-[0-9a-f]{24}-([0-9a-f]{32})")
"""``issued-issuer-random-signature``, in hex: a state this tool made."""


@dataclass(frozen=True)
class Begun:
    """What a state says, once its signature is checked."""

    issued: int
    """Unix seconds."""
    issuer_digest: str
    nonce: str


class States:
    def __init__(self, secret: bytes):
        self._key = hmac.new(secret, b"gdgrade lti state", hashlib.sha256).digest()

    def new(self, issuer: str, now: float) -> tuple[str, str]:
        """A state for a login to ``issuer`` begun at ``now``, and its nonce."""
        body = f"{int(now):x}-{_digest(issuer)}-{secrets.token_hex(12)}"
        state = f"{body}-{self._sign(body)}"
        return state, self._nonce(state)

    def read(self, state: str) -> Begun | None:
        """What ``state`` says, or None when this tool did not make it."""
        found = SHAPE.fullmatch(state)
        if found is None or not hmac.compare_digest(found[3], self._sign(state.rpartition("-")[0])):
            return None
        return Begun(int(found[1], 16), found[2], self._nonce(state))

    @staticmethod
    def for_issuer(begun: Begun, issuer: str) -> bool:
        return hmac.compare_digest(begun.issuer_digest, _digest(issuer))

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]

    def _nonce(self, state: str) -> str:
        return hmac.new(self._key, b"nonce " + state.encode(), hashlib.sha256).hexdigest()[:32]


def _digest(issuer: str) -> str:
    return hashlib.sha256(issuer.encode("utf-8", "surrogateescape")).hexdigest()[:8]
