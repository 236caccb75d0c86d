from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

import msgspec

from infra.crypto import field_aad, seal, unseal

# Each personal field is sealed on its own, so a view can copy one field's
# ciphertext (a subject, a body) out of an event without ever opening it.
SealedFields = dict[str, bytes | None]

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(dict[str, bytes | None])


def seal_fields(key: bytes, stream_id: UUID, values: Mapping[str, str | None]) -> SealedFields:
    return {
        name: None if value is None else seal(key, value, field_aad(stream_id, name))
        for name, value in values.items()
    }


def open_fields(key: bytes, stream_id: UUID, sealed: Mapping[str, bytes | None]) -> dict[str, str | None]:
    return {
        name: None if blob is None else unseal(key, blob, field_aad(stream_id, name))
        for name, blob in sealed.items()
    }


def pack(sealed: SealedFields) -> bytes:
    return _encoder.encode(sealed)


def unpack(blob: bytes) -> SealedFields:
    return _decoder.decode(blob)


def open_value(key: bytes, stream_id: UUID, name: str, blob: bytes | None) -> str | None:
    return None if blob is None else unseal(key, blob, field_aad(stream_id, name))
