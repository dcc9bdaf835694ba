"""Email to a real aiosmtpd server: content, headers, both parts, login, and failures sorted right."""

from __future__ import annotations

import pytest

from alerts.errors import DeliveryError
from alerts.message import Notice, item_link
from alerts.notifiers.email import EmailNotifier
from bounceback.errors import InvalidInput
from tests.alerts.conftest import make_settings
from tests.alerts.peers import SMTPPeer


def _notice(**kw):
    item = {
        "mention_id": 42,
        "severity": "critical",
        "source": "acme-trustpilot",
        "source_kind": "trustpilot",
        "author": "Jane <jane@x>",
        "reach": 50,
        "title": "Never again\r\nBcc: victim@example.com",
        "excerpt": "Charged twice <script>alert(1)</script> & no refund",
        "reasons": ["rating ≤ 2", "refund"],
        "viral_score": 0.1,
        "link": item_link("https://care.example.com", 42),
        **kw,
    }
    return Notice(
        kind="mention", items=[item], severity="critical", dedup_keys=["mention:42:rule:1:channel:1"]
    )


def _config(port: int, **kw):
    return {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "alerts@example.com",
        "to": ["care@example.com", "lead@example.com"],
        "timeout": 5,
        **kw,
    }


def test_email_arrives_with_subject_headers_and_plain_and_html_parts(smtp_peer: SMTPPeer):
    notifier = EmailNotifier(_config(smtp_peer.port), make_settings())
    notifier.send(_notice())
    assert len(smtp_peer.messages) == 1
    msg = smtp_peer.messages[0]
    assert smtp_peer.envelopes[0] == ("alerts@example.com", ["care@example.com", "lead@example.com"])
    assert msg["Subject"] == "[bounceback] CRITICAL complaint on acme-trustpilot"
    assert msg["X-Bounceback-Alert"] == "mention:42:rule:1:channel:1"
    assert msg["Bcc"] is None
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (plain, html):
        assert "https://care.example.com/item?id=42" in part
        assert "acme-trustpilot" in part
    assert "Charged twice <script>alert(1)</script> & no refund" in plain
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; no refund" in html
    assert "<script>" not in html
    assert "Never again Bcc: victim@example.com" in html.replace("<br>", " ") or "Never again" in html


def test_hostile_title_in_a_grouped_subject_cannot_add_a_header(smtp_peer: SMTPPeer):
    notice = Notice(
        kind="mention",
        items=[
            {
                "mention_id": 1,
                "severity": "high",
                "incident_id": 9,
                "incident_title": "Outage\r\nBcc: victim@example.com",
            }
        ],
        count=3,
        severity="high",
    )
    EmailNotifier(_config(smtp_peer.port), make_settings()).send(notice)
    msg = smtp_peer.messages[0]
    assert msg["Bcc"] is None
    assert (
        msg["Subject"].strip()
        == "[bounceback] HIGH 3 complaints in incident #9: Outage Bcc: victim@example.com"
    )
    assert [rcpts for _, rcpts in smtp_peer.envelopes] == [["care@example.com", "lead@example.com"]]


def test_login_with_the_configured_password_is_accepted():
    peer = SMTPPeer(credentials=("alerts", "pa55word"))
    try:
        settings = make_settings(smtp_password="pa55word")
        EmailNotifier(_config(peer.port, username="alerts"), settings).send(_notice())
        assert len(peer.messages) == 1
    finally:
        peer.close()


def test_refused_login_535_is_permanent_and_does_not_show_the_password():
    peer = SMTPPeer(credentials=("alerts", "right-password"))
    try:
        notifier = EmailNotifier(
            _config(peer.port, username="alerts"), make_settings(smtp_password="wr0ng-pass")
        )
        with pytest.raises(DeliveryError) as err:
            notifier.send(_notice())
        assert err.value.permanent
        assert "535" in str(err.value)
        assert "wr0ng-pass" not in str(err.value)
        assert peer.messages == []
    finally:
        peer.close()


def test_unreachable_server_is_a_passing_failure():
    from tests.alerts.peers import free_port

    notifier = EmailNotifier(_config(free_port()), make_settings())
    with pytest.raises(DeliveryError) as err:
        notifier.send(_notice())
    assert not err.value.permanent


@pytest.mark.parametrize(
    "address", ["not-an-address", "a@b\r\nBcc: x@y.com", "two@a.com,three@b.com", "x@localhost"]
)
def test_invalid_recipient_is_refused_when_the_channel_is_configured(address):
    with pytest.raises(InvalidInput):
        EmailNotifier(_config(25, to=[address]), make_settings())


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_transports_deliver_and_an_untrusted_certificate_is_permanent(tmp_path, security):
    import ssl

    from tests.alerts.peers import self_signed_cert

    cert, key = self_signed_cert(tmp_path)
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    tls = (
        {"tls_context": server_tls, "require_starttls": True}
        if security == "starttls"
        else {"ssl_context": server_tls}
    )
    peer = SMTPPeer(credentials=("alerts", "pa55word"), **tls)
    try:
        settings = make_settings(smtp_password="pa55word")
        config = _config(peer.port, security=security, username="alerts", ca_file=str(cert))
        EmailNotifier(config, settings).send(_notice())
        assert len(peer.messages) == 1
        with pytest.raises(DeliveryError) as err:  # the system trust store does not know our certificate
            EmailNotifier({**config, "ca_file": None}, settings).send(_notice())
        assert err.value.permanent and "certificate" in str(err.value)
    finally:
        peer.close()
