"""`bounceback channel …`, `bounceback rule …`, `bounceback deliver`, `bounceback alerts …`.

Thin: each command parses its arguments and calls an importable function.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bounceback.errors import InvalidInput


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the alerts commands to the `bounceback` CLI."""
    parser_class = type(sub.add_parser("deliver", help="run one delivery pass over the outbox"))
    deliver = sub.choices["deliver"]
    deliver.add_argument(
        "--lease", type=int, default=120, help="seconds a claimed alert stays ours (default 120)"
    )
    deliver.add_argument("--limit", type=int, default=500, help="alerts per pass (default 500)")
    deliver.set_defaults(func=_deliver)
    _channel_commands(sub, parser_class)
    _rule_commands(sub, parser_class)
    alerts = sub.add_parser("alerts", help="evaluate rules, escalate, digests, dead alerts")
    asub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", parser_class=parser_class)
    asub.required = True
    asub.add_parser("evaluate", help="turn new flags and incidents into alerts").set_defaults(func=_evaluate)
    asub.add_parser("escalate", help="escalate unclaimed items past their SLA").set_defaults(func=_escalate)
    asub.add_parser("digest", help="raise the digests of periods that ended").set_defaults(func=_digest)
    asub.add_parser("status", help="alerts per status").set_defaults(func=_status)
    dead = asub.add_parser("dead", help="alerts that will not be delivered, with the reason")
    dead.add_argument("--limit", type=int, default=50)
    dead.set_defaults(func=_dead)
    retry = asub.add_parser("retry", help="give a dead alert another try")
    retry.add_argument("alert_id", type=int)
    retry.set_defaults(func=_retry)


def _channel_commands(sub: argparse._SubParsersAction[Any], parser_class: Any) -> None:
    ch = sub.add_parser("channel", help="where alerts go (Slack, email, webhook, Apprise)")
    csub = ch.add_subparsers(dest="channel_command", metavar="ACTION", parser_class=parser_class)
    csub.required = True
    add = csub.add_parser("add", help="add a channel; sends a real test message first")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=["slack", "email", "webhook", "apprise"])
    add.add_argument("--url", help="Slack incoming webhook, webhook URL, or Apprise URL")
    add.add_argument("--slack-channel", help="Slack channel for chat.postMessage (bot token mode)")
    add.add_argument("--slack-base-url", help="Slack API base URL (tests, proxies)")
    add.add_argument("--smtp-host")
    add.add_argument("--smtp-port", type=int)
    add.add_argument("--security", choices=["starttls", "ssl", "none"], help="SMTP transport security")
    add.add_argument("--username", help="SMTP login (password: BOUNCEBACK_SMTP_PASSWORD)")
    add.add_argument("--sender", help="From address")
    add.add_argument("--to", action="append", default=[], help="recipient (repeatable)")
    add.add_argument("--timeout", type=float, help="seconds to wait for the receiver")
    add.add_argument("--quiet-hours", help="e.g. 22:00-07:00; only critical alerts go through then")
    add.add_argument("--timezone", default="UTC", help="IANA timezone of the quiet hours and digests")
    add.add_argument("--digest", choices=["daily", "weekly"], help="send a digest of this period")
    add.add_argument("--no-test", action="store_true", help="store without sending a test message")
    add.set_defaults(func=_channel_add)
    csub.add_parser("list", help="list channels (secrets redacted)").set_defaults(func=_channel_list)
    test = csub.add_parser("test", help="send a real test message and report the exact failure")
    test.add_argument("name")
    test.set_defaults(func=_channel_test)


def _rule_commands(sub: argparse._SubParsersAction[Any], parser_class: Any) -> None:
    rule = sub.add_parser("rule", help="conditions that send alerts to a channel")
    rsub = rule.add_subparsers(dest="rule_command", metavar="ACTION", parser_class=parser_class)
    rsub.required = True
    add = rsub.add_parser("add", help="add a rule")
    add.add_argument("name")
    add.add_argument("--channel", required=True, help="channel name")
    add.add_argument(
        "--event",
        choices=["flagged", "incident", "sla"],
        default="flagged",
        help="flagged mention (default), incident opened, or unclaimed past SLA",
    )
    add.add_argument("--min-severity", choices=["low", "medium", "high", "critical"])
    add.add_argument("--negative", action="store_true", help="sentiment must be negative")
    add.add_argument("--min-reach", type=int)
    add.add_argument("--min-viral", type=float)
    add.add_argument("--accelerating", action="store_true")
    add.add_argument("--max-rating", type=float)
    add.add_argument("--source", help="source name")
    add.add_argument("--watch", help="watch name")
    add.set_defaults(func=_rule_add)
    rsub.add_parser("list", help="list rules").set_defaults(func=_rule_list)
    rm = rsub.add_parser("remove", help="remove a rule")
    rm.add_argument("name")
    rm.set_defaults(func=_rule_remove)


def _print_json(counts: dict[str, Any]) -> int:
    print(json.dumps(counts, default=str))
    return 0


