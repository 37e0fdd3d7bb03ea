"""Pessoas: the chain's staff from intake, added and changed with the person's own token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.adapters.api_client import ApiClient, Service

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[dict[str, Any]]
    offset: int
    next_offset: int | None

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - PAGE_SIZE, 0) if self.offset else None


async def list_users(api: ApiClient, token: str, offset: int) -> UserPage:
    body = await api.get(
        Service.INTAKE,
        "/api/v1/users",
        token=token,
        params={"limit": PAGE_SIZE, "offset": max(offset, 0)},
    )
    return UserPage(body["items"], max(offset, 0), body.get("next_offset"))


async def get_user(api: ApiClient, token: str, user_id: str) -> dict[str, Any]:
    user: dict[str, Any] = await api.get(Service.INTAKE, f"/api/v1/users/{user_id}", token=token)
    return user


async def add_user(api: ApiClient, token: str, fields: dict[str, Any]) -> dict[str, Any]:
    user: dict[str, Any] = await api.post(Service.INTAKE, "/api/v1/users", token=token, json=fields)
    return user


async def change_user(
    api: ApiClient, token: str, user_id: str, changes: dict[str, Any]
) -> dict[str, Any]:
    user: dict[str, Any] = await api.request(
        Service.INTAKE, "PATCH", f"/api/v1/users/{user_id}", token=token, json=changes
    )
    return user
