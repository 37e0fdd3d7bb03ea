"""Sign in with e-mail and password, renew a session, through intake's token endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from console.adapters.api_client import ApiClient, ApiRefusal, Service


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    expires_in: int
    name: str


class WrongCredentials(Exception):
    """E-mail or password did not match an active user (intake does not say which)."""


async def sign_in(api: ApiClient, email: str, password: str) -> SignedIn:
    try:
        body = await api.post(
            Service.INTAKE,
            "/api/v1/auth/token",
            token=None,
            json={"email": email, "password": password},
        )
    except ApiRefusal as refusal:
        if refusal.status in (400, 401):
            raise WrongCredentials from None
        raise
    return SignedIn(body["access_token"], int(body["expires_in"]), body["user"]["name"])


async def renew(api: ApiClient, token: str) -> SignedIn:
    body = await api.post(Service.INTAKE, "/api/v1/auth/refresh", token=token)
    return SignedIn(body["access_token"], int(body["expires_in"]), body["user"]["name"])
