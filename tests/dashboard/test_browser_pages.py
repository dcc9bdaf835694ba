"""Incidents, sources, settings and the marketing role in Debian's Chromium (Playwright)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from bounceback import watches
from bounceback.db import make_engine, session
from bounceback.tables import Incident, Mention, Source
from bounceback.types import utcnow
from dashboard.queries import admin
from tests.dashboard.browser_helpers import log_in

pytestmark = pytest.mark.browser
BANNER = "Data may be incomplete: no successful crawl recently from acme-appstore."


@contextmanager
def _engine(db_url: str) -> Iterator:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _nav(page):
    return page.locator("[data-testid='stSidebarNav']")


def _metric(page, label: str):
    metric = page.locator("[data-testid='stMetric']").filter(has=page.get_by_text(label, exact=True))
    return metric.locator("[data-testid='stMetricValue']")


def test_agent_claims_and_resolves_an_incident_as_one(server, browser):
    incident, members = server.data.incident, [server.data.mentions[k] for k in ("breached", "incident2")]
    # Tall enough that the page never scrolls: opening a dropdown that makes the page scroll closes it
    # again at once (Streamlit 1.67 menus close on scroll), which is not what this test is about.
    page = log_in(browser, server.url, "alice", path="incidents", height=1800)
    page.get_by_role("heading", name="Incidents").wait_for()
    card = page.locator("[data-testid='stExpander']").filter(has_text="Checkout fails with error 500")
    expect(card).to_contain_text(f"#{incident} · 2 mentions")
    card.get_by_role("button", name="Claim incident").click()
    expect(page.get_by_text(f"You hold incident {incident} and 2 of its mentions.")).to_be_visible()
    expect(card).to_contain_text("held by alice")
    with _engine(server.db_url) as engine, session(engine, readonly=True) as sess:
        assert sess.get(Incident, incident).claimed_by == "alice"
        held = sess.execute(select(Mention.id, Mention.claimed_by).where(Mention.incident_id == incident))
        assert sorted(held.all()) == sorted((m, "alice") for m in members)

    card.get_by_role("combobox", name="Outcome").wait_for()
    card.locator("[data-testid='stVegaLiteChart'] :is(canvas, svg)").first.wait_for()
    main = page.locator("[data-testid='stMain']")
    assert main.evaluate("m => m.scrollHeight <= m.clientHeight"), "the page scrolls: make it taller"
    card.get_by_role("combobox", name="Outcome").press("ArrowDown")  # opens the list
    page.get_by_role("option", name="Fixed the problem", exact=True).click()
    expect(card.get_by_role("combobox", name="Outcome")).to_have_value("Fixed the problem")
    card.get_by_label("What was done").fill("Rolled back the checkout release")
    card.get_by_role("button", name="Resolve incident and its mentions").click()
    expect(page.get_by_text(f"Incident {incident} resolved with 2 mentions.")).to_be_visible()
    expect(page.get_by_text("No incidents: complaints are not clustering.")).to_be_visible()
    with _engine(server.db_url) as engine, session(engine, readonly=True) as sess:
        stored = sess.get(Incident, incident)
        assert (stored.status, stored.outcome) == ("resolved", "fixed")
        resolved = select(Mention.status, Mention.outcome, Mention.resolved_by)
        rows = sess.execute(resolved.where(Mention.incident_id == incident)).all()
        assert rows == [("resolved", "fixed", "alice")] * 2
    page.context.close()


def test_sources_page_shows_health_and_the_banner_follows_the_data(server, browser):
    store = server.data.sources["appstore"]
    page = log_in(browser, server.url, "alice", path="sources")
    page.get_by_role("heading", name="Sources").wait_for()
    expect(page.get_by_text(BANNER)).to_be_visible()
    expect(_metric(page, "Sources")).to_have_text("2")
    expect(_metric(page, "Healthy")).to_have_text("1")
    expect(_metric(page, "Incomplete")).to_have_text("1")
    failing = page.locator(f".st-key-source-{store}")
    expect(failing).to_contain_text("incomplete")
    expect(failing).to_contain_text("acme-appstore (appstore)")
    expect(failing).to_contain_text("3 failed crawls in a row")
    expect(failing).to_contain_text("Last error")
    expect(failing).to_contain_text("HTTP 503 from the store")
    expect(page.locator(f".st-key-source-{server.data.sources['reddit']}")).to_have_count(0)  # healthy
    links = [re.compile(f"{name}$") for name in ("Queue", "Incidents", "Sources")]
    expect(_nav(page).get_by_role("link")).to_have_text(links)  # no Settings for an agent

    for name in ("Queue", "Incidents"):  # the banner is on every page
        _nav(page).get_by_role("link", name=name).click()
        page.get_by_role("heading", name=name).wait_for()
        expect(page.get_by_text(BANNER)).to_be_visible()

    with _engine(server.db_url) as engine:
        with session(engine) as sess:
            before = sess.get(Source, store)
            saved = {
                "last_success_at": before.last_success_at,
                "consecutive_failures": before.consecutive_failures,
                "incomplete_since": before.incomplete_since,
            }
            sess.execute(
                update(Source)
                .where(Source.id == store)
                .values(last_success_at=utcnow(), consecutive_failures=0, incomplete_since=None)
            )
        try:  # the next page the agent opens reads the recovered source: no banner, all healthy
            _nav(page).get_by_role("link", name="Sources").click()
            expect(_metric(page, "Healthy")).to_have_text("2")
            expect(page.get_by_text("Data may be incomplete")).to_have_count(0)
            expect(page.get_by_role("heading", name="Needs attention")).to_have_count(0)
        finally:
            with session(engine) as sess:
                sess.execute(update(Source).where(Source.id == store).values(**saved))
    page.context.close()


def test_admin_changes_an_sla_and_adds_a_watch_in_settings(server, browser):
    page = log_in(browser, server.url, "ada")
    page.get_by_role("heading", name="Queue").wait_for()
    _nav(page).get_by_role("link", name="Settings").click()
    page.get_by_role("heading", name="Settings").wait_for()

    critical = page.get_by_label("Critical")
    expect(critical).to_have_value("15")
    critical.fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    with _engine(server.db_url) as engine:
        assert admin.sla_minutes(engine=engine)["critical"] == 30
    expect(page.get_by_label("Critical")).to_have_value("30")  # read back from the database

    page.get_by_role("tab", name="Watches").click()
    page.locator(".st-key-w_name input").fill("Widget launch")
    page.locator(".st-key-w_terms input").fill("widget, gadget")
    page.locator(".st-key-w_excl input").fill("giveaway")
    page.get_by_role("button", name="Add watch").click()
    expect(page.get_by_text("Watch Widget launch added.")).to_be_visible()
    with _engine(server.db_url) as engine:
        stored = {w.name: w for w in watches.list_watches(engine=engine)}
    assert "Widget launch" in stored
    assert (stored["Widget launch"].terms, stored["Widget launch"].exclude_terms) == (
        ["widget", "gadget"],
        ["giveaway"],
    )
    page.context.close()


def test_marketing_sees_trends_and_cannot_open_the_queue(server, browser):
    urgent = server.data.mentions["urgent"]
    for path in ("queue", f"item?id={urgent}"):  # deep links to care pages land on Trends
        page = log_in(browser, server.url, "mary", path=path)
        page.get_by_role("heading", name="Trends").wait_for()
        expect(_metric(page, "Recovery rate")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile("Queue|Incidents|Sources|Settings"))).to_have_count(0)
        expect(page).not_to_have_url(re.compile(r"/(queue|item)"))
        assert page.get_by_role("heading", name="Queue").count() == 0
        assert page.get_by_role("button", name="Claim").count() == 0
        assert page.get_by_text("I was charged twice").count() == 0
        page.context.close()
