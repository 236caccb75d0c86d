"""The support console in a real browser (Debian's Chromium, driven by Playwright)
against the real `zumik-support serve` on a real socket."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from tests.test_cli import cli
from tests.test_server import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE = "<img src=x onerror=\"document.title='pwned'\"> Streaming cuts off"


@pytest.fixture
def base(env_for_cli: dict[str, str], tmp_path: Path) -> Iterator[str]:
    with serving(env_for_cli, tmp_path / "server.log") as url:
        yield url


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        message = "no Chromium on this machine (apt-get install chromium)"
        if os.environ.get("ZUMIK_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        await browser.close()


async def signed_in(browser: Browser, base: str, key: str) -> Page:
    page = await browser.new_page()
    await page.goto(f"{base}/console/support")
    await page.fill("#api-key", key)
    await page.click("text=Sign in")
    return page


async def test_a_person_opens_a_ticket_replies_and_resolves_it_in_the_console(
    browser: Browser, base: str, env_for_cli: dict[str, str]
) -> None:
    key = cli(env_for_cli, "projects", "create", "--name", "Console", "--plan", "enterprise")["api_key"]
    page = await signed_in(browser, base, key)
    await expect(page.locator("#empty")).to_be_visible()

    await page.click("text=New ticket")
    await page.fill("[name=subject]", HOSTILE)
    await page.fill("#new-form [name=body]", "The stream drops after ~30s.")
    await page.select_option("[name=priority]", "high")
    await page.fill("[name=contact_email]", "dev@example.com")
    await page.click("text=Open ticket")
    await expect(page.locator("#ticket-subject")).to_have_text(HOSTILE)
    await page.fill("#reply-form [name=body]", "Still happening with stream:false.")
    await page.click("#reply-form button")
    await expect(page.locator("#messages li")).to_have_count(2)
    await page.click("text=Mark resolved")
    await expect(page.locator("#ticket-facts")).to_contain_text("resolved")
    await page.click("text=All tickets")

    row = page.locator("#tickets tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("resolved")
    assert await page.title() == "Support · Zumik console", "what a ticket says never runs as code"
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
        listed = (await api.get("/v2/support/tickets")).json()
    [ticket] = listed["data"]
    assert (ticket["subject"], ticket["status"], ticket["priority"], ticket["message_count"]) == (
        HOSTILE,
        "resolved",
        "high",
        2,
    )


async def test_the_console_shows_the_apis_own_error_and_a_bad_key_signs_out(
    browser: Browser, base: str, env_for_cli: dict[str, str]
) -> None:
    key = cli(env_for_cli, "projects", "create", "--name", "Errors", "--plan", "base")["api_key"]
    page = await signed_in(browser, base, key)
    await page.click("text=New ticket")
    await page.fill("[name=subject]", "   ")
    await page.fill("#new-form [name=body]", "blank subject")
    await page.click("text=Open ticket")
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
        blank = {"subject": "   ", "body": "blank subject"}
        refused = (await api.post("/v2/support/tickets", json=blank)).json()["error"]
        await expect(page.locator("#error")).to_have_text(f"{refused['message']} ({refused['param']})")

        wrong = await signed_in(browser, base, "zk_live_not-a-key")

        unknown = (await api.get("/v2/support/tickets", headers={"Authorization": "Bearer x"})).json()
        await expect(wrong.locator("#sign-in")).to_be_visible()
        await expect(wrong.locator("#error")).to_have_text(unknown["error"]["message"])
        listed = (await api.get("/v2/support/tickets")).json()
    assert listed["data"] == [], "the refused form opened nothing"


async def test_the_team_works_its_queue_in_the_console_with_a_team_key(
    browser: Browser, base: str, env_for_cli: dict[str, str]
) -> None:
    project_key = cli(env_for_cli, "projects", "create", "--name", "Queued", "--plan", "pilot")["api_key"]
    team_key = cli(env_for_cli, "staff", "create-key", "--name", "console")["api_key"]
    customer = {"Authorization": f"Bearer {project_key}"}
    async with httpx.AsyncClient(base_url=base) as api:
        opened = await api.post(
            "/v2/support/tickets", json={"subject": "Quota raise", "body": "Need 64 GPUs."}, headers=customer
        )
        ticket = opened.json()
        queue = (
            await api.get("/v2/staff/support/queue", headers={"Authorization": f"Bearer {team_key}"})
        ).json()

        page = await signed_in(browser, base, team_key)
        await expect(page.locator("#list-title")).to_have_text("Queue")
        await expect(page.locator("#tickets tr").first).to_contain_text(queue["data"][0]["subject"])
        await expect(page.locator("#new-link")).to_be_hidden()
        await page.goto(f"{base}/console/support#/tickets/{ticket['id']}")
        await expect(page.locator("#ticket-subject")).to_have_text("Quota raise")
        await page.fill("#reply-form [name=body]", "Raised to 64.")
        await page.click("#reply-form button")
        await expect(page.locator("#messages li")).to_have_count(2)
        await page.click("text=Waiting for customer")
        await expect(page.locator("#ticket-facts")).to_contain_text("pending")

        seen = (await api.get(f"/v2/support/tickets/{ticket['id']}", headers=customer)).json()
    assert [(m["author"], m["body"]) for m in seen["messages"]] == [
        ("customer", "Need 64 GPUs."),
        ("support", "Raised to 64."),
    ]
    assert seen["status"] == "pending" and seen["first_response_at"] is not None


async def test_the_console_pages_through_tickets_both_ways_and_filters_by_status(
    browser: Browser, base: str, env_for_cli: dict[str, str]
) -> None:
    key = cli(env_for_cli, "projects", "create", "--name", "Paged", "--plan", "base")["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=auth) as api:
        subjects = [f"ticket {n:02}" for n in range(45)]
        ids = [
            (await api.post("/v2/support/tickets", json={"subject": s, "body": "b"})).json()["id"]
            for s in subjects
        ]
        await api.patch(f"/v2/support/tickets/{ids[7]}", json={"status": "resolved"})
    newest_first = subjects[::-1]
    page = await signed_in(browser, base, key)
    rows = page.locator("#tickets tr td:first-child")

    await expect(rows).to_have_text(newest_first[:20])
    await page.click("#older")
    await expect(rows).to_have_text(newest_first[20:40])
    await page.click("#older")
    await expect(rows).to_have_text(newest_first[40:])
    await expect(page.locator("#older")).to_be_disabled()
    await page.click("#newer")
    await expect(rows).to_have_text(newest_first[20:40])
    await page.click("#newer")
    await expect(rows).to_have_text(newest_first[:20])
    await expect(page.locator("#newer")).to_be_disabled()
    await page.select_option("#status-filter", "resolved")
    await expect(rows).to_have_text(["ticket 07"])
