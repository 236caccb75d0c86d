from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from infra.crypto import field_aad, open_sealed, seal_with

# Each personal field is sealed on its own, so a view can copy one field's
# ciphertext (a subject, a body) out of an event without ever opening it.
SealedFields = dict[str, bytes | None]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(dict[str, bytes | None])


def seal_fields(key: bytes, stream_id: UUID, values: Mapping[str, str | None]) -> SealedFields:
    cipher = AESGCM(key)
    return {
        name: None if value is None else seal_with(cipher, value.encode(), field_aad(stream_id, name))
        for name, value in values.items()
    }


def pack(sealed: SealedFields) -> bytes:
    return _encoder.encode(sealed)


def unpack(blob: bytes) -> SealedFields:
    return _decoder.decode(blob)


class Opener:
    """Opens one stream's sealed fields, building its cipher once for all of them."""

    def __init__(self, key: bytes, stream_id: UUID) -> None:
        self.key = key
        self._cipher = AESGCM(key)
        self._stream_id = stream_id

    def open(self, name: str, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        return open_sealed(self._cipher, blob, field_aad(self._stream_id, name)).decode()
