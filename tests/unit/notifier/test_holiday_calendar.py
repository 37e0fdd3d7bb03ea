"""The notifier's closed days read the same corrected state days as workflow's calendars."""

from datetime import date

from notifier.adapters.holiday_calendar import closed_days


def test_state_days_follow_the_corrections() -> None:
    ceara = closed_days("CE", [2028])
    assert date(2028, 3, 25) in ceara  # Data Magna do Ceará stays
    assert date(2028, 8, 15) not in ceara  # Fortaleza's padroeira, not a state day
    assert date(2026, 3, 19) not in closed_days("CE", [2026])  # São José: Fortaleza only
    assert date(2026, 8, 6) in closed_days("AC", [2026])  # Início da Revolução Acreana
    assert date(2026, 5, 15) in closed_days("AP", [2026])  # Dia de Cabralzinho
    assert date(2026, 6, 18) not in closed_days("RO", [2026])  # STF ADI 3940
