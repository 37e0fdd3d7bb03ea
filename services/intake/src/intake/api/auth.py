"""Sign-in: e-mail and password in, a short-lived signed token out."""

from __future__ import annotations

import asyncpg
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from intake import users
from intake.api.schemas import SignIn, TokenOut, UserOut
from intake.config import IntakeSettings
from shared.auth import PUBLIC, Principal, TokenIssuer
from shared.clock import Clock
from shared.logging import get_logger

log = get_logger(__name__)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/token", status_code=HTTP_200_OK, opt=PUBLIC, security=[])
    async def sign_in(
        self,
        data: JSONBody[SignIn],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        settings: NamedDependency[IntakeSettings],
        issuer: NamedDependency[TokenIssuer],
    ) -> TokenOut:
        """Exchange e-mail and password for a bearer token (JWT, EdDSA) naming the user's role."""
        async with pool.acquire() as conn:
            principal = await users.authenticate(conn, data.email, data.password)
            if principal is None:
                log.info("sign_in_refused")
                raise NotAuthorizedException("e-mail ou senha incorretos")
            row = await users.get_user(conn, principal.chain_id, principal.user_id)
        assert row is not None
        log.info("signed_in", user_id=str(principal.user_id), role=principal.role.value)
        return TokenOut(
            access_token=issuer.issue(principal, now=clock()),
            expires_in=int(settings.token_ttl.total_seconds()),
            user=UserOut(**row),
        )

    @post("/refresh", status_code=HTTP_200_OK)
    async def refresh(
        self,
        principal: NamedDependency[Principal],
        pool: NamedDependency[asyncpg.Pool],
        clock: NamedDependency[Clock],
        settings: NamedDependency[IntakeSettings],
        issuer: NamedDependency[TokenIssuer],
    ) -> TokenOut:
        """A fresh token for a still-valid one, with the user's current role and branches.

        The console renews a session with this while its person is active; a user who was
        deactivated since gets a 401 and must sign in again.
        """
        async with pool.acquire() as conn:
            row = await users.get_user(conn, principal.chain_id, principal.user_id)
        if row is None or not row["active"]:
            log.info("refresh_refused", user_id=str(principal.user_id))
            raise NotAuthorizedException("usuário inativo; entre novamente")
        return TokenOut(
            access_token=issuer.issue(users.principal_of(row), now=clock()),
            expires_in=int(settings.token_ttl.total_seconds()),
            user=UserOut(**row),
        )
