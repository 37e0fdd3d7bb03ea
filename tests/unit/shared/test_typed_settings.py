"""Settings are read with pydantic-settings: one typed class per service, one documented field
per variable, secrets from ``NAME`` or ``NAME_FILE``, and a bad value stops the service at
start with a message that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from console.config import ConsoleSettings
from intake.config import IntakeSettings
from notifier.config import NotifierSettings, ProviderSettings
from shared.auth import generate_key_pair
from shared.settings import EnvSettings, ServiceSettings, SettingsError
from workflow.config import WorkflowSettings

PRIVATE, PUBLIC = generate_key_pair()
KEYS = {"ETAPA_JWT_PUBLIC_KEY": PUBLIC, "INTAKE_JWT_PRIVATE_KEY": PRIVATE}
CLASSES: list[type[EnvSettings]] = [
    ServiceSettings,
    IntakeSettings,
    WorkflowSettings,
    NotifierSettings,
    ProviderSettings,
    ConsoleSettings,
]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_field_names_its_variable_and_keeps_its_docstring(cls: type[EnvSettings]) -> None:
    for name, field in cls.model_fields.items():
        assert field.description, f"{cls.__name__}.{name} has no docstring"
        alias = field.validation_alias
        if alias is not None:
            assert isinstance(alias, str)
            variable = alias.removeprefix("SERVICE_")
            assert variable in field.description, (name, alias, field.description)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NOTIFIER_BATCH_SIZE": "lots"}, "NOTIFIER_BATCH_SIZE must be a whole number, got 'lots'"),
        ({"NOTIFIER_BATCH_SIZE": "0"}, "NOTIFIER_BATCH_SIZE must be at least 1, got '0'"),
        ({"NOTIFIER_DISPATCH_INTERVAL": "soon"}, "NOTIFIER_DISPATCH_INTERVAL must be a number"),
        ({"NOTIFIER_STOP_GRACE": "90"}, "NOTIFIER_STOP_GRACE must be at most 60"),
        ({"NOTIFIER_STOP_GRACE": "-1"}, "NOTIFIER_STOP_GRACE must be at least 0"),
        ({"NOTIFIER_DATABASE_POOL_SIZE": "-2"}, "NOTIFIER_DATABASE_POOL_SIZE must be at least 1"),
        ({"NOTIFIER_PORT": "eighty"}, "NOTIFIER_PORT must be a whole number"),
        ({"ETAPA_DELIVERY_LIMIT": "0"}, "ETAPA_DELIVERY_LIMIT must be at least 1"),
        ({"NOTIFIER_SMS_PROVIDER": "pombo"}, "NOTIFIER_SMS_PROVIDER must be one of 'log'"),
        ({"NOTIFIER_CONSUMER_LINGER_MS": "-1"}, "NOTIFIER_CONSUMER_LINGER_MS must be at least 0"),
        (
            {"NOTIFIER_CONSUMER_LINGER_MS": "5000"},
            "NOTIFIER_CONSUMER_LINGER_MS must be at most 1000",
        ),
        ({"NOTIFIER_CONSUMER_PRIORITY": "alta"}, "NOTIFIER_CONSUMER_PRIORITY must be a whole"),
        ({"NOTIFIER_OUTBOX_DIRECT_GRACE_S": "-1"}, "NOTIFIER_OUTBOX_DIRECT_GRACE_S must be at"),
        ({"NOTIFIER_OUTBOX_DIRECT_GRACE_S": "já"}, "NOTIFIER_OUTBOX_DIRECT_GRACE_S must be a"),
        ({"ETAPA_OUTBOX_RETENTION_DAYS": "0"}, "ETAPA_OUTBOX_RETENTION_DAYS must be at least 1"),
        ({"ETAPA_INBOX_RETENTION_DAYS": "mês"}, "ETAPA_INBOX_RETENTION_DAYS must be a whole"),
    ],
)
def test_a_bad_value_names_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        NotifierSettings.from_env(env)


def test_the_consoles_bad_values_name_their_variables() -> None:
    with pytest.raises(SettingsError, match="CONSOLE_API_TIMEOUT must be greater than 0"):
        ConsoleSettings.from_env({"CONSOLE_API_TIMEOUT": "0"})
    with pytest.raises(SettingsError, match="CONSOLE_SECURE_COOKIES must be true or false"):
        ConsoleSettings.from_env({"CONSOLE_SECURE_COOKIES": "maybe"})
    development = ConsoleSettings.from_env(
        {"CONSOLE_RENEW_BEFORE": "90", "CONSOLE_INTAKE_URL": "http://i/"}
    )
    assert (development.secure_cookies, development.renew_before_seconds) == (False, 90)
    assert development.intake_url == "http://i"
    production = ConsoleSettings.from_env(
        {"ETAPA_ENV": "production", "CONSOLE_SECRET_KEY": "9f2c6a0d4b8e1f3a7c5d2e6b9a0f4c8d"}
    )
    assert production.secure_cookies  # on by default outside development


def test_secrets_and_keys_come_from_their_file_as_compose_mounts_them(tmp_path: Path) -> None:
    files = {
        "ETAPA_JWT_PUBLIC_KEY_FILE": PUBLIC,
        "INTAKE_JWT_PRIVATE_KEY_FILE": PRIVATE,
        "INTAKE_OPERATOR_KEY_FILE": "operator-key-from-a-file-0123456789\n",
        "NOTIFIER_CALLBACK_TOKEN_FILE": "  callback-token-from-a-file-0123456789\n",
        "CONSOLE_SECRET_KEY_FILE": "console-key-from-a-file-0123456789\n",
    }
    env = {"ETAPA_ENV": "production"}
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(text)
        env[name] = str(path)
    intake = IntakeSettings.from_env(env)
    assert intake.jwt_private_key == PRIVATE
    assert intake.service.jwt_public_key == PUBLIC
    assert intake.operator_key == "operator-key-from-a-file-0123456789"
    notifier = NotifierSettings.from_env(env)
    assert notifier.callback_token == "callback-token-from-a-file-0123456789"
    assert ConsoleSettings.from_env(env).secret_key == "console-key-from-a-file-0123456789"
    # the variable itself wins over its file; a key's "\n" stands for a line break
    inline = PUBLIC.replace("\n", "\\n")
    assert (
        IntakeSettings.from_env(env | {"ETAPA_JWT_PUBLIC_KEY": inline}).service.jwt_public_key
        == PUBLIC
    )
    for text in (repr(intake), repr(notifier)):  # secrets never in a repr (nor in a log line)
        assert "from-a-file" not in text
        assert "PRIVATE KEY" not in text
    with pytest.raises(SettingsError, match="NOTIFIER_CALLBACK_TOKEN_FILE: cannot read"):
        NotifierSettings.from_env({"NOTIFIER_CALLBACK_TOKEN_FILE": str(tmp_path / "none")})


def test_only_the_mapping_given_is_read_and_empty_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WORKFLOW_RISK_SHARE", "0.5")
    assert WorkflowSettings.from_env({}).risk_share == 0.8
    assert WorkflowSettings.from_env({}).service.consumer_linger_ms == 20
    assert WorkflowSettings.from_env({}).service.consumer_prefetch_batches == 5
    prefetch = {"WORKFLOW_CONSUMER_PREFETCH_BATCHES": "2"}
    assert WorkflowSettings.from_env(prefetch).service.consumer_prefetch_batches == 2
    with pytest.raises(
        SettingsError, match="WORKFLOW_CONSUMER_PREFETCH_BATCHES must be at least 2"
    ):
        WorkflowSettings.from_env({"WORKFLOW_CONSUMER_PREFETCH_BATCHES": "1"})
    assert WorkflowSettings.from_env({}).service.outbox_direct_grace_s == 5.0
    off = {"WORKFLOW_OUTBOX_DIRECT_GRACE_S": "0"}
    assert WorkflowSettings.from_env(off).service.outbox_direct_grace_s == 0
    linger = {"WORKFLOW_CONSUMER_LINGER_MS": "0", "NOTIFIER_CONSUMER_LINGER_MS": "40"}
    assert WorkflowSettings.from_env(linger).service.consumer_linger_ms == 0  # its own, only
    assert WorkflowSettings.from_env({}).service.consumer_priority is None  # drawn at start
    assert (
        WorkflowSettings.from_env({"WORKFLOW_CONSUMER_PRIORITY": "0"}).service.consumer_priority
        == 0
    )
    assert WorkflowSettings.from_env().risk_share == 0.5  # the process's environment by default
    assert WorkflowSettings.from_env({"WORKFLOW_RISK_SHARE": ""}).risk_share == 0.8
    settings = WorkflowSettings.from_env(
        {"WORKFLOW_TRACKING_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2,", "ETAPA_TRUSTED_PROXIES": "a"}
    )
    assert settings.tracking_trusted_proxies == frozenset({"10.0.0.1", "10.0.0.2"})
    assert settings.service.trusted_proxies == ("a",)


BAD_STARTS = [
    pytest.param(
        ["-m", "workflow", "serve"],
        {"WORKFLOW_RISK_SWEEP_INTERVAL": "often"},
        "etapa-workflow: WORKFLOW_RISK_SWEEP_INTERVAL must be a number, got 'often'",
        id="workflow",
    ),
    pytest.param(
        ["-m", "intake", "migrate"],
        {"INTAKE_CONSUMER_LINGER_MS": "-3"},
        "etapa-intake: INTAKE_CONSUMER_LINGER_MS must be at least 0, got '-3'",
        id="intake-migrate",
    ),
    pytest.param(
        ["-m", "notifier"],
        {"NOTIFIER_SMS_PROVIDER": "zenvia"},
        "etapa-notifier: NOTIFIER_ZENVIA_TOKEN is required by the configured SMS provider",
        id="notifier-while-building-its-app",
    ),
    pytest.param(
        ["-c", "from console.__main__ import main; main()"],
        {"ETAPA_HTTP_KEEP_ALIVE_S": "often"},
        "etapa-console: ETAPA_HTTP_KEEP_ALIVE_S must be a whole number, got 'often'",
        id="console-entry-point",
    ),
]


@pytest.mark.parametrize(("command", "bad", "line"), BAD_STARTS)
def test_a_service_with_a_bad_setting_stops_at_start_with_one_line_naming_it(
    command: list[str], bad: dict[str, str], line: str
) -> None:
    """What an operator reads: the variable and the problem on one line, exit code 2, no
    traceback (the service never listens)."""
    prefixes = ("INTAKE_", "WORKFLOW_", "NOTIFIER_", "CONSOLE_", "ETAPA_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    # a service that started anyway would listen where nothing else does, and time out here
    env |= {"INTAKE_PORT": "1", "WORKFLOW_PORT": "1", "NOTIFIER_PORT": "1", "CONSOLE_PORT": "1"}
    done = subprocess.run(
        [sys.executable, *command],
        env=env | bad,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [line]
