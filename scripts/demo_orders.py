"""Demo orders for ``make run``: a board with something real on every page.

Once the services answer, opens about thirty orders of the demo chain through intake's API —
as the attendants would at the counter — and moves them as staff and the demo lab would:
advances, a pause, assignees, notes, lab statuses with forecasts (one after the promised date,
so the order is at risk), deliveries and a cancellation. It runs once: when the chain already
has orders, it says so and leaves them alone.

Usage: ``python scripts/demo_orders.py [--intake URL] [--workflow URL]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

PASSWORD = "visao-clara-demo"  # noqa: S105 - the demo users' published password
ADMIN = "admin@visaoclara.demo"
ATTENDANTS = {"SP01": "atendente.sp@visaoclara.demo", "RJ01": "atendente.rj@visaoclara.demo"}
DEMO_LAB = "LABDEMO"
STAGE_RESPONSIBLE_TYPES = ("venda-oculos-grau", "reparo")
PROCESS_OWNERS = {
    "venda-oculos-grau": (ADMIN, "monthly"),
    "reparo": ("gerente.sp@visaoclara.demo", "weekly"),
}
"""Who reviews which flow, and how often (``make run`` seeds their history)."""


@dataclass(frozen=True)
class DemoOrder:
    branch: str
    service_type: str
    customer: str
    phone: str
    advances: int = 0
    lab: bool = False
    assignee: str | None = None
    pause: str | None = None
    lab_status: tuple[str, int] | None = None
    """A lab status and its forecast, in days from today."""
    promised_in_days: int | None = None
    close: str | None = None
    """``deliver`` or ``cancel``, after the advances."""
    note: str | None = None


ORDERS = (
    DemoOrder(
        "SP01",
        "venda-oculos-grau",
        "Maria da Silva",
        "(11) 98765-4321",
        2,
        True,
        "Carlos",
        lab_status=("surfacing", 9),
        promised_in_days=6,
    ),
    DemoOrder(
        "SP01",
        "venda-oculos-grau",
        "João Pereira",
        "(11) 97654-3210",
        2,
        True,
        lab_status=("coating", 4),
    ),
    DemoOrder(
        "SP01",
        "venda-oculos-grau",
        "Ana Souza",
        "(11) 96543-2109",
        0,
        note="Cliente pediu para ligar antes de enviar ao laboratório.",
    ),
    DemoOrder("SP01", "venda-oculos-grau", "Pedro Santos", "(11) 95432-1098", 1, True, "Carlos"),
    DemoOrder(
        "SP01", "venda-oculos-grau", "Luciana Almeida", "(11) 94321-0987", 3, True, "Fernanda"
    ),
    DemoOrder(
        "SP01",
        "venda-oculos-grau",
        "Rafael Costa",
        "(11) 93210-9876",
        1,
        True,
        pause="Aguardando a armação chegar do fornecedor",
    ),
    DemoOrder("SP01", "venda-oculos-grau", "Beatriz Lima", "(11) 92109-8765", 4, True),
    DemoOrder("SP01", "venda-oculos-grau", "Gabriel Rocha", "(11) 91098-7654", 0),
    DemoOrder(
        "SP01", "venda-oculos-grau", "Juliana Martins", "(11) 99876-5432", 5, True, close="deliver"
    ),
    DemoOrder(
        "SP01", "venda-oculos-grau", "Marcos Ribeiro", "(11) 98877-6655", 5, True, close="deliver"
    ),
    DemoOrder("SP01", "reparo", "Fernanda Gomes", "(11) 97766-5544", 0),
    DemoOrder("SP01", "reparo", "Thiago Barbosa", "(11) 96655-4433", 1, assignee="Fernanda"),
    DemoOrder("SP01", "reparo", "Camila Araújo", "(11) 95544-3322", 2, close="deliver"),
    DemoOrder("SP01", "troca", "Lucas Fernandes", "(11) 94433-2211", 1),
    DemoOrder("SP01", "troca", "Patrícia Carvalho", "(11) 93322-1100", 0, close="cancel"),
    DemoOrder("SP01", "venda-armacao", "Rodrigo Teixeira", "(11) 92211-0099", 0),
    DemoOrder("SP01", "venda-lentes-contato", "Aline Mendes", "(11) 91100-9988", 1),
    DemoOrder(
        "RJ01",
        "venda-oculos-grau",
        "Bruno Azevedo",
        "(21) 98765-1234",
        1,
        True,
        lab_status=("received", 7),
    ),
    DemoOrder("RJ01", "venda-oculos-grau", "Carolina Nunes", "(21) 97654-2345", 3, True),
    DemoOrder("RJ01", "venda-oculos-grau", "Diego Moreira", "(21) 96543-3456", 0),
    DemoOrder("RJ01", "reparo", "Elisa Cardoso", "(21) 95432-4567", 1),
    DemoOrder(
        "RJ01", "venda-oculos-grau", "Felipe Duarte", "(21) 94321-5678", 5, True, close="deliver"
    ),
)


def shop_today() -> date:
    """Today in São Paulo, where the demo chain's head office is."""
    return datetime.now(ZoneInfo("America/Sao_Paulo")).date()


