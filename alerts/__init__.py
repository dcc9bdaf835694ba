"""bounceback's alerts stage: rules, the outbox, delivery and notifiers.

- `alerts.rules`: conditions → channel; `alerts.channels`: where alerts go (added with a real test).
- `alerts.outbox`: `evaluate` turns flags, incidents and request rows into `Alert` rows (dedup key
  unique, ``ON CONFLICT DO NOTHING``) with their `Activity` in one transaction; `alerts.escalation`
  and `alerts.digest` raise escalations and digests the same way.
- `alerts.delivery`: claims due rows (``FOR UPDATE SKIP LOCKED`` / conditional UPDATE with a lease),
  sends through `alerts.notifiers` (one module per kind, registry `NOTIFIERS`), records the outcome;
  storm control in `alerts.storm`; escaping per channel in `alerts.render`.
- `alerts.queries`: `dead_alerts()` and `outbox_counts()` for the dashboard and status.
- `alerts.commands` / `alerts.jobs`: the CLI commands and scheduled jobs the kernel discovers.
"""
