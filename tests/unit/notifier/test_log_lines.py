"""The notifier's log lines go through the scrubber: numbers masked, credentials redacted."""

from __future__ import annotations

import json

import pytest

from shared.logging import configure_logging, get_logger


def test_notifier_lines_mask_numbers_and_hide_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("notifier")
    log = get_logger("notifier.test")
    log.info("phone_opted_out", phone="+5511987654321", source="reply")
    log.info("sms_sent_to_log", to="+5511987654321", body="Ligue (11) 3253-1000")
    log.info("sms_status", reason='zenvia: HTTP 400: {"message": "número inválido: 5511987654321"}')
    log.info("settings", callback_token="segredo", zenvia_api_token="zsecret")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    text = json.dumps(lines)
    assert "987654321" not in text
    assert "3253-1000" not in text
    assert "segredo" not in text
    assert "zsecret" not in text
    assert lines[0]["phone"] == "+55119******21"
