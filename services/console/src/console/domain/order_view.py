"""The order screen in words: status and lab labels, the progress line, the timeline.

Rules:
- The progress line has one step per stage of the order's flow version, in order: stages
  before the current one are done, the current one is current (done too once the order is
  delivered), the rest are next. A stage of an older flow that the order sits in but the flow
  no longer names is shown where the order says it is.
- Each step shows the due time of its latest stay (in the branch's zone), or its exit time when
  done; steps not reached yet have none.
- The timeline reads newest first.
- A cancelled order's stage shows no due time: nothing is due any more.
- An SMS held for the branch's sending hours that the notifier will drop when they open (the
  order closed or moved past its stage since) says so, in the notifier's words (its
  ``not_sent_reason``), instead of the hour it waits for.
- The order's second date says what is known, not a forecast of what already happened:
  "Entregue em" or "Cancelada em" once closed, "Pronta desde" while it waits in its flow's
  last stage, "Previsão de conclusão" otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from console.domain.formatting import moment_text, parse_instant, short_moment_text

STATUS_LABELS = {
    "in_progress": "em andamento",
    "paused": "pausada",
    "delivered": "entregue",
    "cancelled": "cancelada",
    "needs_attention": "precisa de atenção",
}
RISK_TEXT = {"on_track": "No prazo", "at_risk": "Em risco", "overdue": "Atrasada"}
ITEM_KIND_LABELS = {
    "lens": "Lente",
    "frame": "Armação",
    "contact_lens": "Lente de contato",
    "treatment": "Tratamento",
    "service": "Serviço",
    "other": "Outro",
}
MESSAGE_STATUS_LABELS = {
    "pending": "na fila",
    "held": "aguardando horário de envio",
    "sending": "enviando",
    "sent": "enviada",
    "delivered": "entregue",
    "failed": "falhou",
    "suppressed": "não enviada",
}
LAB_STATUS_LABELS = {
    "received": "recebido pelo laboratório",
    "in_production": "em produção",
    "surfacing": "surfaçagem",
    "coating": "tratamento das lentes",
    "edging": "corte e montagem",
    "assembly": "montagem",
    "quality_check": "controle de qualidade",
    "shipped": "enviado à loja",
    "on_hold": "em espera no laboratório",
    "cancelled": "cancelado pelo laboratório",
    "remake": "refação pedida pelo laboratório",
}
REOPEN_LABELS = {"remake": "refação", "warranty": "garantia"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    name: str
    state: str
    """``done``, ``current`` or ``next``."""
    when: str
    """``vence 08/12 18:00``, ``concluída 03/12 14:02``, or empty."""


def progress_line(
    flow_stages: Sequence[Mapping[str, Any]], order: Mapping[str, Any], zone: str | None
) -> list[Step]:
    """One step per flow stage, marked done, current or next for ``order`` (workflow's)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for entry in order.get("stages") or []:
        latest[str(entry["stage_key"])] = entry
    stages = [(str(s["key"]), str(s["name"])) for s in flow_stages]
    current_key = order.get("stage_key")
    if current_key and current_key not in {key for key, _ in stages}:
        position = int(order.get("stage_position") or 0)
        stages.insert(min(position, len(stages)), (str(current_key), str(order["stage_name"])))
    keys = [key for key, _ in stages]
    current = keys.index(current_key) if current_key in keys else -1
    delivered = order.get("status") == "delivered"
    cancelled = order.get("status") == "cancelled"
    steps = []
    for index, (key, name) in enumerate(stages):
        if index < current or (index == current and delivered):
            state = "done"
        elif index == current:
            state = "current"
        else:
            state = "next"
        when = "cancelada aqui" if cancelled and state == "current" else None
        steps.append(Step(key, name, state, when or _when(latest.get(key), state, zone)))
    return steps


def _when(entry: Mapping[str, Any] | None, state: str, zone: str | None) -> str:
    if entry is None:
        return ""
    exited = parse_instant(entry.get("exited_at"))
    if state == "done" and exited is not None:
        return f"concluída {short_moment_text(exited, zone)}"
    if state == "current":
        return f"vence {short_moment_text(parse_instant(entry.get('due_at')), zone)}"
    return ""


def held_sms_outlook(message: Mapping[str, Any]) -> str | None:
    """Why a held SMS will not go out after all, in the notifier's words (its
    ``not_sent_reason``: the order closed or left the message's stage since, and the notifier
    drops it when the sending hours open), or ``None`` while it still will (or is not held)."""
    reason = message.get("not_sent_reason")
    if message.get("status") != "held" or not reason:
        return None
    return f"não será enviada: {reason}"


@dataclass(frozen=True, slots=True)
class CompletionFact:
    label: str
    when: str
    """``02/12/2026 18:00`` in the branch's zone, or ``—``."""
    forecast: bool
    """``True`` for a projection (its reason is shown beside it)."""


def completion_fact(
    order: Mapping[str, Any], at_last_stage: bool, zone: str | None
) -> CompletionFact:
    """The order's second date (after the promised one), by where ``order`` stands."""
    status = order.get("status")
    label, field, forecast = "Previsão de conclusão", "projected_completion_at", True
    if status in ("delivered", "cancelled"):
        label = "Entregue em" if status == "delivered" else "Cancelada em"
        field, forecast = "closed_at", False
    elif at_last_stage:
        label, field, forecast = "Pronta desde", "stage_entered_at", False
    return CompletionFact(label, moment_text(parse_instant(order.get(field)), zone), forecast)


def newest_first(entries: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The timeline, newest first (entries of one instant keep their recorded order reversed)."""
    indexed = list(enumerate(entries))
    indexed.sort(key=lambda pair: (parse_instant(pair[1].get("occurred_at")) or EPOCH, pair[0]))
    return [entry for _, entry in reversed(indexed)]
