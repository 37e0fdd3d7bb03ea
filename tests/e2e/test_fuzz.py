"""Property-based fuzzing of each service's OpenAPI (schemathesis), signed in: no server errors.

Bounded for ``make test`` (``ETAPA_FUZZ_EXAMPLES`` cases per operation, 10 by default);
``make fuzz`` runs many more, with a longer ``ETAPA_FUZZ_BUDGET``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import CALLBACK_TOKEN
from tests.infra import OPERATOR_KEY, bearer
from tests.integration.harness import save_test_flow

pytestmark = pytest.mark.e2e
EXAMPLES = os.environ.get("ETAPA_FUZZ_EXAMPLES", "10")
CHECKS = os.environ.get("ETAPA_FUZZ_CHECKS", "not_a_server_error")
"""``make fuzz`` sets ``all``: every schemathesis check (conformance of statuses, bodies and
headers, rejection of invalid data, auth, …)."""
BUDGET = float(os.environ.get("ETAPA_FUZZ_BUDGET", "300"))
"""Seconds one service's schemathesis run may take (``make fuzz`` gives 1200: at 200 cases per
operation workflow's run took 359 s on the shared two-core machine). Past it the run is stopped
and the test fails saying so; pytest's own timeout is this plus the services' start."""
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = Path(__file__).parent / "schemathesis.toml"


@pytest.fixture(scope="session")
async def credentials(processes: dict[str, str], http: httpx.AsyncClient) -> dict[str, list[str]]:
    """Each service's headers for the run: a chain admin's token on all, and on the operations
    with a credential of their own that credential (the operator key, a lab key of the chain,
    the callback token), so those reach their handlers instead of stopping at 401.

    The chain has a branch, a flow, a lab and an order, so reads have something to find."""
    intake = processes["intake"]
    created = await http.post(
        f"{intake}/api/v1/chains",
        headers={"X-Operator-Key": OPERATOR_KEY},
        json={
            "name": f"Rede Fuzz {uuid.uuid4().hex[:6]}",
            "admin": {
                "email": f"fuzz-{uuid.uuid4().hex[:6]}@example.com",
                "name": "F",
                "password": "senha-fuzz-12345",
            },
        },
    )
    assert created.status_code == 201, created.text
    headers = bearer(created.json()["chain_id"])
    branch = await http.post(
        f"{intake}/api/v1/branches",
        headers=headers,
        json={"code": "FZ01", "name": "Loja Fuzz", "state": "MG", "city": "Belo Horizonte"},
    )
    assert branch.status_code == 201, branch.text
    await save_test_flow(processes["workflow_database"], uuid.UUID(created.json()["chain_id"]))
    order = await http.post(
        f"{intake}/api/v1/orders",
        headers=headers,
        json={
            "branch_id": branch.json()["branch_id"],
            "service_type": "teste",
            "customer": {"name": "Fuzz", "phone": "31 98888-7777", "sms_consent": True},
        },
    )
    assert order.status_code == 201, order.text
    lab = await http.post(
        f"{intake}/api/v1/labs", headers=headers, json={"code": "FZLAB", "name": "Lab Fuzz"}
    )
    assert lab.status_code == 201, lab.text
    key = await http.post(
        f"{intake}/api/v1/labs/{lab.json()['lab_id']}/keys", headers=headers, json={}
    )
    assert key.status_code == 201, key.text
    token = f"Authorization: {headers['Authorization']}"
    return {
        "intake": [token, f"X-Operator-Key: {OPERATOR_KEY}", f"X-Lab-Key: {key.json()['key']}"],
        "workflow": [token],
        "notifier": [token, f"X-Etapa-Callback-Token: {CALLBACK_TOKEN}"],
    }


# Intake's ~1,500 cases take about two minutes on a busy two-core machine. The marker overrides
# pytest's --timeout, so it follows the budget (a fixed 300 s here once cut make fuzz's workflow
# run short and left it running on, unchecked, into the next test).
@pytest.mark.timeout(BUDGET + 120)
@pytest.mark.parametrize("service", ["intake", "workflow", "notifier"])
async def test_fuzzing_the_api_finds_no_server_error(
    processes: dict[str, str], credentials: dict[str, list[str]], service: str
) -> None:
    headers = [option for header in credentials[service] for option in ("--header", header)]
    command = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG),
        "run", f"{processes[service]}/schema/openapi.json",
        "--checks", CHECKS,
        "--max-examples", EXAMPLES,
        "--phases", "examples,coverage,fuzzing",
        "--seed", os.environ.get("ETAPA_FUZZ_SEED", "20261123"),
        *headers,
        "--request-timeout", "10",
        "--no-color",
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), BUDGET)
    except TimeoutError:
        process.terminate()
        output, _ = await process.communicate()
        pytest.fail(
            f"schemathesis on {service} ran past {BUDGET:.0f} s (ETAPA_FUZZ_BUDGET):\n"
            + output.decode(errors="replace")[-6000:]
        )
    report = output.decode(errors="replace")
    print(report if process.returncode else report[-2500:])
    assert process.returncode == 0, report[-6000:]
