"""The secrets job: writes what is missing, keeps what is there, takes what it is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.auth import TokenIssuer, TokenVerifier, generate_key_pair, principal_for
from shared.deploy_secrets import main, write_secrets
from shared.settings import SettingsError, read_secret


def _files(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): path.read_text()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def test_each_service_gets_only_its_own_secrets_and_a_working_key_pair(tmp_path: Path) -> None:
    write_secrets(tmp_path, {})
    assert set(_files(tmp_path)) == {
        "intake/private.pem",
        "intake/public.pem",
        "intake/operator-key",
        "workflow/public.pem",
        "notifier/public.pem",
        "notifier/callback-token",
        "console/public.pem",
        "console/secret-key",
    }
    token = TokenIssuer((tmp_path / "intake/private.pem").read_text()).issue(
        principal_for("00000000-0000-0000-0000-000000000001")
    )
    verifier = TokenVerifier((tmp_path / "workflow/public.pem").read_text())
    assert str(verifier.verify(token).chain_id).endswith("1")
    assert len((tmp_path / "intake/operator-key").read_text()) >= 24
    assert (tmp_path / "intake/private.pem").stat().st_mode & 0o777 == 0o600


def test_a_second_run_keeps_everything(tmp_path: Path) -> None:
    write_secrets(tmp_path, {})
    before = _files(tmp_path)
    report = write_secrets(tmp_path, {})
    assert _files(tmp_path) == before
    assert report == [
        "token key pair: kept",
        "INTAKE_OPERATOR_KEY: kept",
        "NOTIFIER_CALLBACK_TOKEN: kept",
        "CONSOLE_SECRET_KEY: kept",
    ]


def test_given_values_are_written_and_the_public_key_follows_the_private_one(
    tmp_path: Path,
) -> None:
    private, public = generate_key_pair()
    operator_key = "o" * 40
    write_secrets(
        tmp_path,
        {
            "INTAKE_JWT_PRIVATE_KEY": private.replace("\n", "\\n"),
            "INTAKE_OPERATOR_KEY": operator_key,
        },
    )
    assert (tmp_path / "intake/private.pem").read_text() == private
    assert (tmp_path / "console/public.pem").read_text() == public
    assert (tmp_path / "intake/operator-key").read_text() == operator_key


@pytest.mark.parametrize("value", ["dev-operator-key", "short-but-not-demo"])
def test_a_weak_given_secret_is_refused_naming_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="INTAKE_OPERATOR_KEY"):
        write_secrets(tmp_path, {"INTAKE_OPERATOR_KEY": value})


def test_the_command_exits_1_with_the_reason_and_prints_no_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONSOLE_SECRET_KEY", "CHANGE_ME")
    assert main([str(tmp_path)]) == 1
    assert "CONSOLE_SECRET_KEY" in capsys.readouterr().err
    monkeypatch.delenv("CONSOLE_SECRET_KEY")
    assert main([str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "intake/operator-key").read_text() not in printed


def test_read_secret_takes_the_value_or_the_file(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("from-the-file\n")
    assert read_secret({"X": "direct"}, "X") == "direct"
    assert read_secret({"X_FILE": str(tmp_path / "token")}, "X") == "from-the-file"
    assert read_secret({}, "X") is None
    with pytest.raises(SettingsError, match="X_FILE: cannot read"):
        read_secret({"X_FILE": str(tmp_path / "missing")}, "X")