def _deliver(args: argparse.Namespace) -> int:
    from alerts.delivery import deliver

    if args.lease < 1 or args.limit < 1:
        raise InvalidInput("--lease and --limit must be positive")
    return _print_json(deliver(limit=args.limit, lease_seconds=args.lease))


def _evaluate(args: argparse.Namespace) -> int:
    from alerts.outbox import evaluate

    return _print_json(evaluate())


def _escalate(args: argparse.Namespace) -> int:
    from alerts.escalation import escalate_overdue

    return _print_json(escalate_overdue())


def _digest(args: argparse.Namespace) -> int:
    from alerts.digest import enqueue_digests

    return _print_json(enqueue_digests())


def _status(args: argparse.Namespace) -> int:
    from alerts.queries import outbox_counts

    return _print_json(outbox_counts())


def _dead(args: argparse.Namespace) -> int:
    from alerts.queries import dead_alerts
    from bounceback.commands.output import print_table

    rows = [
        (d.id, d.channel, d.kind, d.mention_id or d.incident_id, d.attempts, d.reason)
        for d in dead_alerts(limit=args.limit)
    ]
    print_table(rows, ["id", "channel", "kind", "item", "attempts", "reason"])
    return 0


def _retry(args: argparse.Namespace) -> int:
    from alerts.queries import requeue

    if not requeue(args.alert_id):
        raise InvalidInput(f"alert {args.alert_id} is not dead")
    print(f"alert {args.alert_id} queued again")
    return 0


def _channel_config(args: argparse.Namespace) -> dict[str, Any]:
    if args.kind == "slack":
        return {
            "webhook_url": args.url,
            "channel": args.slack_channel,
            "base_url": args.slack_base_url,
            "timeout": args.timeout,
        }
    if args.kind == "email":
        return {
            "host": args.smtp_host,
            "port": args.smtp_port,
            "security": args.security,
            "username": args.username,
            "sender": args.sender,
            "to": args.to,
            "timeout": args.timeout,
        }
    return {"url": args.url, "timeout": args.timeout}


def _channel_add(args: argparse.Namespace) -> int:
    from alerts.channels import add_channel

    channel, result, made = add_channel(
        args.name,
        args.kind,
        _channel_config(args),
        quiet_hours=args.quiet_hours,
        timezone=args.timezone,
        digest=args.digest,
        test=not args.no_test,
    )
    if result is not None and not result.ok:
        kind = "permanent" if result.permanent else "temporary"
        print(f"test message to {result.target} failed ({kind}): {result.error}")
        print("channel not added (fix it, or add with --no-test)")
        return 1
    print(
        f"channel {channel.id} added: {channel.name} ({channel.kind})"
        + (f"; test message sent to {result.target}" if result else "")
    )
    if made:
        print("default rules created: high-severity, viral-negative, new-incident, sla-escalation")
    return 0


def _channel_list(args: argparse.Namespace) -> int:
    from alerts.channels import describe_target, list_channels
    from bounceback.commands.output import print_table

    rows = [
        (
            c.id,
            c.name,
            c.kind,
            describe_target(c),
            c.quiet_hours or "",
            c.timezone,
            (c.config or {}).get("digest", ""),
            "yes" if c.enabled else "no",
        )
        for c in list_channels()
    ]
    print_table(rows, ["id", "name", "kind", "target", "quiet", "tz", "digest", "enabled"])
    return 0


def _channel_test(args: argparse.Namespace) -> int:
    from alerts.channels import get_channel, send_test

    result = send_test(get_channel(args.name))
    if result.ok:
        print(f"test message sent to {result.target}")
        return 0
    kind = "permanent" if result.permanent else "temporary"
    print(f"test message to {result.target} failed ({kind}): {result.error}")
    return 1


def _rule_add(args: argparse.Namespace) -> int:
    from alerts.rules import add_rule

    conditions = {
        "event": args.event,
        "min_severity": args.min_severity,
        "negative": args.negative or None,
        "min_reach": args.min_reach,
        "min_viral": args.min_viral,
        "accelerating": args.accelerating or None,
        "max_rating": args.max_rating,
        "source": args.source,
        "watch": args.watch,
    }
    rule = add_rule(args.name, args.channel, {k: v for k, v in conditions.items() if v is not None})
    print(f"rule {rule.id} added: {rule.name} → {args.channel}")
    return 0


def _rule_list(args: argparse.Namespace) -> int:
    from alerts.rules import list_rules, parse_conditions
    from bounceback.commands.output import print_table

    rows = [
        (r.id, r.name, channel, parse_conditions(r.conditions).describe(), "yes" if r.enabled else "no")
        for r, channel in list_rules()
    ]
    print_table(rows, ["id", "name", "channel", "conditions", "enabled"])
    return 0


def _rule_remove(args: argparse.Namespace) -> int:
    from alerts.rules import remove_rule

    remove_rule(args.name)
    print(f"rule {args.name} removed")
    return 0
