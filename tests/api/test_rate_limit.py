from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from litestar import Litestar

from api.rate_limit import RateLimiter
from tests.api.helpers import error_of
from tests.conftest import ProjectKey

NOON = 1_779_999_980.0  # 20 s into a minute


@pytest.fixture
def limit_of_three(app: Litestar) -> Iterator[None]:
    usual = app.state.rate_limiter
    app.state.rate_limiter = RateLimiter(3, clock=lambda: NOON)
    yield
    app.state.rate_limiter = usual


@pytest.mark.usefixtures("limit_of_three")
async def test_past_the_limit_a_key_gets_429_with_retry_after(
    client: httpx.AsyncClient, project: ProjectKey
) -> None:
    answers = [await client.get("/v2/support/tickets", headers=project.auth) for _ in range(4)]

    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["2", "1", "0", "0"]
    limited = answers[-1]
    assert error_of(limited)["code"] == "rate_limited"
    assert limited.headers["retry-after"] == limited.headers["ratelimit-reset"] == "40"


def test_a_new_minute_gives_a_fresh_quota() -> None:
    now = [NOON]
    limiter = RateLimiter(1, clock=lambda: now[0])
    first, second = limiter.take(b"k"), limiter.take(b"k")
    now[0] += 40
    third = limiter.take(b"k")
    assert (first.exhausted, second.exhausted, third.exhausted) == (False, True, False)


def test_keys_are_counted_apart() -> None:
    limiter = RateLimiter(1, clock=lambda: NOON)
    assert not limiter.take(b"a").exhausted and not limiter.take(b"b").exhausted
