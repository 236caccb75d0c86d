from __future__ import annotations

from enum import StrEnum
from uuid import UUID

# Crockford's base32, lower case: ascending in ASCII, so the text of a UUIDv7
# sorts in the same order as its creation time.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_VALUE = {c: i for i, c in enumerate(_ALPHABET)}
_LENGTH = 26  # ceil(128 / 5)
# Ids are printed on every line of every list: two characters (10 bits) per lookup.
_PAIRS = [_ALPHABET[i >> 5] + _ALPHABET[i & 31] for i in range(1024)]
_SHIFTS = range(120, -1, -10)


class Prefix(StrEnum):
    TICKET = "spt"
    MESSAGE = "spm"
    PROJECT = "prj"
    EVENT = "evt"


_HEADS = {prefix: f"{prefix.value}_" for prefix in Prefix}


def uuid7(unix_ms: int, random: bytes) -> UUID:
    """A version 7 UUID: 48 bits of milliseconds, then 74 random bits."""
    value = (unix_ms & (2**48 - 1)) << 80 | int.from_bytes(random[:10], "big") & (2**80 - 1)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return UUID(int=value)


def format_id(prefix: Prefix, value: UUID) -> str:
    number = value.int
    return _HEADS[prefix] + "".join([_PAIRS[(number >> shift) & 1023] for shift in _SHIFTS])


def parse_id(prefix: Prefix, text: str) -> UUID | None:
    """The UUID behind a printed id, or None when the text is not one of ours."""
    head, _, body = text.partition("_")
    if head != prefix or len(body) != _LENGTH:
        return None
    number = 0
    for char in body:
        digit = _VALUE.get(char)
        if digit is None:
            return None
        number = number << 5 | digit
    if number >= 2**128:
        return None
    return UUID(int=number)
