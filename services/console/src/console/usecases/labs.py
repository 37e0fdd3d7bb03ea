"""Laboratórios: the chain's labs and their keys, and the lab messages intake rejected."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from console.adapters.api_client import ApiClient, Service

REJECTED_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Labs:
    labs: list[dict[str, Any]]
    """Each lab with its ``api_keys`` (active and revoked)."""
    rejected: list[dict[str, Any]]


async def load_labs(api: ApiClient, token: str) -> Labs:
    labs = await api.get_all(Service.INTAKE, "/api/v1/labs", token=token)

    async def keys(lab: dict[str, Any]) -> list[Any]:
        found: list[Any] = await api.get(
            Service.INTAKE, f"/api/v1/labs/{lab['lab_id']}/keys", token=token
        )
        return found

    all_keys, rejected = await asyncio.gather(
        asyncio.gather(*(keys(lab) for lab in labs)),
        api.get(
            Service.INTAKE,
            "/api/v1/lab-updates",
            token=token,
            params={"status": "rejected", "limit": REJECTED_SHOWN},
        ),
    )
    for lab, lab_keys in zip(labs, all_keys, strict=True):
        lab["api_keys"] = sorted(
            lab_keys, key=lambda k: (k["revoked_at"] is not None, k["created_at"])
        )
    return Labs(labs=labs, rejected=rejected["items"])


async def add_lab(api: ApiClient, token: str, code: str, name: str) -> None:
    await api.post(Service.INTAKE, "/api/v1/labs", token=token, json={"code": code, "name": name})


async def create_key(api: ApiClient, token: str, lab_id: str, label: str) -> dict[str, Any]:
    body = {"label": label} if label else None
    key: dict[str, Any] = await api.post(
        Service.INTAKE, f"/api/v1/labs/{lab_id}/keys", token=token, json=body
    )
    return key


async def revoke_key(api: ApiClient, token: str, lab_id: str, key_id: str) -> None:
    await api.request(Service.INTAKE, "DELETE", f"/api/v1/labs/{lab_id}/keys/{key_id}", token=token)


async def replay(api: ApiClient, token: str, lab_message_id: str) -> dict[str, Any]:
    outcome: dict[str, Any] = await api.post(
        Service.INTAKE, f"/api/v1/lab-updates/{lab_message_id}/replay", token=token
    )
    return outcome
