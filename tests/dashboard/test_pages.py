"""Each page through streamlit's AppTest, on a seeded SQLite database."""

from __future__ import annotations

import re

import pytest

from bounceback.db import session
from bounceback.tables import Correction, Incident, Mention
from dashboard.ui import md
from tests.dashboard.apptest_helpers import assert_inert, log_in, markdown_texts, open_app
from tests.dashboard.hostile import PAYLOADS
from tests.dashboard.seed import add_hostile, seed

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def data(engine):
    return seed(engine)


def _plain(text: str) -> str:
    """Markdown-escaped text as the reader sees it."""
    return re.sub(r"\\(.)", r"\1", text)


def _texts(at) -> str:
    return _plain("\n".join(markdown_texts(at)))


def _values(elements) -> list[str]:
    return [_plain(e.value) for e in elements]


def test_logged_out_visitor_sees_only_the_login_form(data):
    at = open_app()
    assert [w.label for w in at.text_input] == ["Username", "Password"]
    assert [b.label for b in at.button] == ["Log in"]
    text = _texts(at)
    assert "charged" not in text and "Queue" not in text and not at.dataframe and not at.sidebar.children
    with pytest.raises(ValueError):
        at.switch_page("views/queue.py")


def test_wrong_password_is_refused(data):
    at = log_in("alice", "not the password")
    assert _values(at.error) == ["Unknown user or wrong password."]
    assert not at.title or at.title[0].value != "Queue"


def test_session_expires_after_the_configured_minutes(data, monkeypatch):
    import time_machine

    from bounceback.types import utcnow

    at = log_in("alice")
    assert at.title[0].value == "Queue"
    with time_machine.travel(utcnow() + __import__("datetime").timedelta(minutes=481)):
        at.run()
    assert "Your session expired; please log in again." in _values(at.warning)
    assert [w.label for w in at.text_input] == ["Username", "Password"]


def test_agent_claims_from_the_queue_and_resolves_with_an_outcome(data, engine):
    at = log_in("alice")
    assert at.title[0].value == "Queue"
    urgent = data.mentions["urgent"]
    assert "Acme charged me twice and support ignores me" in _texts(at)
    at.button(key=f"claim-{urgent}").click().run()
    assert f"You hold mention {urgent}." in _values(at.success)  # on the queue, with a link to the item
    at.query_params["id"] = str(urgent)
    at.switch_page("views/item.py").run()
    assert "You hold this item" in _texts(at)
    at.radio(key="resolve_outcome").set_value("fixed")
    at.text_area(key="resolve_note").input("Refunded the double charge")
    next(b for b in at.button if b.label == "Resolve").click().run()
    assert not at.exception
    assert "Resolved: fixed." in _values(at.success)
    with session(engine, readonly=True) as sess:
        m = sess.get(Mention, urgent)
    assert (m.status, m.outcome, m.resolved_by, m.follow_up_at is not None) == (
        "resolved",
        "fixed",
        "alice",
        True,
    )


def test_second_agent_sees_who_holds_the_item(data):
    alice = log_in("alice")
    bob = log_in("bob")
    urgent = data.mentions["urgent"]
    alice.button(key=f"claim-{urgent}").click().run()
    bob.button(key=f"claim-{urgent}").click().run()
    assert any("Already claimed by alice" in v for v in _values(bob.error))
    bob.query_params["id"] = str(urgent)
    bob.switch_page("views/item.py").run()
    assert any("alice holds this item" in v for v in _values(bob.warning))
    assert not any(b.label == "Claim" for b in bob.button)


def test_marketing_sees_trends_and_cannot_open_the_queue(data):
    at = log_in("mary")
    assert at.title[0].value == "Trends"
    assert {m.label for m in at.metric} >= {"Mentions", "Recovery rate", "SLA breaches"}
    assert len(at.get("download_button")) == 4
    with pytest.raises(ValueError):
        at.switch_page("views/queue.py")


def test_pages_refuse_a_role_that_may_not_open_them(data):
    from streamlit.testing.v1 import AppTest

    from dashboard.access import SESSION_KEY, password_login
    from tests.dashboard.apptest_helpers import APP, TIMEOUT
    from tests.dashboard.seed import PASSWORD

    at = AppTest.from_file(str(APP.parent / "views" / "queue.py"), default_timeout=TIMEOUT)
    at.session_state[SESSION_KEY] = password_login("mary", PASSWORD)
    at.run()
    assert _values(at.error) == ["You don't have access to this page."]
    assert not at.button


