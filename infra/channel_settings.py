from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit


class ChannelSettingsError(ValueError):
    """A notification setting we cannot use; the message names it."""


@dataclass(frozen=True)
class EmailChannel:
    """Resend, as its public API takes an email."""

    api_key: str
    base_url: str
    sender: str
    team_address: str


@dataclass(frozen=True)
class WebhookChannel:
    url: str
    secret: bytes


def email_channel(env: Mapping[str, str]) -> EmailChannel | None:
    api_key = env.get("RESEND_API_KEY")
    if not api_key:
        return None
    return EmailChannel(
        api_key=api_key,
        base_url=_url(env, "RESEND_BASE_URL", "https://api.resend.com").rstrip("/"),
        sender=_required(env, "RESEND_FROM", "RESEND_API_KEY"),
        team_address=_required(env, "SUPPORT_TEAM_EMAIL", "RESEND_API_KEY"),
    )


def webhook_channel(env: Mapping[str, str]) -> WebhookChannel | None:
    if not env.get("OPS_WEBHOOK_URL"):
        return None
    # An unsigned webhook would let anyone who learns the URL post fake activity.
    secret = _required(env, "OPS_WEBHOOK_SECRET", "OPS_WEBHOOK_URL")
    return WebhookChannel(url=_url(env, "OPS_WEBHOOK_URL", ""), secret=secret.encode())


def _required(env: Mapping[str, str], name: str, because: str) -> str:
    value = env.get(name)
    if not value:
        raise ChannelSettingsError(f"{name} is required when {because} is set")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name) or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ChannelSettingsError(f"{name} must be an http(s) URL, got {value!r}")
    return value
