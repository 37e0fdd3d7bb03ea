"""docker-compose.yml starts: its services, run as local processes with the file's settings,
all become healthy and an order opened at intake reaches the notifier's SMS list.

No Docker engine: see ``tests.deploy.compose`` for how each service becomes a process. The file
is read with Docker Compose's own parser, and every Etapa process gets only the environment the
file gives it, so a setting missing from the file (a key, a secret, ``ETAPA_ENV``) fails here.
The installation runs as the file says: ``ETAPA_ENV=production``, secrets from the ``keys``
job's volumes, the RabbitMQ node booted from ``deploy/rabbitmq``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.deploy.compose import (
    COMPOSE_FILE,
    ROOT,
    ComposeRabbitMQ,
    ComposeRun,
    compose_model,
    container_ports,
    running_compose,
)
from tests.infra import Infra
from tests.integration.harness import eventually
from tests.processes import LOGS

pytestmark = pytest.mark.e2e

FLOW = {
    "code": "reparo",
    "name": "Reparo",
    "stages": [
        {"key": "recebido", "name": "Recebido", "planned_days": 1,
         "sms_template": "Olá {nome}! OS {numero_os} recebida na {filial}."},
        {"key": "pronto", "name": "Pronto", "planned_days": 0},
    ],
}  # fmt: skip


def test_the_file_is_valid_compose_without_v1_breakers_and_runs_in_production() -> None:
    model = compose_model()
    raw = COMPOSE_FILE.read_text()
    assert not any(line.startswith("name:") for line in raw.splitlines()), "v1 rejects `name`"
    services = model["services"]
    etapa = [name for name, spec in services.items() if "build" in spec]
    assert {"keys", "migrate", "intake", "workflow", "notifier", "console"} <= set(etapa)
    for name in ("migrate", "intake", "workflow", "notifier", "console"):
        assert services[name]["environment"]["ETAPA_ENV"] == "production", name
    for name in ("intake", "workflow", "notifier", "console"):
        assert services[name]["healthcheck"]["test"][-1].count("/ready"), name
    # Only intake mounts the signing key's volume (the migration job reads intake's settings).
    assert sorted(n for n, s in services.items()
                  if any(v.get("source") == "keys-intake" for v in s.get("volumes") or [])
                  ) == ["intake", "keys", "migrate"]  # fmt: skip


@pytest.fixture
async def compose(infra: Infra) -> AsyncIterator[ComposeRun]:
    model = compose_model()
    suffix = "_compose"
    infra.suffixes.add(suffix)  # the session's clean-up drops etapa_<service>_<run><suffix>
    node = ComposeRabbitMQ(model["services"]["rabbitmq"])
    try:
        began = time.monotonic()
        await node.start()
        booted = time.monotonic() - began
        with running_compose(model, infra.postgres_url, f"_{infra.run_id}{suffix}", LOGS) as run:
            run.timings["rabbitmq booted"] = booted
            run.start(node)
            yield run
    finally:
        try:
            await node.stop()
        finally:
            node.remove()


async def test_compose_starts_and_an_order_reaches_the_sms_list(compose: ComposeRun) -> None:
    keys = compose.volume_dir("keys-intake")
    operator_key = (keys / "operator-key").read_text()
    intake, workflow = compose.url("intake"), compose.url("workflow")
    notifier, console = compose.url("notifier"), compose.url("console")
    async with httpx.AsyncClient(timeout=15) as http:
        for url in (intake, workflow, notifier, console):
            assert (await http.get(f"{url}/ready")).status_code == 200, url

        # Production mode: the demo operator key is refused, the generated one accepted.
        admin = {"email": f"ti-{uuid.uuid4().hex[:6]}@rede.example", "password": "senha-forte-9876"}
        body = {"name": "Rede Compose", "admin": {**admin, "name": "TI"}}
        refused = await http.post(
            f"{intake}/api/v1/chains", headers={"X-Operator-Key": "dev-operator-key"}, json=body
        )
        assert refused.status_code == 401, refused.text
        chain = await http.post(
            f"{intake}/api/v1/chains", headers={"X-Operator-Key": operator_key}, json=body
        )
        assert chain.status_code == 201, chain.text
        signed_in = await http.post(f"{intake}/api/v1/auth/token", json=admin)
        assert signed_in.status_code == 200, signed_in.text
        auth = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        branch = await http.post(
            f"{intake}/api/v1/branches",
            headers=auth,
            json={"code": "CMP01", "name": "Ótica Compose", "state": "SP",
                  "city": "São Paulo", "timezone": "America/Sao_Paulo"},
        )  # fmt: skip
        assert branch.status_code == 201, branch.text
        flow = await http.post(f"{workflow}/api/v1/service-types/", headers=auth, json=FLOW)
        assert flow.status_code == 201, flow.text

        idempotency = str(uuid.uuid4())

        async def open_order() -> dict[str, Any] | None:
            # intake learns the new service type from workflow's event, through the broker.
            response = await http.post(
                f"{intake}/api/v1/orders",
                headers={**auth, "Idempotency-Key": idempotency},
                json={"branch_id": branch.json()["branch_id"], "service_type": "reparo",
                      "customer": {"name": "Clara Nunes", "phone": "(11) 98765-1234",
                                   "sms_consent": True}},
            )  # fmt: skip
            return response.json() if response.status_code == 201 else None

        order = await eventually(open_order, timeout=20)

        async def sms() -> list[dict[str, Any]] | None:
            response = await http.get(
                f"{notifier}/api/v1/messages", params={"order_id": order["order_id"]}, headers=auth
            )
            items: list[dict[str, Any]] = response.json()["items"]
            # The `log` provider sends at once; outside the branch's 08–20h window it is held.
            return items if items and items[0]["status"] in {"held", "sent"} else None

        messages = await eventually(sms, timeout=20)
        assert messages[0]["order_number"] == "CMP01-000001", messages

        # The console serves its sign-in page with the same secrets.
        page = await http.get(f"{console}/entrar")
        assert page.status_code == 200, page.text[:300]

    # The broker preloaded every queue the services declare, and they declared no other.
    assert compose.broker is not None
    declared = set(await compose.broker.queues())
    definitions = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
    assert declared == {queue["name"] for queue in definitions["queues"]}
    print("compose-as-processes timings (s):", {k: round(v, 1) for k, v in compose.timings.items()})


def test_each_process_gets_only_the_files_environment(tmp_path: Path) -> None:
    """Nothing of the test's own environment leaks in: a setting missing from the file stays
    missing for the process (so the end-to-end test above fails on it)."""
    model = compose_model()
    run = ComposeRun(model, "postgresql://u@127.0.0.1:5432/postgres", "_x", tmp_path)
    run.ports = {name: {port: 40000 + port % 1000 for port in container_ports(spec)}
                 for name, spec in model["services"].items()}  # fmt: skip
    run.broker = SimpleNamespace(port=45672)  # type: ignore[assignment]
    try:
        env = run.environment("intake")
        assert set(env) == {*model["services"]["intake"]["environment"], "PATH", "HOME"}
        assert env["INTAKE_PORT"] == "40000"
        assert env["ETAPA_AMQP_URL"] == "amqp://guest:guest@127.0.0.1:45672/"
        assert env["INTAKE_DATABASE_URL"] == "postgresql://u@127.0.0.1:5432/etapa_intake_x"
        key = Path(env["INTAKE_JWT_PRIVATE_KEY_FILE"])
        assert key.parent.resolve() == run.volume_dir("keys-intake").resolve()
        console = run.environment("console")
        assert console["CONSOLE_NOTIFIER_URL"] == "http://127.0.0.1:40002"
        assert "INTAKE_JWT_PRIVATE_KEY_FILE" not in console
        assert run.command("keys")[:3] == ["python", "-m", "shared.deploy_secrets"]
    finally:
        run.stop()
