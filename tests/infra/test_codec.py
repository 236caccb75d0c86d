from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from eventsourcing.domain import Aggregate, event

from infra import event_store
from infra.codec import Codec, EventType
from infra.event_store import NewEvent


class Parcel(Aggregate):
    """A stand-in aggregate whose `Weighed` event changed shape: v1 stored grams as
    `weight`, v2 stores `grams` and a `unit`."""

    class Weighed(Aggregate.Created):
        grams: int
        unit: str

    @event(Weighed)
    def __init__(self, *, grams: int, unit: str) -> None:
        self.grams = grams
        self.unit = unit


def weight_to_grams(v1: dict[str, Any]) -> dict[str, Any]:
    return {"grams": v1["weight"], "unit": "g"}


codec = Codec([EventType("Weighed", Parcel.Weighed, Parcel, schema=2)], {("Weighed", 1): weight_to_grams})


async def test_an_older_event_is_upcast_when_read(pool: asyncpg.Pool) -> None:
    stream = uuid4()
    async with pool.acquire() as conn:
        await event_store.append(
            conn,
            tenant_id=stream,
            stream_id=stream,
            expected_version=0,
            events=[NewEvent("Weighed", {"weight": 1200}, metadata={"schema": 1})],
        )
        [row] = await event_store.read_stream(conn, stream)
    decoded = codec.decode(
        row.type,
        stream_id=row.stream_id,
        version=row.version,
        recorded_at=row.recorded_at,
        payload=row.payload,
        personal=None,
        schema=row.metadata["schema"],
    )
    parcel = decoded.mutate(None)
    assert isinstance(parcel, Parcel)
    assert (parcel.grams, parcel.unit, parcel.id) == (1200, "g", stream)


def test_the_current_version_round_trips_without_upcasting() -> None:
    parcel = Parcel._create(Parcel.Weighed, id=uuid4(), grams=5, unit="kg")
    [weighed] = parcel.collect_events()
    encoded = codec.encode(weighed)
    assert (encoded.type, encoded.payload, encoded.schema) == ("Weighed", {"grams": 5, "unit": "kg"}, 2)
    again = codec.decode(
        "Weighed",
        stream_id=parcel.id,
        version=1,
        recorded_at=datetime.now(UTC),
        payload=encoded.payload,
        personal=None,
        schema=2,
    )
    assert isinstance(again.originator_id, UUID) and again.mutate(None).grams == 5  # type: ignore[union-attr]


def test_stored_type_names_are_registered_names_not_import_paths() -> None:
    from infra.event_types import EVENT_TYPES

    assert all("." not in t.name and ":" not in t.name for t in EVENT_TYPES)
