"""What the timeline says about each event of the machine, in Portuguese, with its data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from workflow.domain.json_types import JsonObject
from workflow.domain.order_actions import (
    Assigned,
    Cancelled,
    Delivered,
    Event,
    ForecastChanged,
    LabStatusApplied,
    NoteAdded,
    Paused,
    PromisedBeforeProposal,
    ReopenRequested,
    Replanned,
    Resumed,
    StageEntered,
)
from workflow.domain.planning import describe_plan

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


@dataclass(frozen=True, slots=True)
class TimelineNote:
    actor: str
    kind: str
    summary: str
    detail: JsonObject = field(default_factory=dict)


def describe(event: Event, lab_code: str | None = None) -> TimelineNote:
    """The timeline entry of one event (``lab_code`` names the lab for lab events)."""
    lab = f"laboratório {lab_code}" if lab_code else "laboratório"
    match event:
        case StageEntered():
            detail: JsonObject = {
                "stage": event.to_stage.key,
                "due_at": event.deadline.due_at.isoformat(),
            }
            if event.reason is None:
                head = f"Entrou na etapa “{event.to_stage.name}”."
            else:
                head = f"Voltou para a etapa “{event.to_stage.name}”: {event.reason}."
                detail["reason"] = event.reason
            return TimelineNote(
                "sistema", "stage_entered", f"{head} {event.deadline.describe()}", detail
            )
        case Paused():
            return TimelineNote(event.actor, "paused", f"OS pausada: {event.reason}")
        case Resumed():
            due = event.stage_due_at.astimezone(event.credit.resumed_at.tzinfo)
            return TimelineNote(
                event.actor,
                "resumed",
                f"OS retomada após {duration(event.paused_for)} parada; "
                f"{event.credit.describe()}; prazo da etapa: {due:%d/%m/%Y %H:%M}",
                {
                    "paused_seconds": int(event.paused_for.total_seconds()),
                    "business_days_given_back": event.credit.business_days,
                    "stage_due_at": event.stage_due_at.isoformat(),
                },
            )
        case Assigned():
            before = f" (antes: {event.previous})" if event.previous else ""
            return TimelineNote(event.actor, "assigned", f"Responsável: {event.assignee}{before}")
        case NoteAdded():
            return TimelineNote(event.actor, "note", event.text)
        case Cancelled():
            return TimelineNote(event.actor, "cancelled", f"OS cancelada: {event.reason}")
        case Delivered():
            return TimelineNote(event.actor, "delivered", "OS entregue ao cliente")
        case ReopenRequested():
            label = REOPEN_LABELS[event.kind]
            return TimelineNote(
                event.actor, "reopened", f"OS reaberta como {label}: {event.reason}"
            )
        case LabStatusApplied():
            label = LAB_STATUS_LABELS.get(event.status, event.status)
            return TimelineNote(
                lab,
                "lab_status",
                f"Status do {lab}: {label}",
                {"status": event.status, "moved": event.moved},
            )
        case ForecastChanged():
            return TimelineNote(
                lab,
                "lab_forecast",
                f"Previsão do {lab}: {event.eta:%d/%m/%Y}",
                {"eta": event.eta.isoformat()},
            )
        case Replanned():
            when = event.projected_completion_at  # in the branch's zone (planning)
            return TimelineNote(
                "sistema",
                "replanned",
                f"Conclusão prevista para {when:%d/%m/%Y} ({describe_plan(event.lab_eta)})",
                {
                    "projected_completion_at": event.projected_completion_at.isoformat(),
                    "lab_eta": event.lab_eta.isoformat() if event.lab_eta else None,
                },
            )
        case PromisedBeforeProposal():
            how = (
                "confirmada no balcão"
                if event.confirmed
                else "sem a confirmação do balcão; confira com o cliente"
            )
            return TimelineNote(
                "sistema",
                "promised_before_proposal",
                f"Data prometida ({event.promised_date:%d/%m/%Y}) antes da proposta "
                f"({event.proposed_date:%d/%m/%Y}), {how}",
                {
                    "promised_date": event.promised_date.isoformat(),
                    "proposed_date": event.proposed_date.isoformat(),
                    "confirmed": event.confirmed,
                },
            )
    raise TypeError(f"no timeline text for {event!r}")  # pragma: no cover


def duration(span: timedelta) -> str:
    """``2 dias e 3 h``, ``5 h``, ``40 min`` — a stop's length for people."""
    minutes = int(span.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} dia" + ("s" if days > 1 else ""))
    if hours:
        parts.append(f"{hours} h")
    if mins and not days:
        parts.append(f"{mins} min")
    return " e ".join(parts) if parts else "menos de 1 min"
