"""Intake refuses to start with a development secret outside development."""

from __future__ import annotations

import pytest

from intake.config import DEVELOPMENT_OPERATOR_KEY, IntakeSettings
from shared.auth import generate_key_pair
from shared.settings import SettingsError

PRIVATE, PUBLIC = generate_key_pair()
KEYS = {"ETAPA_JWT_PUBLIC_KEY": PUBLIC, "INTAKE_JWT_PRIVATE_KEY": PRIVATE}


def test_development_may_use_the_default_operator_key() -> None:
    assert IntakeSettings.from_env(KEYS).operator_key == DEVELOPMENT_OPERATOR_KEY


@pytest.mark.parametrize("operator_key", [None, DEVELOPMENT_OPERATOR_KEY])
def test_production_refuses_the_default_operator_key(operator_key: str | None) -> None:
    env = KEYS | {"ETAPA_ENV": "production"}
    if operator_key:
        env["INTAKE_OPERATOR_KEY"] = operator_key
    with pytest.raises(SettingsError, match="INTAKE_OPERATOR_KEY"):
        IntakeSettings.from_env(env)


def test_intake_needs_its_signing_key() -> None:
    with pytest.raises(SettingsError, match="INTAKE_JWT_PRIVATE_KEY"):
        IntakeSettings.from_env({"ETAPA_JWT_PUBLIC_KEY": PUBLIC})


def test_token_lifetime_is_bounded() -> None:
    with pytest.raises(SettingsError, match="INTAKE_TOKEN_TTL_MINUTES"):
        IntakeSettings.from_env(KEYS | {"INTAKE_TOKEN_TTL_MINUTES": "0"})
    assert (
        IntakeSettings.from_env(KEYS | {"INTAKE_TOKEN_TTL_MINUTES": "5"}).token_ttl.seconds == 300
    )


def test_the_lab_time_window_is_a_setting() -> None:
    settings = IntakeSettings.from_env(
        KEYS | {"INTAKE_LAB_TIME_PAST_DAYS": "7", "INTAKE_LAB_TIME_FUTURE_MINUTES": "2"}
    )
    assert (settings.lab_time_window.back.days, settings.lab_time_window.ahead.seconds) == (7, 120)
    with pytest.raises(SettingsError, match="INTAKE_LAB_TIME_PAST_DAYS"):
        IntakeSettings.from_env(KEYS | {"INTAKE_LAB_TIME_PAST_DAYS": "0"})


def test_tokens_live_15_minutes_by_default() -> None:
    assert IntakeSettings.from_env(KEYS).token_ttl.total_seconds() == 15 * 60
