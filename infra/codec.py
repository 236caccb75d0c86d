from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from eventsourcing.utils import get_topic

DomainEvent = CanMutateAggregate[UUID]
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# Fields every eventsourcing event has; the log keeps them in its own columns.
_ENVELOPE = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


@dataclass(frozen=True)
class EventType:
    """How one domain event class is stored: its registered name (never an import
    path), which of its fields are personal data, and its current schema version."""

    name: str
    cls: type[DomainEvent]
    aggregate: type[Any]
    personal: tuple[str, ...] = ()
    schema: int = 1


@dataclass(frozen=True)
class Encoded:
    type: str
    payload: dict[str, Any]
    personal: dict[str, str | None]
    schema: int


@dataclass(frozen=True)
class _Entry:
    spec: EventType
    fields: type[msgspec.Struct]
    upcasters: dict[int, Upcaster] = field(default_factory=dict)


class UnknownEventType(LookupError):
    pass


class Codec:
    def __init__(
        self,
        types: Iterable[EventType],
        upcasters: Mapping[tuple[str, int], Upcaster] | None = None,
    ) -> None:
        self._by_name: dict[str, _Entry] = {}
        self._by_class: dict[type[Any], _Entry] = {}
        for spec in types:
            entry = _Entry(spec, _fields_struct(spec.cls))
            self._by_name[spec.name] = entry
            self._by_class[spec.cls] = entry
        for (name, from_schema), upcast in (upcasters or {}).items():
            self._by_name[name].upcasters[from_schema] = upcast

    def encode(self, event: DomainEvent) -> Encoded:
        entry = self._by_class[type(event)]
        values = {f: getattr(event, f) for f in entry.fields.__struct_fields__}
        personal = {f: values.pop(f) for f in entry.spec.personal}
        return Encoded(entry.spec.name, msgspec.to_builtins(values), personal, entry.spec.schema)

    def decode(
        self,
        type_name: str,
        *,
        stream_id: UUID,
        version: int,
        recorded_at: datetime,
        payload: Mapping[str, Any],
        personal: Mapping[str, str | None] | None,
        schema: int,
    ) -> DomainEvent:
        """Rebuilds a domain event. Personal fields not given (sealed, or erased) are None."""
        entry = self._entry(type_name)
        values = msgspec.convert(self.data(type_name, payload, personal, schema), entry.fields)
        kwargs = {f: getattr(values, f) for f in values.__struct_fields__}
        kwargs.update(originator_id=stream_id, originator_version=version, timestamp=recorded_at)
        if issubclass(entry.spec.cls, CanInitAggregate):
            kwargs["originator_topic"] = get_topic(entry.spec.aggregate)
        return entry.spec.cls(**kwargs)

    def data(
        self,
        type_name: str,
        payload: Mapping[str, Any],
        personal: Mapping[str, str | None] | None,
        schema: int,
    ) -> dict[str, Any]:
        """An event's fields in their current shape, as JSON values: the stored
        payload upcast, with its personal fields (None where not given)."""
        entry = self._entry(type_name)
        data = dict(payload)
        for older in range(schema, entry.spec.schema):
            data = entry.upcasters[older](data)
        for name in entry.spec.personal:
            data[name] = personal.get(name) if personal else None
        return data

    def _entry(self, type_name: str) -> _Entry:
        entry = self._by_name.get(type_name)
        if entry is None:
            raise UnknownEventType(type_name)
        return entry


def _fields_struct(cls: type[Any]) -> type[msgspec.Struct]:
    hints = typing.get_type_hints(cls)
    own = [(f.name, hints[f.name]) for f in dataclasses.fields(cls) if f.name not in _ENVELOPE]
    return msgspec.defstruct(f"{cls.__qualname__}Fields", own, forbid_unknown_fields=True)
