"""Where an SMS's time goes in ``bench_e2e``: each hop from the action at intake to the SMS
marked sent, read from the three services' databases once the steps are done.

Each time but the last is PostgreSQL's ``now()`` of a transaction, its start; the last is the
notifier's clock (the same machine's). They are joined by the request's correlation id (the
action's, carried by the stage change and the message):

- intake's outbox row ``created_at`` (the action's one statement),
- its ``published_at`` (the relay's round that published it began),
- workflow's inbox ``handled_at`` (the consumer batch that applied it began),
- the stage change's outbox ``published_at`` (workflow's relay round began),
- the notifier's inbox ``handled_at`` (its consumer batch began),
- the message's ``sent_at`` (the notifier's clock as it recorded the provider's answer).

So a hop counts the wait for the next transaction to start and the one before it to finish:
"→ workflow batch" is the broker, the prefetch buffer and the batch in progress ahead of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from tests.bench.e2e_measure import Step, percentile

HOPS = ("relayed", "workflow batch", "workflow relayed", "notifier batch", "sent")
"""The hops, each named by where it ends; the first starts at the action's statement."""


@dataclass(frozen=True, slots=True)
class SmsHops:
    recorded_at: datetime
    """When the action's statement ran at intake."""
    seconds: tuple[float, ...]
    """Each hop's seconds, in ``HOPS`` order."""


async def _rows(url: str, sql: str) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


def join_hops(
    actions: Mapping[str, Mapping[str, Any]],
    applied: Mapping[Any, datetime],
    changes: Mapping[str, Mapping[str, Any]],
    noted: Mapping[Any, datetime],
    sent: Sequence[Mapping[str, Any]],
) -> list[SmsHops]:
    """Each sent message joined to its action and stage change by correlation id. ``actions``
    and ``changes``: outbox rows by correlation id; ``applied`` and ``noted``: inbox times by
    message id (workflow's, the notifier's); ``sent``: the messages' correlation id and
    ``sent_at``. A message missing any of its times is left out."""
    found = []
    for sms in sent:
        action, change = actions.get(sms["correlation_id"]), changes.get(sms["correlation_id"])
        if action is None or change is None:
            continue
        if action["message_id"] not in applied or change["message_id"] not in noted:
            continue
        times = [
            action["created_at"],
            action["published_at"],
            applied[action["message_id"]],
            change["published_at"],
            noted[change["message_id"]],
            sms["sent_at"],
        ]
        seconds = tuple((b - a).total_seconds() for a, b in itertools.pairwise(times))
        found.append(SmsHops(times[0], seconds))
    return found


async def sms_hops(env: Mapping[str, str]) -> list[SmsHops]:
    """Every SMS sent in the run, with its hops (``join_hops`` over the three databases)."""
    intake, workflow, notifier = (
        env[f"{service}_DATABASE_URL"] for service in ("INTAKE", "WORKFLOW", "NOTIFIER")
    )
    outbox = (
        "SELECT correlation_id, message_id, created_at, published_at FROM outbox"
        " WHERE routing_key = '{}' AND published_at IS NOT NULL"
    )
    inbox = "SELECT message_id, handled_at FROM inbox"
    return join_hops(
        actions={
            r["correlation_id"]: r for r in await _rows(intake, outbox.format("order.action.v1"))
        },
        applied={r["message_id"]: r["handled_at"] for r in await _rows(workflow, inbox)},
        changes={
            r["correlation_id"]: r
            for r in await _rows(workflow, outbox.format("order.stage_changed.v1"))
        },
        noted={r["message_id"]: r["handled_at"] for r in await _rows(notifier, inbox)},
        sent=await _rows(
            notifier, "SELECT correlation_id, sent_at FROM messages WHERE sent_at IS NOT NULL"
        ),
    )


def hop_line(hops: Sequence[SmsHops], step: Step) -> str | None:
    """Each hop's p50 / p95 / p99 in ms over the SMS whose action was recorded during
    ``step``; None when there were none."""
    inside = [
        h.seconds
        for h in hops
        if step.begin <= h.recorded_at.timestamp() < step.begin + step.seconds
    ]
    if not inside:
        return None
    parts = []
    for index, name in enumerate(HOPS):
        values = [seconds[index] for seconds in inside]
        p50, p95, p99 = (1000 * percentile(values, q) for q in (0.5, 0.95, 0.99))
        parts.append(f"→ {name} {p50:.0f}/{p95:.0f}/{p99:.0f}")
    return (
        f"an SMS's hops, ms p50/p95/p99 ({len(inside)} SMS, database times):"
        f" action {' '.join(parts)}"
    )


async def add_hop_lines(env: Mapping[str, str], steps: list[Step]) -> None:
    """One ``hop_line`` per step, with the step's consumer lines."""
    hops = await sms_hops(env)
    for step in steps:
        line = hop_line(hops, step)
        if line is not None:
            step.handling.append(line)
