"""Outside development no service starts with a weak or demo secret, and no demo data is
seeded (issue 15, item 7)."""

from __future__ import annotations

import pytest

from console.config import DEVELOPMENT_SECRET, ConsoleSettings
from intake.config import IntakeSettings
from intake.entrypoints.demo_seed import seed_demo as seed_intake_demo
from notifier.config import NotifierSettings
from shared.auth import generate_key_pair
from shared.settings import SettingsError
from workflow.config import WorkflowSettings
from workflow.entrypoints.demo_seed import seed_demo as seed_workflow_demo

PRIVATE, PUBLIC = generate_key_pair()
STRONG = "9f2c6a0d4b8e1f3a7c5d2e6b9a0f4c8d"
PRODUCTION = {
    "ETAPA_ENV": "production",
    "ETAPA_JWT_PUBLIC_KEY": PUBLIC,
    "INTAKE_JWT_PRIVATE_KEY": PRIVATE,
    "INTAKE_OPERATOR_KEY": STRONG,
    # nothing answers here: a seed that got past the check would fail differently
    "INTAKE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    "WORKFLOW_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
}


@pytest.mark.parametrize("key", ["x", "short-but-not-demo", "dev-operator-key", "CHANGE_ME"])
def test_production_refuses_a_weak_or_demo_operator_key(key: str) -> None:
    with pytest.raises(SettingsError, match="INTAKE_OPERATOR_KEY"):
        IntakeSettings.from_env(PRODUCTION | {"INTAKE_OPERATOR_KEY": key})
    assert IntakeSettings.from_env(PRODUCTION).operator_key == STRONG
    # development keeps its conveniences
    development = PRODUCTION | {"ETAPA_ENV": "development", "INTAKE_OPERATOR_KEY": key}
    assert IntakeSettings.from_env(development).operator_key == key


@pytest.mark.parametrize("token", ["demo-callback-token", "abc123"])
def test_production_refuses_the_demo_or_a_short_callback_token(token: str) -> None:
    with pytest.raises(SettingsError, match="NOTIFIER_CALLBACK_TOKEN"):
        NotifierSettings.from_env(PRODUCTION | {"NOTIFIER_CALLBACK_TOKEN": token})
    strong = NotifierSettings.from_env(PRODUCTION | {"NOTIFIER_CALLBACK_TOKEN": STRONG})
    assert strong.callback_token == STRONG
    # no token at all is allowed: callbacks then answer 403
    assert NotifierSettings.from_env(PRODUCTION).callback_token is None


@pytest.mark.parametrize("secret", [DEVELOPMENT_SECRET, "segredo"])
def test_production_refuses_the_consoles_development_or_a_short_secret(secret: str) -> None:
    with pytest.raises(SettingsError, match="CONSOLE_SECRET_KEY"):
        ConsoleSettings.from_env(PRODUCTION | {"CONSOLE_SECRET_KEY": secret})
    assert ConsoleSettings.from_env(PRODUCTION | {"CONSOLE_SECRET_KEY": STRONG}).secret_key


async def test_production_refuses_to_seed_demo_data() -> None:
    with pytest.raises(SettingsError, match="seed-demo"):
        await seed_intake_demo(IntakeSettings.from_env(PRODUCTION))
    with pytest.raises(SettingsError, match="seed-demo"):
        await seed_workflow_demo(WorkflowSettings.from_env(PRODUCTION))
