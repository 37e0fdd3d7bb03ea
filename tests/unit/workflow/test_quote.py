"""A quote chains every stage of a flow from the start, and says why in Portuguese."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from workflow.domain.calendar import BranchCalendar, DayCounting
from workflow.domain.flow import FlowVersion, Stage
from workflow.domain.quote import quote

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
CARNIVAL = "Carnaval (ponto facultativo)"
FLOW = FlowVersion(
    "oculos",
    "Óculos",
    3,
    (
        Stage("conferencia", "Conferência", 1, DayCounting.BUSINESS),
        Stage("entrega", "Entrega do fornecedor", 5, DayCounting.CALENDAR),
        Stage("pronto", "Pronto", 0, DayCounting.BUSINESS, pauses_clock=True),
    ),
)


def test_a_quote_chains_the_stages_and_explains_the_days_it_skipped() -> None:
    calendar = BranchCalendar(
        "America/Sao_Paulo", {date(2026, 2, 16): CARNIVAL, date(2026, 2, 17): CARNIVAL}
    )

    quoted = quote(FLOW, calendar, datetime(2026, 2, 13, 10, 0, tzinfo=SAO_PAULO))

    due = [deadline.due_at for deadline in quoted.projection.stage_deadlines]
    # Fri 13 → Wed 18 (1 business day); 5 calendar days → Mon 23; zero days → Mon 23.
    assert due == [
        datetime(2026, 2, 18, 18, 0, tzinfo=SAO_PAULO),
        datetime(2026, 2, 23, 18, 0, tzinfo=SAO_PAULO),
        datetime(2026, 2, 23, 18, 0, tzinfo=SAO_PAULO),
    ]
    assert quoted.promised_date == date(2026, 2, 23)
    assert quoted.describe() == (
        "Pronto em 23/02/2026 às 18:00: 3 etapas a partir de 13/02/2026 10:00; "
        "pulou Carnaval (ponto facultativo, 16/02 e 17/02) e o fim de semana (14/02 e 15/02)"
    )