def test_every_page_banner_warns_that_data_is_incomplete(data):
    at = log_in("alice")
    assert any("Data may be incomplete" in v and "acme-appstore" in v for v in _values(at.warning))
    at.switch_page("views/sources.py").run()
    assert at.title[0].value == "Sources"
    assert any("Data may be incomplete" in v for v in _values(at.warning))
    assert len(at.dataframe) == 2


def test_item_page_shows_context_and_stores_a_relabel(data, engine):
    at = log_in("sue")
    at.query_params["id"] = str(data.mentions["urgent"])
    at.switch_page("views/item.py").run()
    text = _texts(at)
    assert "Earlier resolutions" in text and "Late delivery" in text  # the author's App Store review
    assert "severity word: refund" in text
    assert at.get("link_button")[0].proto.url == "https://reddit.com/r/acme/1"
    assert at.text_area[0].value.startswith("Hi Jane, I'm so sorry about the problem with your payment")
    next(b for b in at.button if b.label == "Save correction").click().run()
    with session(engine, readonly=True) as sess:
        assert sess.query(Correction).count() == 1


def test_incidents_page_claims_an_incident_as_one(data, engine):
    at = log_in("alice")
    at.switch_page("views/incidents.py").run()
    assert any("Checkout fails with error 500" in e.label for e in at.expander)
    at.button(key=f"inc_claim_{data.incident}").click().run()
    assert any("and 2 of its mentions" in v for v in _values(at.success))


def test_admin_changes_sla_in_settings(data):
    at = log_in("ada")
    at.switch_page("views/settings.py").run()
    assert at.title[0].value == "Settings"
    at.number_input(key="sla_critical").set_value(10)
    next(b for b in at.button if b.label == "Save").click().run()
    assert "Saved." in _values(at.success)
    from dashboard.queries.common import sla_minutes

    assert sla_minutes()["critical"] == 10


def test_agent_cannot_open_settings(data):
    at = log_in("alice")
    with pytest.raises(ValueError):
        at.switch_page("views/settings.py")


def test_fifty_hostile_payloads_render_as_inert_text(data, engine):
    ids = add_hostile(engine, data.sources["reddit"], PAYLOADS)
    at = log_in("sue")
    assert_inert(at)
    shown = _texts(at)
    for payload in PAYLOADS[:25]:  # the first queue page: titles and author names, escaped
        assert " ".join(payload.split())[:50] in shown  # the reader sees the characters themselves
    with session(engine) as sess:
        for payload in PAYLOADS[:10]:
            sess.add(Incident(title=payload, keywords=[payload], severity="high"))
    at.switch_page("views/incidents.py").run()
    assert_inert(at)
    for mention_id, payload in zip(ids, PAYLOADS, strict=True):
        at.query_params["id"] = str(mention_id)
        at.switch_page("views/item.py").run()
        assert_inert(at)
        assert md(payload) in "\n".join(markdown_texts(at))


OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-test-cookie-secret-of-enough-length-123",
        "client_id": "bounceback",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
}


def test_single_sign_on_is_offered_when_configured(data):
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.apptest_helpers import APP, TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": False}
    at.run()
    assert [b.label for b in at.button] == ["Log in", "Log in with single sign-on"]


def test_single_sign_on_identity_maps_to_a_bounceback_user_by_email(data):
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.apptest_helpers import APP, TIMEOUT

    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.secrets = OIDC_SECRETS
    at.user = {"is_logged_in": True, "email": "Mary@Example.com"}
    at.run()
    assert not at.exception
    assert at.title[0].value == "Trends"  # mary is marketing


def test_admin_adds_a_watch_in_settings(data):
    from bounceback.watches import list_watches

    at = log_in("ada")
    at.switch_page("views/settings.py").run()
    at.text_input(key="w_name").input("Acme Pay")
    at.text_input(key="w_terms").input("acme pay, acmepay")
    next(b for b in at.button if b.label == "Add watch").click().run()
    assert "Watch Acme Pay added." in _values(at.success)
    assert [w.terms for w in list_watches() if w.name == "Acme Pay"] == [["acme pay", "acmepay"]]


def test_a_deactivated_user_is_logged_out_on_the_next_click(data):
    from dashboard.queries.admin import set_user_active

    at = log_in("alice")
    assert at.title[0].value == "Queue"
    set_user_active("alice", False)
    next(b for b in at.button if b.label == "Mark all as seen").click().run()
    assert [w.label for w in at.text_input] == ["Username", "Password"]
    assert not any("charged" in t for t in markdown_texts(at))
    assert "Your account was deactivated." in _values(at.warning)
