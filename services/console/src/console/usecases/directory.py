"""Who is signed in, in words: the chain's name and the branches the person works in.

Read from intake with the person's token and kept for a minute per person, so every page's
header does not cost two API calls.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from console.adapters.api_client import ApiClient, Service
from shared.auth import Principal

TTL_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Branch:
    branch_id: str
    code: str
    name: str
    timezone: str
    phone: str | None
    raw: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.code} — {self.name}"


@dataclass(frozen=True, slots=True)
class Directory:
    chain_name: str
    branches: list[Branch]

    def zones(self) -> dict[str, str]:
        return {b.branch_id: b.timezone for b in self.branches}

    def branch(self, branch_id: str | None) -> Branch | None:
        return next((b for b in self.branches if b.branch_id == branch_id), None)


class DirectoryCache:
    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self._ttl = ttl
        self._entries: dict[tuple[str, str], tuple[float, Directory]] = {}

    async def get(self, api: ApiClient, principal: Principal, token: str) -> Directory:
        key = (str(principal.user_id), ",".join(sorted(map(str, principal.branch_ids))))
        cached = self._entries.get(key)
        if cached and time.monotonic() - cached[0] < self._ttl:
            return cached[1]
        directory = await load_directory(api, principal, token)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[key] = (time.monotonic(), directory)
        return directory

    def forget(self, principal: Principal) -> None:
        for key in [k for k in self._entries if k[0] == str(principal.user_id)]:
            del self._entries[key]


async def load_directory(api: ApiClient, principal: Principal, token: str) -> Directory:
    chain = await api.get(Service.INTAKE, f"/api/v1/chains/{principal.chain_id}", token=token)
    rows = await api.get_all(Service.INTAKE, "/api/v1/branches", token=token)
    branches = [
        Branch(
            branch_id=str(row["branch_id"]),
            code=str(row["code"]),
            name=str(row["name"]),
            timezone=str(row.get("timezone") or "America/Sao_Paulo"),
            phone=row.get("phone"),
            raw=row,
        )
        for row in rows
    ]
    branches.sort(key=lambda b: b.code)
    return Directory(chain_name=str(chain.get("name", "")), branches=branches)
