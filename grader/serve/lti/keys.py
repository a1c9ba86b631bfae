"""The tool's own key pair: it signs the grade service's client assertion and Deep Linking answers.

Made on first start and kept in the store's secrets (as PEM), not in a file: every replica on the
database signs with the same key, and the platform's cached copy of ``/lti/jwks`` stays right
whichever replica it asked. The SQLite file is its owner's alone; PostgreSQL keeps it behind the
database's own login.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from grader.serve.store import Store

SECRET_NAME = "lti-tool-key"
ALGORITHM = "RS256"
"""The one algorithm LTI 1.3 requires of every platform and tool."""


def _new_key() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class ToolKey:
    """The private key, its public JWK, and signing with it."""

    def __init__(self, pem: bytes):
        loaded = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError("the stored LTI key is not an RSA key")
        self._private = loaded
        public: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(loaded.public_key()))
        self.kid = _thumbprint(public)
        self.jwk = {**public, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}

    @classmethod
    def kept_in(cls, store: Store) -> ToolKey:
        return cls(store.secret(SECRET_NAME, make=_new_key))

    def sign(self, claims: Mapping[str, Any], lifetime: int = 300) -> str:
        """``claims`` as a JWT signed by the tool, with ``iat``, ``exp`` and a fresh ``jti``."""
        now = int(time.time())
        return jwt.encode({"iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex, **claims}, self._private,
                          algorithm=ALGORITHM, headers={"kid": self.kid})


def _thumbprint(public: Mapping[str, Any]) -> str:
    """RFC 7638's thumbprint of an RSA JWK: a kid that changes exactly when the key does."""
    canonical = json.dumps({"e": public["e"], "kty": "RSA", "n": public["n"]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
