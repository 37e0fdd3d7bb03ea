"""`make run`'s demo loader (``scripts/demo_orders.py``) against the services as processes.

The demo must show what the console does: orders on the board, a process owner whose review is
due, and orders in the attendant's "Minhas OS" (her branch's first and last stages name her).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.infra import Infra
from tests.processes import BACKENDS, running_services, wait_ready

DEMO_LOADER = Path(__file__).parents[2] / "scripts/demo_orders.py"
PASSWORD = "visao-clara-demo"  # the demo users' published password


def _token(client: httpx.Client, intake: str, email: str) -> dict[str, str]:
    answer = client.post(f"{intake}/api/v1/auth/token", json={"email": email, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_the_demo_loader_fills_the_attendants_work_list(infra: Infra) -> None:
    with running_services(infra, "demo", BACKENDS, demo=True) as urls:
        wait_ready(urls, BACKENDS, timeout=90)
        loader = [sys.executable, str(DEMO_LOADER)]
        loaded = subprocess.run(
            [*loader, "--intake", urls["intake"], "--workflow", urls["workflow"]],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert loaded.returncode == 0, loaded.stdout + loaded.stderr
        assert "stage responsibles: the attendants" in loaded.stdout
        assert "demo orders: 22 opened and moved" in loaded.stdout
        with httpx.Client(timeout=10) as client:
            alice = _token(client, urls["intake"], "atendente.sp@visaoclara.demo")
            mine = client.get(
                f"{urls['workflow']}/api/v1/orders",
                params={"assignee": "me", "status": "open"},
                headers=alice,
            )
            assert mine.status_code == 200, mine.text
            numbers = [order["number"] for order in mine.json()["items"]]
            assert numbers, "the attendant's work list is empty"
            assert all(number.startswith("SP01-") for number in numbers)
            rio = _token(client, urls["intake"], "atendente.rj@visaoclara.demo")
            theirs = client.get(
                f"{urls['workflow']}/api/v1/orders",
                params={"assignee": "me", "status": "open"},
                headers=rio,
            )
            assert [o["number"][:5] for o in theirs.json()["items"]] == ["RJ01-"] * len(
                theirs.json()["items"]
            )
            assert theirs.json()["items"], "the Rio attendant's work list is empty"
        again = subprocess.run(
            [*loader, "--intake", urls["intake"], "--workflow", urls["workflow"]],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert again.returncode == 0, again.stdout + again.stderr
        assert "left as they are" in again.stdout
