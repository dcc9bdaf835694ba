"""Slack, webhook and Apprise notifiers against a real local HTTP server that answers on a script."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from alerts.errors import DeliveryError
from alerts.message import Notice
from alerts.notifiers.apprise import AppriseNotifier
from alerts.notifiers.slack import SlackNotifier
from alerts.notifiers.webhook import WebhookNotifier
from bounceback.errors import InvalidInput, UnsafeURL
from tests.alerts.conftest import make_settings
from tests.alerts.peers import Action, ScriptedHTTPServer


def _notice(text: str = "lost my order <!channel>") -> Notice:
    item = {
        "mention_id": 5,
        "severity": "high",
        "source": "acme",
        "excerpt": text,
        "link": "https://care.example.com/item?id=5",
    }
    return Notice(kind="mention", items=[item], severity="high", dedup_keys=["mention:5:rule:1:channel:1"])


def test_webhook_body_is_signed_with_hmac_sha256_of_the_exact_bytes(http_server: ScriptedHTTPServer):
    WebhookNotifier({"url": http_server.url + "/hook"}, make_settings()).send(_notice())
    [req] = http_server.received
    expected = "sha256=" + hmac.new(b"hook-secret-123", req.body, hashlib.sha256).hexdigest()
    assert req.headers["X-Bounceback-Signature"] == expected
    assert req.headers["X-Bounceback-Delivery"] == "mention:5:rule:1:channel:1"
    assert req.json["items"][0]["excerpt"] == "lost my order <!channel>"
    assert req.json["count"] == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_webhook_client_errors_are_permanent(http_server: ScriptedHTTPServer, status: int):
    http_server.set(status)
    with pytest.raises(DeliveryError) as err:
        WebhookNotifier({"url": http_server.url + "/hook/tok3n-s3cret"}, make_settings()).send(_notice())
    assert err.value.permanent
    assert f"HTTP {status}" in str(err.value)
    assert "tok3n-s3cret" not in str(err.value)


def test_webhook_server_error_is_retried_and_429_carries_retry_after(http_server: ScriptedHTTPServer):
    http_server.then(Action(status=500), Action(status=429, headers={"Retry-After": "120"}))
    notifier = WebhookNotifier({"url": http_server.url}, make_settings())
    with pytest.raises(DeliveryError) as first:
        notifier.send(_notice())
    with pytest.raises(DeliveryError) as second:
        notifier.send(_notice())
    assert not first.value.permanent and first.value.retry_after is None
    assert not second.value.permanent and second.value.retry_after == 120


def test_webhook_that_hangs_times_out_as_a_passing_failure(http_server: ScriptedHTTPServer):
    http_server.set(hang=2.0)
    with pytest.raises(DeliveryError) as err:
        WebhookNotifier({"url": http_server.url, "timeout": 0.3}, make_settings()).send(_notice())
    assert not err.value.permanent
    assert "timeout" in str(err.value)


def test_private_webhook_url_is_refused_unless_allowed(http_server: ScriptedHTTPServer):
    with pytest.raises(UnsafeURL):
        WebhookNotifier({"url": http_server.url}, make_settings(allow_private_urls=False))


def test_slack_incoming_webhook_gets_escaped_blocks(http_server: ScriptedHTTPServer):
    SlackNotifier({"webhook_url": http_server.url + "/services/T0/B0/XYZ"}, make_settings()).send(_notice())
    [req] = http_server.received
    body = json.dumps(req.json)
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body
    assert req.json["unfurl_links"] is False and req.json["unfurl_media"] is False


def test_slack_webhook_404_is_permanent_and_redacts_the_token(http_server: ScriptedHTTPServer):
    http_server.set(404, body=b"no_service")
    with pytest.raises(DeliveryError) as err:
        SlackNotifier({"webhook_url": http_server.url + "/services/T0/B0/S3CR3T"}, make_settings()).send(
            _notice()
        )
    assert err.value.permanent
    assert "S3CR3T" not in str(err.value) and "no_service" in str(err.value)


def test_slack_bot_posts_with_chat_post_message_and_bearer_token(http_server: ScriptedHTTPServer):
    http_server.set(200, body=b'{"ok": true, "ts": "1.2"}', headers={"Content-Type": "application/json"})
    settings = make_settings(slack_bot_token="xoxb-test-token")
    SlackNotifier({"channel": "#care", "base_url": http_server.url + "/api/"}, settings).send(_notice())
    [req] = http_server.received
    assert req.path == "/api/chat.postMessage"
    assert req.headers["Authorization"] == "Bearer xoxb-test-token"
    sent = json.loads(req.body) if req.body.startswith(b"{") else {}
    assert sent.get("channel") == "#care"
    assert "<!channel>" not in req.body.decode()


def test_slack_bot_rate_limit_is_retried_after_retry_after(http_server: ScriptedHTTPServer):
    http_server.set(
        429,
        body=b'{"ok": false, "error": "ratelimited"}',
        headers={"Content-Type": "application/json", "Retry-After": "30"},
    )
    settings = make_settings(slack_bot_token="xoxb-test-token")
    with pytest.raises(DeliveryError) as err:
        SlackNotifier({"channel": "#care", "base_url": http_server.url + "/api/"}, settings).send(_notice())
    assert not err.value.permanent and err.value.retry_after == 30
    assert "xoxb-test-token" not in str(err.value)


def test_slack_bot_unknown_channel_is_permanent(http_server: ScriptedHTTPServer):
    http_server.set(
        200, body=b'{"ok": false, "error": "channel_not_found"}', headers={"Content-Type": "application/json"}
    )
    settings = make_settings(slack_bot_token="xoxb-test-token")
    with pytest.raises(DeliveryError) as err:
        SlackNotifier({"channel": "#nope", "base_url": http_server.url + "/api/"}, settings).send(_notice())
    assert err.value.permanent and "channel_not_found" in str(err.value)


def test_apprise_json_url_posts_the_plain_text_message(http_server: ScriptedHTTPServer):
    url = f"json://127.0.0.1:{http_server.port}/apprise"
    AppriseNotifier({"url": url}, make_settings()).send(_notice())
    [req] = http_server.received
    assert req.path == "/apprise"
    assert "lost my order <!channel>" in req.json["message"]
    assert req.json["title"] == "HIGH complaint on acme"


def test_apprise_failure_is_reported_as_passing(http_server: ScriptedHTTPServer):
    http_server.set(503)
    with pytest.raises(DeliveryError) as err:
        AppriseNotifier({"url": f"json://127.0.0.1:{http_server.port}/x"}, make_settings()).send(_notice())
    assert not err.value.permanent


def test_no_log_line_shows_a_webhook_token(http_server: ScriptedHTTPServer, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    http_server.then(Action(status=500))
    notifier = SlackNotifier({"webhook_url": http_server.url + "/services/T0/B0/L0GT0KEN"}, make_settings())
    with pytest.raises(DeliveryError):
        notifier.send(_notice())
    notifier.send(_notice())
    assert len(http_server.received) == 2
    assert "L0GT0KEN" not in caplog.text


def test_bot_token_is_only_sent_to_slack():
    settings = make_settings(slack_bot_token="xoxb-test-token", allow_private_urls=False)
    with pytest.raises(InvalidInput, match=r"slack\.com URL"):
        SlackNotifier({"channel": "#care", "base_url": "https://collector.example.com/api/"}, settings)
