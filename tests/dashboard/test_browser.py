"""The dashboard in Debian's Chromium (Playwright) against `streamlit run` on a seeded SQLite file."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from bounceback.db import make_engine, session
from bounceback.tables import Activity
from tests.dashboard.browser_helpers import OUT, add_mention, get_mention, log_in
from tests.dashboard.hostile import PAYLOADS

pytestmark = pytest.mark.browser


def _claim_button(page, mention_id: int):
    return page.locator(f".st-key-row-{mention_id}").get_by_role("button", name="Claim")


def test_agent_logs_in_claims_and_resolves(server, browser):
    url, db_url, data = server.url, server.db_url, server.data
    page = log_in(browser, url, "alice", screenshot="login.png")
    page.get_by_role("heading", name="Queue").wait_for()
    urgent = data.mentions["urgent"]
    _claim_button(page, urgent).wait_for()
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "queue.png"), full_page=True)
    _claim_button(page, urgent).click()
    expect(page.locator(f".st-key-row-{urgent}")).to_contain_text("held by alice")
    page.get_by_role("link", name=f"Open #{urgent} to read and reply").click()
    page.wait_for_url(re.compile(rf"/item\?id={urgent}$"))
    page.get_by_text("You hold this item").wait_for()
    page.get_by_text("I was charged twice for order 1234").wait_for()
    page.get_by_text("Earlier resolutions").wait_for()  # the author's card, last to render
    page.screenshot(path=str(OUT / "item.png"), full_page=True)
    page.get_by_role("tab", name="Resolve").click()
    page.get_by_text("Fixed the problem").click()
    page.get_by_label("What was done").fill("Refunded the second charge")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.get_by_text("Resolved: fixed.").wait_for()
    m = get_mention(db_url, urgent)
    assert (m.status, m.outcome, m.resolved_by) == ("resolved", "fixed", "alice")
    page.context.close()


def test_two_agents_race_for_one_item_and_exactly_one_wins(server, browser):
    """Both agents see the item unclaimed and press Claim: one holds it, the other is told who does.

    On the item page, which does not refresh itself: on the queue the live refresh may show the
    winner before the second click lands, which is what it is for, but then there is no race."""
    url, db_url, data = server.url, server.db_url, server.data
    target = data.mentions["breached"]
    pages = {name: log_in(browser, url, name, path=f"item?id={target}") for name in ("bob", "carol")}
    buttons = [page.locator(".st-key-item_claim").get_by_role("button") for page in pages.values()]
    for button in buttons:
        expect(button).to_have_text("Claim")
    for button in buttons:  # both clicks leave before either claim is answered
        button.click(no_wait_after=True)
    for page in pages.values():  # each page settles: it holds the item, or it is told who does
        settled = page.get_by_text("You hold this item").or_(page.get_by_text("holds this item"))
        expect(settled).to_be_visible()
    holder = get_mention(db_url, target).claimed_by
    assert holder in pages
    loser = next(name for name in pages if name != holder)
    expect(pages[holder].get_by_text("You hold this item")).to_be_visible()
    expect(pages[loser].get_by_text(f"{holder} holds this item")).to_be_visible()
    expect(pages[loser].locator(".st-key-item_claim")).to_have_count(0)
    engine = make_engine(db_url)
    with session(engine, readonly=True) as sess:
        claims = sess.execute(
            select(Activity.actor).where(Activity.mention_id == target, Activity.action == "claimed")
        ).all()
    engine.dispose()
    assert [c.actor for c in claims] == [holder]
    for page in pages.values():
        page.context.close()


def test_trends_page_draws_charts_for_marketing(server, browser):
    url = server.url
    page = log_in(browser, url, "mary")
    page.get_by_role("heading", name="Trends").wait_for()
    page.get_by_text("Recovery rate").wait_for()
    page.locator(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    ).first.wait_for()
    assert page.get_by_role("link", name="Queue").count() == 0
    page.wait_for_timeout(500)  # let Vega finish drawing before the picture (no assertion depends on it)
    OUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUT / "trends.png"), full_page=True)
    page.context.close()


def test_hostile_text_stays_text_in_the_browser(server, browser):
    url, hostile = server.url, server.hostile
    page = log_in(browser, url, "alice", path=f"item?id={hostile[1]}")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.get_by_text("Why flagged").wait_for()
    body = page.locator("[data-testid='stMain']")
    assert PAYLOADS[1] in body.inner_text()  # <img src=x onerror=alert(1)> shown as characters
    assert page.locator("img[onerror], script:not([src]):has-text('alert'), svg[onload]").count() == 0
    assert page.locator("a[href^='javascript:' i]").count() == 0
    assert dialogs == []
    page.context.close()


def _metric(page, label: str):
    return (
        page.locator("[data-testid='stMetric']")
        .filter(has_text=label)
        .locator("[data-testid='stMetricValue']")
    )


def _open_filters(page) -> None:
    """Expand the queue's filters and wait for the expander's opening animation to end: a dropdown
    clicked while it runs opens and closes again at once (its options detach), refresh or not."""
    page.get_by_text("Filters", exact=True).click()
    page.locator("[data-testid='stExpander'] details[open]").filter(has_text="Filters").wait_for()
    page.wait_for_function(
        """() => document.getAnimations().every(a => a.playState !== 'running'
            || !a.effect?.target?.closest("[data-testid='stExpander']"))"""
    )


def test_queue_refreshes_live_and_keeps_the_filters(server, browser):
    """The live refresh leaves an open filter menu alone, keeps the chosen filter and the "new since you
    looked" baseline, and shows mentions stored meanwhile without reloading the page."""
    reddit = server.data.sources["reddit"]
    page = log_in(browser, server.url, "carol")
    page.get_by_role("heading", name="Queue").wait_for()
    rows = page.locator("[class*='st-key-row-']")
    page.get_by_role("button", name="Mark all as seen").click()
    expect(_metric(page, "New since you looked")).to_have_text("0")
    page.evaluate("window.sameDocument = true")  # a page reload would forget it
    _open_filters(page)
    page.locator(".st-key-f_sev input").click()
    low = page.get_by_role("option", name="low", exact=True)
    low.wait_for()
    low.evaluate("option => { window.lowOption = option; }")

    # A mention stored while the menu is open shows up: a refresh ran, and the menu was not rebuilt.
    high = add_mention(server.db_url, reddit, "live-high", severity="high")
    expect(page.locator(f".st-key-row-{high}")).to_be_visible()
    assert page.evaluate("window.lowOption.isConnected")
    low.click()
    page.keyboard.press("Escape")
    chosen = page.locator(".st-key-f_sev [data-tag]")
    expect(chosen).to_have_text(["low"])
    seeded_low = page.locator(f".st-key-row-{server.data.mentions['low']}")
    expect(rows).to_have_count(1)
    expect(seeded_low).to_be_visible()

    # Two more arrive, the low one last: once it shows, the refresh that showed it saw both.
    other = add_mention(server.db_url, reddit, "live-other", severity="high")
    fresh = add_mention(server.db_url, reddit, "live-low", severity="low")
    expect(page.locator(f".st-key-row-{fresh}")).to_be_visible()
    expect(rows).to_have_count(2)
    assert page.locator(f".st-key-row-{other}").count() == 0
    expect(chosen).to_have_text(["low"])
    badges = ".stMarkdownBadge"
    expect(page.locator(f".st-key-row-{fresh} {badges}").filter(has_text="new")).to_have_count(1)
    expect(seeded_low.locator(badges).filter(has_text="new")).to_have_count(0)
    expect(_metric(page, "New since you looked")).to_have_text("1")
    expect(page.locator(".st-key-f_sev input")).to_be_visible()  # the filters stayed open
    assert page.evaluate("window.sameDocument === true")
    page.context.close()
