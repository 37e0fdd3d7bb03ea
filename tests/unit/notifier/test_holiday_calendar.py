"""The notifier's closed days read the same corrected state days as workflow's calendars."""

from datetime import date

from notifier.adapters.holiday_calendar import _closed_in_year, closed_days, warm


def test_state_days_follow_the_corrections() -> None:
    ceara = closed_days("CE", [2028])
    assert date(2028, 3, 25) in ceara  # Data Magna do Ceará stays
    assert date(2028, 8, 15) not in ceara  # Fortaleza's padroeira, not a state day
    assert date(2026, 3, 19) not in closed_days("CE", [2026])  # São José: Fortaleza only
    assert date(2026, 8, 6) in closed_days("AC", [2026])  # Início da Revolução Acreana
    assert date(2026, 5, 15) in closed_days("AP", [2026])  # Dia de Cabralzinho
    assert date(2026, 6, 18) not in closed_days("RO", [2026])  # STF ADI 3940


def test_warm_builds_every_states_calendar_so_no_sms_waits_for_the_first_build() -> None:
    _closed_in_year.cache_clear()
    warm([2031, 2032])
    assert _closed_in_year.cache_info().currsize == 27 * 2  # the 26 states and the DF
    before = _closed_in_year.cache_info().hits
    assert date(2031, 7, 9) in closed_days("SP", [2031])  # Revolução Constitucionalista
    assert closed_days("AC", [2032])
    assert _closed_in_year.cache_info().hits == before + 2  # built at start, not now
