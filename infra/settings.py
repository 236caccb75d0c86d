from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.business_hours import BusinessCalendar, OpeningHours
from infra.channel_settings import (
    ChannelSettingsError,
    EmailChannel,
    WebhookChannel,
    email_channel,
    webhook_channel,
)

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SettingsError(ValueError):
    """A setting from the environment has a value we cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None = None
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = 8000
    log_format: str = "console"
    log_level: str = "info"
    kek: bytes | None = None
    kek_file: Path | None = None
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    rate_limit_per_minute: int = 6000
    db_pool_size: int = 10
    email: EmailChannel | None = None
    webhook: WebhookChannel | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        try:
            email, webhook = email_channel(env), webhook_channel(env)
        except ChannelSettingsError as error:
            raise SettingsError(str(error)) from None
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("ZUMIK_DATA_DIR") or ".data"),
            host=env.get("ZUMIK_HOST", "127.0.0.1"),
            port=_int(env, "ZUMIK_PORT", 8000, low=1, high=65535),
            log_format=_choice(env, "ZUMIK_LOG_FORMAT", "console", ("console", "json")),
            log_level=_choice(env, "ZUMIK_LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
            kek=_kek(env.get("ZUMIK_KEK")),
            kek_file=Path(env["ZUMIK_KEK_FILE"]) if env.get("ZUMIK_KEK_FILE") else None,
            calendar=BusinessCalendar(
                timezone=_zone(env.get("ZUMIK_BUSINESS_TIMEZONE", "UTC")),
                weekly=_weekly(env.get("ZUMIK_BUSINESS_HOURS", "mon-fri 09:00-17:00")),
                holidays=_holidays(env.get("ZUMIK_BUSINESS_HOLIDAYS", "")),
            ),
            rate_limit_per_minute=_int(env, "ZUMIK_RATE_LIMIT_PER_MINUTE", 6000, low=1),
            db_pool_size=_int(env, "ZUMIK_DB_POOL_SIZE", 10, low=1, high=1000),
            email=email,
            webhook=webhook,
        )


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int | None = None) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        raise SettingsError(f"{name} must be {bounds}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _kek(raw: str | None) -> bytes | None:
    if not raw:
        return None
    try:
        key = base64.b64decode(raw, validate=True)
    except binascii.Error:
        raise SettingsError("ZUMIK_KEK must be base64") from None
    if len(key) != 32:
        raise SettingsError(f"ZUMIK_KEK must decode to 32 bytes (AES-256), got {len(key)}")
    return key


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ZUMIK_BUSINESS_TIMEZONE is not a known time zone: {name!r}") from None


def _weekly(spec: str) -> dict[int, OpeningHours]:
    """Parses "mon-fri 09:00-17:00; sat 10:00-14:00"."""
    weekly: dict[int, OpeningHours] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        try:
            days, hours = part.split()
            first, _, last = days.lower().partition("-")
            opens, closes = (time.fromisoformat(t) for t in hours.split("-"))
            span = range(_DAYS.index(first), _DAYS.index(last or first) + 1)
        except ValueError:
            raise SettingsError(
                f"ZUMIK_BUSINESS_HOURS: cannot read {part!r}; expected e.g. 'mon-fri 09:00-17:00'"
            ) from None
        if opens >= closes or not span:
            raise SettingsError(f"ZUMIK_BUSINESS_HOURS: {part!r} is an empty window")
        weekly.update({day: OpeningHours(opens, closes) for day in span})
    if not weekly:
        raise SettingsError("ZUMIK_BUSINESS_HOURS names no open day")
    return weekly


def _holidays(spec: str) -> frozenset[date]:
    try:
        return frozenset(date.fromisoformat(d.strip()) for d in spec.split(",") if d.strip())
    except ValueError:
        raise SettingsError(f"ZUMIK_BUSINESS_HOLIDAYS must be ISO dates, comma separated: {spec!r}") from None
