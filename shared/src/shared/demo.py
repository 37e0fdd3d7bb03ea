"""Identifiers of the demo chain, shared so each service can seed its own part of the demo."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from etapa_contracts.events import BranchSnapshot

_NAMESPACE = UUID("6f1c2b1e-8a55-4c4e-9d0e-0e7a9a000000")

DEMO_CHAIN_ID = uuid5(_NAMESPACE, "chain:otica-visao-clara")
DEMO_CHAIN_NAME = "Óticas Visão Clara"


@dataclass(frozen=True, slots=True)
class DemoBranch:
    code: str
    name: str
    state: str
    city: str
    timezone: str
    phone: str
    address: str | None = None
    opening_hours: str | None = None

    @property
    def branch_id(self) -> UUID:
        return uuid5(_NAMESPACE, f"branch:{self.code}")

    def snapshot(self) -> BranchSnapshot:
        return BranchSnapshot(
            branch_id=self.branch_id,
            code=self.code,
            name=self.name,
            state=self.state,
            city=self.city,
            timezone=self.timezone,
            phone=self.phone,
            address=self.address,
            opening_hours=self.opening_hours,
            chain_name=DEMO_CHAIN_NAME,
        )


DEMO_BRANCHES = (
    DemoBranch(
        "SP01",
        "Visão Clara Paulista",
        "SP",
        "São Paulo",
        "America/Sao_Paulo",
        "(11) 3253-1000",
        address="Av. Paulista, 1000 — Bela Vista, São Paulo",
        opening_hours="seg–sex 9h–18h, sáb 9h–13h",
    ),
    DemoBranch(
        "RJ01",
        "Visão Clara Copacabana",
        "RJ",
        "Rio de Janeiro",
        "America/Sao_Paulo",
        "(21) 2547-2000",
        address="Av. Nossa Senhora de Copacabana, 500 — Copacabana, Rio de Janeiro",
        opening_hours="seg–sex 9h–19h, sáb 9h–14h",
    ),
    DemoBranch(
        "AM01",
        "Visão Clara Manaus",
        "AM",
        "Manaus",
        "America/Manaus",
        "(92) 3633-3000",
        address="Av. Eduardo Ribeiro, 620 — Centro, Manaus",
        opening_hours="seg–sex 8h–17h",
    ),
)

DEMO_LAB_CODE = "LABDEMO"
"""The demo's lab: the orders ``make run`` opens use it, and its RabbitMQ user sends statuses."""
DEMO_SLOW_LAB_CODE = "LABLENTO"
"""The demo history's slow lab (two business days more in production); registered too, so the
labs the analysis names are the labs Laboratórios lists."""
DEMO_LABS = ((DEMO_LAB_CODE, "Laboratório Demo"), (DEMO_SLOW_LAB_CODE, "Laboratório Lento"))