class Demo:
    def __init__(self, intake: str, workflow: str) -> None:
        self.intake = intake.rstrip("/")
        self.workflow = workflow.rstrip("/")
        self.http = httpx.Client(timeout=15)
        self.tokens: dict[str, str] = {}
        self.branches: dict[str, str] = {}

    def token(self, email: str) -> str:
        if email not in self.tokens:
            response = self.http.post(
                f"{self.intake}/api/v1/auth/token", json={"email": email, "password": PASSWORD}
            )
            response.raise_for_status()
            self.tokens[email] = response.json()["access_token"]
        return self.tokens[email]

    def call(self, email: str, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(email)}", **kwargs.pop("headers", {})}
        response = self.http.request(method, url, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for url in (self.intake, self.workflow):
            while True:
                try:
                    if self.http.get(f"{url}/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} did not become ready")
                time.sleep(0.5)

    def detail(self, order_id: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(
                f"{self.workflow}/api/v1/orders/{order_id}",
                headers={"Authorization": f"Bearer {self.token(ADMIN)}"},
            )
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body
            if time.monotonic() > deadline:
                raise TimeoutError(f"order {order_id} did not reach workflow")
            time.sleep(0.3)

    def act(self, email: str, order_id: str, action: str, **fields: Any) -> None:
        """One action, then wait until workflow applied it (its version moved) or refused it."""
        before = self.detail(order_id)["version"]
        accepted = self.call(
            email,
            "POST",
            f"{self.intake}/api/v1/orders/{order_id}/actions",
            json={"action": action, **fields},
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            detail = self.detail(order_id)
            if detail["version"] != before:
                return
            if any(
                entry["kind"] == "action_refused"
                and entry["occurred_at"][:19] == accepted["requested_at"][:19]
                for entry in detail["timeline"]
            ):
                return
            time.sleep(0.2)

    def lab_key(self) -> str:
        labs = self.call(ADMIN, "GET", f"{self.intake}/api/v1/labs")["items"]
        lab = next(lab for lab in labs if lab["code"] == DEMO_LAB)
        issued = self.call(
            ADMIN, "POST", f"{self.intake}/api/v1/labs/{lab['lab_id']}/keys", json={}
        )
        return str(issued["key"])

    def lab_status(self, key: str, number: str, status: str, eta: date) -> None:
        response = self.http.post(
            f"{self.intake}/api/v1/lab-updates",
            headers={"X-Lab-Key": key},
            json={
                "message_id": f"demo-{uuid.uuid4().hex}",
                "lab_code": DEMO_LAB,
                "order_number": number,
                "lab_order_number": str(700000 + int(number[-4:])),
                "status": status,
                "status_raw": status.upper()[:4],
                "eta": eta.isoformat(),
                "occurred_at": datetime.now(UTC).isoformat(),
                "note": None,
            },
        )
        if response.status_code >= 400:
            raise RuntimeError(f"lab update refused: {response.status_code} {response.text[:300]}")

    def seed(self, index: int, demo: DemoOrder, key: str | None) -> str:
        email = ATTENDANTS.get(demo.branch, ADMIN)
        body: dict[str, Any] = {
            "branch_id": self.branches[demo.branch],
            "service_type": demo.service_type,
            "customer": {"name": demo.customer, "phone": demo.phone, "sms_consent": True},
            "items": [{"kind": "frame", "description": "Armação e lentes conforme receita"}],
        }
        if demo.lab:
            body["lab_code"] = DEMO_LAB
        if demo.promised_in_days is not None:
            body["promised_date"] = (
                shop_today() + timedelta(days=demo.promised_in_days)
            ).isoformat()
        order = self.call(
            email,
            "POST",
            f"{self.intake}/api/v1/orders",
            json=body,
            headers={"Idempotency-Key": f"demo-order-{index:03d}"},
        )
        order_id = str(order["order_id"])
        self.detail(order_id)
        if demo.note:
            self.act(email, order_id, "note", note=demo.note)
        for _ in range(demo.advances):
            self.act(email, order_id, "advance")
        if demo.assignee:
            self.act(email, order_id, "assign", assignee=demo.assignee)
        if demo.lab_status and key:
            status, days = demo.lab_status
            self.lab_status(key, order["number"], status, shop_today() + timedelta(days=days))
        if demo.pause:
            self.act(email, order_id, "pause", reason=demo.pause)
        if demo.close == "deliver":
            self.act(email, order_id, "deliver")
        elif demo.close == "cancel":
            self.act(email, order_id, "cancel", reason="Cliente desistiu da troca")
        return str(order["number"])

    def name_process_owners(self) -> None:
        """Each reviewed type gets its owner and cadence (a new owner's review is due at once)."""
        users = self.call(ADMIN, "GET", f"{self.intake}/api/v1/users", params={"limit": 200})
        by_email = {u["email"]: u for u in users["items"]}
        for code, (email, cadence) in PROCESS_OWNERS.items():
            user = by_email.get(email)
            if user is None:
                continue
            self.call(
                ADMIN,
                "PUT",
                f"{self.workflow}/api/v1/service-types/{code}/process-owner",
                json={"owner_id": user["user_id"], "owner_name": user["name"], "cadence": cadence},
            )
        print(f"  process owners: {', '.join(PROCESS_OWNERS)} (review due in the console)")

    def name_stage_responsibles(self) -> None:
        """The branch's attendant answers for the first and last stage of the demo's types, so
        that orders entering them land in her "Minhas OS" (workflow learns of people through
        ``user.upserted``, so it may need a moment after intake's seed)."""
        users = self.call(ADMIN, "GET", f"{self.intake}/api/v1/users", params={"limit": 200})
        user_ids = {u["email"]: u["user_id"] for u in users["items"]}
        branches = self.call(ADMIN, "GET", f"{self.intake}/api/v1/branches")["items"]
        branch_ids = {b["code"]: b["branch_id"] for b in branches}
        for code in STAGE_RESPONSIBLE_TYPES:
            url = f"{self.workflow}/api/v1/service-types/{code}/responsibles"
            stages = self.call(ADMIN, "GET", url)["stages"]
            items = [
                {"stage": stage["key"], "branch_id": branch_ids[branch], "user_id": user_ids[email]}
                for stage in (stages[0], stages[-1])
                for branch, email in ATTENDANTS.items()
                if branch in branch_ids and email in user_ids
            ]
            deadline = time.monotonic() + 30
            while True:
                try:
                    self.call(ADMIN, "PUT", url, json={"responsibles": items})
                    break
                except RuntimeError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(1)
        print(f"  stage responsibles: the attendants, in {', '.join(STAGE_RESPONSIBLE_TYPES)}")

    def run(self) -> int:
        self.wait_ready()
        self.name_process_owners()
        self.name_stage_responsibles()
        existing = self.call(
            ADMIN, "GET", f"{self.workflow}/api/v1/orders", params={"limit": 1, "status": "open"}
        )
        if existing["items"]:
            print("  demo orders: the demo chain has orders already; left as they are")
            return 0
        branches = self.call(ADMIN, "GET", f"{self.intake}/api/v1/branches")["items"]
        self.branches = {b["code"]: b["branch_id"] for b in branches}
        key = self.lab_key()
        numbers = [self.seed(i, demo, key) for i, demo in enumerate(ORDERS)]
        print(f"  demo orders: {len(numbers)} opened and moved ({numbers[0]} … {numbers[-1]})")
        return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--intake", default="http://127.0.0.1:8000")
    parser.add_argument("--workflow", default="http://127.0.0.1:8001")
    args = parser.parse_args()
    try:
        return Demo(args.intake, args.workflow).run()
    except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
        print(f"  demo orders: not loaded ({exc})", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
