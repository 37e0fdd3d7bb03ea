"""The demo chain's staff acting through the APIs, to set up what a browser test then looks at."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx

ADMIN = "admin@visaoclara.demo"
MANAGER_SP = "gerente.sp@visaoclara.demo"
ATTENDANT_SP = "atendente.sp@visaoclara.demo"
ATTENDANT_RJ = "atendente.rj@visaoclara.demo"
VIEWER = "consulta@visaoclara.demo"
PASSWORD = "visao-clara-demo"


class StaffApi:
    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls
        self._tokens: dict[str, str] = {}

    def token(self, email: str) -> str:
        if email not in self._tokens:
            response = httpx.post(
                f"{self.urls['intake']}/api/v1/auth/token",
                json={"email": email, "password": PASSWORD},
                timeout=10,
            )
            response.raise_for_status()
            self._tokens[email] = response.json()["access_token"]
        return self._tokens[email]

    def call(self, email: str, method: str, service: str, path: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(email)}", **kwargs.pop("headers", {})}
        response = httpx.request(
            method, f"{self.urls[service]}{path}", headers=headers, timeout=10, **kwargs
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def user_id(self, email: str) -> str:
        """The demo user's id, as sign-in's token names it (``sub``)."""
        token = self.token(email)
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["sub"])

    def branch_id(self, code: str) -> str:
        branches = self.call(ADMIN, "GET", "intake", "/api/v1/branches")["items"]
        return str(next(b["branch_id"] for b in branches if b["code"] == code))

    def open_order(
        self,
        email: str = ATTENDANT_SP,
        branch: str = "SP01",
        service_type: str = "venda-oculos-grau",
        customer: str = "Maria da Silva",
        phone: str = "(11) 98765-4321",
        promised_date: date | None = None,
    ) -> dict[str, Any]:
        """An order opened at intake; ``promised_date`` is confirmed even before the proposal."""
        agreed = (
            {"promised_date": promised_date.isoformat(), "confirm_before_proposal": True}
            if promised_date
            else {}
        )
        order: dict[str, Any] = self.call(
            email,
            "POST",
            "intake",
            "/api/v1/orders",
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={
                "branch_id": self.branch_id(branch),
                "service_type": service_type,
                "customer": {"name": customer, "phone": phone, "sms_consent": True},
                **agreed,
            },
        )
        self.wait_for_order(order["order_id"])
        return order

    def wait_for_order(self, order_id: str, timeout: float = 15) -> dict[str, Any]:
        """The order as workflow has it, once workflow has placed it."""
        deadline = time.monotonic() + timeout
        while True:
            response = httpx.get(
                f"{self.urls['workflow']}/api/v1/orders/{order_id}",
                headers={"Authorization": f"Bearer {self.token(ADMIN)}"},
                timeout=10,
            )
            if response.status_code == 200:
                detail: dict[str, Any] = response.json()
                return detail
            if time.monotonic() > deadline:
                raise TimeoutError(f"order {order_id} never reached workflow")
            time.sleep(0.2)

    def act(self, order_id: str, action: str, email: str = ATTENDANT_SP, **fields: Any) -> Any:
        return self.call(
            email,
            "POST",
            "intake",
            f"/api/v1/orders/{order_id}/actions",
            json={"action": action, **fields},
        )


def send_lab_update_for_unknown_order(
    intake: str, key: str, order_number: str, occurred_at: datetime | None = None
) -> None:
    """A lab's key posts a status for an order number no order has (``occurred_at``: now):
    intake keeps it as rejected (422), with the reason Laboratórios shows."""
    unknown = {
        "message_id": uuid.uuid4().hex,
        "order_number": order_number,
        "status": "received",
        "occurred_at": (occurred_at or datetime.now(UTC)).isoformat(),
    }
    sent = httpx.post(
        f"{intake}/api/v1/lab-updates", json=unknown, headers={"X-Lab-Key": key}, timeout=10
    )
    assert sent.status_code == 422, sent.text
