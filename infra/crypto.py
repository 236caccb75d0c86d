from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class KeyUnavailableError(Exception):
    """A data key is gone (erased) or does not open with this key-encryption key."""


class KeyRing:
    """Seals personal data with per-stream data keys, wrapped by one key-encryption key.

    The KEK never enters the database; without it the stored data keys are noise."""

    def __init__(self, kek: bytes) -> None:
        self._kek = AESGCM(kek)
        # A short fingerprint names which KEK wrapped a data key, for rotation later.
        self.kek_id = hashlib.sha256(kek).hexdigest()[:16]
        self._mac_key = hmac.new(kek, b"zumik fingerprints", hashlib.sha256).digest()

    def fingerprint(self, *parts: bytes) -> bytes:
        """A keyed digest: it can match a repeated request without being a guessable
        hash of the personal data inside it."""
        mac = hmac.new(self._mac_key, digestmod=hashlib.sha256)
        for part in parts:
            mac.update(len(part).to_bytes(8, "big") + part)
        return mac.digest()

    def new_data_key(self, key_id: UUID) -> tuple[bytes, bytes]:
        """A fresh data key and its wrapped form, bound to `key_id`."""
        key = AESGCM.generate_key(bit_length=256)
        return key, seal_with(self._kek, key, key_id.bytes)

    def unwrap(self, key_id: UUID, wrapped: bytes) -> bytes:
        return open_sealed(self._kek, wrapped, key_id.bytes)


def field_aad(stream_id: UUID, field: str) -> bytes:
    # Binding each ciphertext to its stream and field stops a sealed value being
    # moved to another ticket or another field and read there.
    return stream_id.bytes + field.encode()


def seal_with(cipher: AESGCM, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + cipher.encrypt(nonce, plaintext, aad)


def open_sealed(cipher: AESGCM, sealed: bytes, aad: bytes) -> bytes:
    try:
        return cipher.decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
    except InvalidTag:
        raise KeyUnavailableError("sealed data does not open with this key") from None


def load_kek(kek: bytes | None, kek_file: Path | None, data_dir: Path) -> bytes:
    """The KEK from settings, else from a file; else the embedded default in the data folder."""
    if kek is not None:
        return kek
    path = kek_file or data_dir / "kek"
    if kek_file is None and not path.exists():
        _create_key_file(path)
    key = base64.b64decode(path.read_text().strip())
    if len(key) != 32:
        raise ValueError(f"{path} must hold a base64 AES-256 key (32 bytes)")
    return key


def _create_key_file(path: Path) -> None:
    # Written aside, then linked into place: two processes starting at once agree on
    # one key, and neither can read a half-written file.
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
