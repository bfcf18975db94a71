"""Endpoint secrets: made in the Standard Webhooks format, encrypted at rest, used to sign.

Signatures come from the ``standardwebhooks`` library (the reference implementation of the
spec), never from HMAC framing of our own. Secrets are ``whsec_`` + base64 of 32 random
bytes; the database holds them as Fernet tokens under :func:`cipher`'s keys.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from standardwebhooks.webhooks import Webhook

from api.core.settings import Settings

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh ``whsec_…`` signing secret."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _derived_key(secret_key: str) -> bytes:
    # A dedicated key per purpose: the JWT secret itself never touches the ciphertexts.
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"quartermaster webhook secrets").derive(secret_key.encode())
    return base64.urlsafe_b64encode(raw)


def cipher(settings: Settings) -> MultiFernet:
    """Encrypts with the first configured key, decrypts with any (key rotation)."""
    keys = settings.webhook_encryption_keys or [_derived_key(settings.secret_key).decode()]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt(settings: Settings, secret: str) -> str:
    """The stored form of ``secret``."""
    return cipher(settings).encrypt(secret.encode()).decode()


def decrypt(settings: Settings, token: str) -> str:
    """The secret stored as ``token``."""
    return cipher(settings).decrypt(token.encode()).decode()


def signature_header(secrets_: list[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """The ``webhook-signature`` value: one ``v1,…`` signature per secret, space-separated,
    as the spec prescribes while a secret is being rotated."""
    return " ".join(Webhook(s).sign(msg_id, timestamp, body) for s in secrets_)
