"""A branch's calendar form: dates and times as typed, one change at a time, the rest kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from console.domain.calendar_form import (
    day_added,
    day_removed,
    hours_change,
    parse_day_text,
    parse_time_text,
    sending_window_body,
    week_text,
    weekday_of,
)

SETTINGS: dict[str, Any] = {
    "working_weekdays": [0, 1, 2, 3, 4, 5],
    "opens_at": "09:00:00",
    "closes_at": "18:00:00",
    "closing_by_weekday": {"5": "13:00:00"},
    "municipal_holidays": [{"date": "2027-01-25", "description": "Cidade", "every_year": True}],
    "closures": [{"date": "2026-12-26", "description": "Inventário", "every_year": False}],
}


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("25/12/2026", date(2026, 12, 25)),
        ("5/1/2027", date(2027, 1, 5)),
        (" 2026-12-25 ", date(2026, 12, 25)),
        ("31/02/2027", None),
        ("25-12-2026", None),
        ("", None),
    ],
)
def test_dates_are_read_as_dd_mm_aaaa_or_iso(typed: str, day: date | None) -> None:
    assert parse_day_text(typed) == day


@pytest.mark.parametrize(
    ("typed", "time"),
    [("9:00", "09:00"), ("18:30", "18:30"), ("09h00", "09:00"), ("24:00", None), ("9", None)],
)
def test_times_are_read_as_hh_mm(typed: str, time: str | None) -> None:
    assert parse_time_text(typed) == time


def test_the_week_reads_as_runs_of_days_with_the_same_hours() -> None:
    assert week_text(SETTINGS) == "seg–sex 09:00–18:00 · sáb 09:00–13:00"


def test_adding_a_closure_keeps_the_rest_and_sorts_by_date() -> None:
    body, errors = day_added(SETTINGS, "closures", "20/12/2026", " Reforma ", False)
    assert errors == {}
    assert body["closures"] == [
        {"date": "2026-12-20", "description": "Reforma"},
        {"date": "2026-12-26", "description": "Inventário"},
    ]
    assert body["municipal_holidays"] == SETTINGS["municipal_holidays"]
    assert body["opens_at"] == "09:00"
    assert body["closing_by_weekday"] == {"5": "13:00"}


def test_a_municipal_holiday_may_repeat_every_year() -> None:
    body, _ = day_added(SETTINGS, "municipal_holidays", "09/07/2027", "Revolução", True)
    assert {"date": "2027-07-09", "description": "Revolução", "every_year": True} in body[
        "municipal_holidays"
    ]


def test_a_closure_without_a_readable_date_or_a_reason_is_refused_before_any_call() -> None:
    _, errors = day_added(SETTINGS, "closures", "amanhã", "", False)
    assert set(errors) == {"data", "descricao"}


def test_removing_a_day_removes_only_that_date() -> None:
    assert day_removed(SETTINGS, "closures", "2026-12-26")["closures"] == []
    assert len(day_removed(SETTINGS, "closures", "2030-01-01")["closures"]) == 1


def test_the_hours_form_sets_the_week_and_a_shorter_saturday() -> None:
    form = {f"dia-{d}": ["on"] for d in (0, 1, 2, 3, 5)}
    form |= {"abre": ["8:30"], "fecha": ["18:00"], "fecha-5": ["12:00"], "fecha-6": ["10:00"]}
    body, errors = hours_change(SETTINGS, form)
    assert errors == {}
    assert body["working_weekdays"] == [0, 1, 2, 3, 5]
    assert body["opens_at"] == "08:30"
    assert body["closing_by_weekday"] == {"5": "12:00"}  # Sunday is closed: its time is ignored
    assert body["closures"] == [{"date": "2026-12-26", "description": "Inventário"}]


def test_an_unreadable_time_is_an_error_next_to_its_field() -> None:
    _, errors = hours_change(SETTINGS, {"abre": ["nove"], "fecha": ["18:00"], "dia-0": ["on"]})
    assert errors == {"abre": "Informe a hora como HH:MM, ex.: 09:00."}


def test_the_sms_window_goes_to_intake_with_every_other_branch_field_as_it_was() -> None:
    branch = {
        "branch_id": "b1",
        "chain_id": "c1",
        "code": "SP01",
        "name": "Paulista",
        "state": "SP",
        "city": "São Paulo",
        "timezone": "America/Sao_Paulo",
        "phone": "(11) 3333-4444",
        "address": "Av. Paulista, 1000",
        "sms_starts_at": "08:00:00",
        "sms_ends_at": "20:00:00",
        "sms_weekdays": [0, 1, 2, 3, 4, 5],
        "updated_at": "2026-12-02T06:10:44Z",
    }
    form = {"sms-inicio": ["9:00"], "sms-fim": ["19:00"], "sms-dia-0": ["on"], "sms-dia-1": ["on"]}
    body, errors = sending_window_body(branch, form)
    assert errors == {}
    assert body == {
        "code": "SP01",
        "name": "Paulista",
        "state": "SP",
        "city": "São Paulo",
        "timezone": "America/Sao_Paulo",
        "phone": "(11) 3333-4444",
        "address": "Av. Paulista, 1000",
        "sending_window": {"starts_at": "09:00", "ends_at": "19:00", "weekdays": [0, 1]},
    }


def test_weekdays_are_named_in_portuguese() -> None:
    assert weekday_of("2026-12-25") == "sexta"
