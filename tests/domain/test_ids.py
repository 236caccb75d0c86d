from __future__ import annotations

from uuid import uuid4

from domain.ids import Prefix, format_id, parse_id, uuid7


def test_printed_ids_round_trip() -> None:
    value = uuid4()
    assert parse_id(Prefix.TICKET, format_id(Prefix.TICKET, value)) == value


def test_printed_ids_sort_by_creation_time() -> None:
    ids = [format_id(Prefix.TICKET, uuid7(ms, bytes(10))) for ms in (1, 2, 10, 1_000_000, 2**47)]
    assert ids == sorted(ids)


def test_foreign_text_is_not_an_id() -> None:
    good = format_id(Prefix.TICKET, uuid4())
    assert parse_id(Prefix.MESSAGE, good) is None
    assert parse_id(Prefix.TICKET, good[:-1]) is None
    assert parse_id(Prefix.TICKET, good[:-1] + "!") is None
    assert parse_id(Prefix.TICKET, "spt_" + "z" * 26) is None
