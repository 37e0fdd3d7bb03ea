"""The timeline's words for each event of the order machine."""

from datetime import date, datetime, timedelta
from typing import get_args
from zoneinfo import ZoneInfo

import pytest

from shared.settings import SettingsError
from workflow.config import WorkflowSettings
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
)
from workflow.domain.order_texts import describe, duration
from workflow.domain.pauses import PauseCredit

AT = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Sao_Paulo"))


@pytest.mark.parametrize(
    ("event", "kind", "summary"),
    [
        (Paused("ana", "aguardando armação", AT), "paused", "OS pausada: aguardando armação"),
        (
            Resumed(
                "ana",
                AT,
                timedelta(days=2, hours=3),
                datetime(2026, 3, 10, 18, 0, tzinfo=AT.tzinfo),
                AT,
                PauseCredit(
                    AT - timedelta(days=2, hours=3),
                    AT,
                    (date(2026, 2, 27), date(2026, 3, 1)),
                    "aguardando armação",
                ),
            ),
            "resumed",
            "OS retomada após 2 dias e 3 h parada; +2 dias úteis pela pausa de 28/02 07:00 a "
            "02/03 10:00 (aguardando armação); prazo da etapa: 10/03/2026 18:00",
        ),
        (
            Replanned(AT, datetime(2026, 12, 23, 18, 0, tzinfo=AT.tzinfo), date(2026, 12, 21)),
            "replanned",
            "Conclusão prevista para 23/12/2026 (pela previsão do laboratório de 21/12)",
        ),
        (
            PromisedBeforeProposal(date(2026, 12, 1), date(2026, 12, 4), confirmed=False),
            "promised_before_proposal",
            "Data prometida (01/12/2026) antes da proposta (04/12/2026), sem a confirmação do "
            "balcão; confira com o cliente",
        ),
        (
            Replanned(AT, datetime(2026, 12, 10, 18, 0, tzinfo=AT.tzinfo), None),
            "replanned",
            "Conclusão prevista para 10/12/2026 (pelo prazo da etapa atual)",
        ),
        (Assigned("ana", "bruno", "carla"), "assigned", "Atribuída a bruno (antes: carla)"),
        (NoteAdded("ana", "cliente ligou"), "note", "cliente ligou"),
        (Cancelled("ana", "desistiu", AT), "cancelled", "OS cancelada: desistiu"),
        (Delivered("ana", AT), "delivered", "OS entregue ao cliente"),
        (
            ReopenRequested("ana", "lente riscada", AT, "warranty"),
            "reopened",
            "OS reaberta como garantia: lente riscada",
        ),
        (
            LabStatusApplied("surfacing", None, AT, True),
            "lab_status",
            "Status do laboratório LAB1: surfaçagem",
        ),
        (
            ForecastChanged(None, date(2026, 3, 9)),
            "lab_forecast",
            "Previsão do laboratório LAB1: 09/03/2026",
        ),
    ],
)
def test_each_event_has_its_words(event: Event, kind: str, summary: str) -> None:
    note = describe(event, "LAB1")
    assert (note.kind, note.summary) == (kind, summary)


def test_every_event_type_but_stage_entries_is_covered_above() -> None:
    # StageEntered is described through the deadline's own explanation (test_order_machine).
    assert len(get_args(Event)) == 12


@pytest.mark.parametrize(
    ("span", "words"),
    [
        (timedelta(minutes=40), "40 min"),
        (timedelta(hours=5), "5 h"),
        (timedelta(days=1), "1 dia"),
        (timedelta(seconds=20), "menos de 1 min"),
    ],
)
def test_durations_read_naturally(span: timedelta, words: str) -> None:
    assert duration(span) == words


def test_risk_settings_are_read_and_checked() -> None:
    settings = WorkflowSettings.from_env(
        {"WORKFLOW_RISK_SHARE": "0.7", "WORKFLOW_RISK_SWEEP_INTERVAL": "5"}
    )
    assert (settings.risk_share, settings.risk_sweep_interval) == (0.7, 5.0)
    with pytest.raises(SettingsError, match="WORKFLOW_RISK_SHARE"):
        WorkflowSettings.from_env({"WORKFLOW_RISK_SHARE": "1.5"})
    with pytest.raises(SettingsError, match="WORKFLOW_RISK_SWEEP_INTERVAL must be a number"):
        WorkflowSettings.from_env({"WORKFLOW_RISK_SWEEP_INTERVAL": "often"})
