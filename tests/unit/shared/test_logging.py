"""Logs never hold a customer's phone number or a secret."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from shared.logging import configure_logging, correlation_scope, get_logger, mask_phone_numbers


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("+5511987654321", "+55119******21"),
        ("ligar para (11) 98765-4321 hoje", "ligar para 11987****21 hoje"),
        ("11 98765 4321", "11987****21"),
        ("pedido SP01-000123", "pedido SP01-000123"),
        ("em 23/11/2026", "em 23/11/2026"),
        ("inválido: 5511987654321 (21211)", "inválido: 55119******21 (21211)"),
        ("to +5511987654321 - 2026-02-13", "to +55119******21 - 2026-02-13"),
        # the digits inside ids are not phone numbers
        ("sms-c1dca668-3bd9-4f5d-9863-58972262501b", "sms-c1dca668-3bd9-4f5d-9863-58972262501b"),
        ("order 4f5d-98635555555501b", "order 4f5d-98635555555501b"),
    ],
)
def test_phone_numbers_are_masked(text: str, masked: str) -> None:
    assert mask_phone_numbers(text) == masked


def test_log_lines_are_json_with_correlation_id_and_no_phone_or_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("test-service")
    try:
        with correlation_scope("req-42"):
            get_logger("t").info(
                "sms",
                to="+5511987654321",
                api_token="s3cr3t",
                body="ok",
                error="refused Bearer eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
            )
        line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert line["correlation_id"] == "req-42"
    assert line["service"] == "test-service"
    assert line["to"] == "+55119******21"
    assert line["api_token"] == "[redacted]"
    assert "s3cr3t" not in json.dumps(line)
    assert line["error"] == "refused Bearer [token]"


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_yoyo_steps_are_debug_lines(capsys: pytest.CaptureFixture[str], level: str) -> None:
    configure_logging("test-service", level=level)
    try:
        logging.getLogger("yoyo.migrations").info("Applying 0001.orders")
        logging.getLogger("yoyo.migrations").warning("lock held")
        get_logger("shared.database").info("database_migrated", database="etapa_x", applied=3)
        lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    events = [(line["level"], line["event"]) for line in lines]
    expected = [("warning", "lock held"), ("info", "database_migrated")]
    if level == "DEBUG":
        expected.insert(0, ("debug", "Applying 0001.orders"))
    assert events == expected


def test_a_line_under_the_level_is_dropped_before_it_is_processed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """At WARNING, an info line costs no timestamp, no scrubbing, no rendering."""
    scrubbed: list[str] = []

    def scrub_spy(logger: object, name: str, event: structlog.typing.EventDict) -> object:
        scrubbed.append(event["event"])
        return event

    monkeypatch.setattr("shared.logging.scrub_processor", scrub_spy)
    configure_logging("test-service", level="WARNING")
    try:
        get_logger("t").info("abaixo do nível")
        get_logger("t").warning("no nível")
        lines = capsys.readouterr().out.strip().splitlines()
    finally:
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
    assert scrubbed == ["no nível"]
    assert [json.loads(line)["event"] for line in lines] == ["no nível"]
