"""Ed25519 signing keys and EdDSA JWTs, the token format sqld and Turso Cloud accept."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair; sqld gets the public half, tokens are signed with the private one."""

    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_pem(cls, pem: bytes) -> SigningKey:
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(key)

    def private_pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_b64url(self) -> str:
        """The raw public key in URL-safe base64: what `--auth-jwt-key-file` and `jwt_key` take."""
        raw = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return _b64url(raw)

    def mint(
        self,
        *,
        read_only: bool = False,
        expires_in: float | None = None,
        extra: dict[str, Any] | None = None,
        now: float | None = None,
    ) -> str:
        """An EdDSA JWT; ``"a": "ro"`` makes sqld refuse writes, ``exp`` makes it expire."""
        issued = int(now if now is not None else time.time())
        claims: dict[str, Any] = {"iat": issued}
        if read_only:
            claims["a"] = "ro"
        if expires_in is not None:
            claims["exp"] = issued + int(expires_in)
        if extra:
            claims.update(extra)
        import jwt  # PyJWT pulls in cryptography's X.509 (~35 ms): only when a token is minted

        return jwt.encode(claims, self.private, algorithm="EdDSA")
