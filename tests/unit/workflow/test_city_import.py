"""Importing a city's holidays from a file (workflow.adapters.city_import): .ics and CSV read,
every problem named in Portuguese, nothing imported from a bad file."""

from datetime import date

import pytest

from workflow.adapters.city_import import BadHolidayFile, ImportedDay, parse_holiday_file

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Prefeitura de Campinas//Feriados//PT\r
BEGIN:VEVENT\r
UID:1@campinas\r
DTSTART;VALUE=DATE:20270714\r
SUMMARY:Anivers\xc3\xa1rio de Campinas\r
DESCRIPTION:Lei municipal\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@campinas\r
DTSTART;VALUE=DATE:20271207\r
DTEND;VALUE=DATE:20271209\r
SUMMARY:Nossa Senhora da Concei\xc3\xa7\xc3\xa3o\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_an_ics_file_gives_each_whole_day_with_its_name() -> None:
    days = parse_holiday_file(ICS, "text/calendar")
    assert days == [
        ImportedDay(date(2027, 7, 14), "Aniversário de Campinas", "Lei municipal"),
        ImportedDay(date(2027, 12, 7), "Nossa Senhora da Conceição", None),
        ImportedDay(date(2027, 12, 8), "Nossa Senhora da Conceição", None),
    ]


def test_a_csv_file_in_either_date_form_and_separator() -> None:
    text = "data;nome;fonte\n14/07/2027;Aniversário de Campinas;Lei 1\n2028-12-08;Conceição;\n"
    days = parse_holiday_file(text.encode(), "text/csv")
    assert days == [
        ImportedDay(date(2027, 7, 14), "Aniversário de Campinas", "Lei 1"),
        ImportedDay(date(2028, 12, 8), "Conceição", None),
    ]


@pytest.mark.parametrize(
    ("content", "content_type", "problem"),
    [
        (b"", "text/csv", "o arquivo está vazio"),
        (b"\xff\xfe", "text/csv", "não está em UTF-8"),
        (b"dia,feriado\n2027-07-14,X\n", "text/csv", "date (ou data) e name (ou nome)"),
        (b"date,name\n31/02/2027,X\n", "text/csv", "linha 2: data “31/02/2027” inválida"),
        (b"date,name\n2027-07-14,\n", "text/csv", "linha 2: sem nome do feriado"),
        (b"date,name\n1899-07-14,X\n", "text/csv", "fora de 2000–2100"),
        (b"date,name\n", "text/csv", "nenhum feriado"),
        (ICS.replace(b"VALUE=DATE:20270714", b"20270714T100000"), "text/calendar",
         "evento 1 (“Aniversário de Campinas”): precisa ser um dia inteiro"),
        (ICS.replace(b"UID:1@campinas", b"UID:1\r\nRRULE:FREQ=YEARLY"), "text/calendar",
         "repetição (RRULE) não é aceita"),
        (b"BEGIN:VCALENDAR\r\nthis is not\r\n", "text/calendar", "iCalendar ilegível"),
    ],
)  # fmt: skip
def test_a_bad_file_is_refused_with_the_reason(
    content: bytes, content_type: str, problem: str
) -> None:
    with pytest.raises(BadHolidayFile) as refused:
        parse_holiday_file(content, content_type)
    assert problem in str(refused.value)
