"""scripts/rabbitmq-lab-user.sh names the lab's user and exchange after the installation's
prefix, as the services name their topology (rabbitmqctl replaced by a recorder here; the
integration test runs the script against the real broker)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "rabbitmq-lab-user.sh"


def _run(tmp_path: Path, prefix: str | None) -> list[str]:
    calls = tmp_path / "calls"
    stub = tmp_path / "rabbitmqctl"
    stub.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    stub.chmod(0o755)
    env = {"PATH": f"{tmp_path}:{os.environ['PATH']}"}
    if prefix is not None:
        env["ETAPA_TOPOLOGY_PREFIX"] = prefix
    subprocess.run([str(SCRIPT), "LABDEMO", "s3nha"], env=env, check=True, capture_output=True)
    return calls.read_text().splitlines()


@pytest.mark.parametrize(
    ("prefix", "user", "exchange"),
    [
        (None, "lab_LABDEMO", "etapa.lab"),
        ("walk", "walk.lab_LABDEMO", "walk.etapa.lab"),
        ("loja-2_", "loja-2_lab_LABDEMO", "loja-2_etapa.lab"),
    ],
)
def test_the_user_and_exchange_carry_the_installation_prefix(
    tmp_path: Path, prefix: str | None, user: str, exchange: str
) -> None:
    calls = _run(tmp_path, prefix)
    escaped = exchange.replace(".", "\\.")
    assert calls == [
        "-q list_users",
        f"-q add_user {user} s3nha",
        f"-q set_permissions -p / {user} ^$ ^{escaped}$ ^$",
        f"-q set_topic_permissions -p / {user} {exchange} ^lab\\.LABDEMO\\.status$ ^$",
    ]
