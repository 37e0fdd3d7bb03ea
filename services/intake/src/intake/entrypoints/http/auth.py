"""Sign-in: e-mail and password in, a short-lived signed token out.

Failed attempts lock the account and the client address out for a growing time, and the
password checks that run at once are bounded (``intake.domain.sign_in_policy``); every refusal is
logged with the e-mail masked and the client address.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from intake.adapters.sign_in_guard import SignInGuard
from intake.config import IntakeSettings
from intake.domain.sign_in_policy import TooManyAttempts, mask_email
from intake.entrypoints.http.schemas import SignIn, TokenOut, UserOut
from intake.usecases import refresh_token, sign_in
from intake.usecases.ports import Passwords, Transactions
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
        request: Request[Any, Any, Any],
        data: JSONBody[SignIn],
        transactions: NamedDependency[Transactions],
        passwords: NamedDependency[Passwords],
        clock: NamedDependency[Clock],
        settings: NamedDependency[IntakeSettings],
        issuer: NamedDependency[TokenIssuer],
        sign_in_guard: NamedDependency[SignInGuard],
    ) -> TokenOut:
        """Exchange e-mail and password for a bearer token (JWT, EdDSA) naming the user's role.

        401 for a wrong e-mail or password (the same for both); 429 with ``Retry-After`` while
        the account or the address is locked out after repeated failures, or when too many
        sign-ins are being checked at once.
        """
        address = request.client.host if request.client else "unknown"
        try:
            signed_in = await sign_in.sign_in(
                transactions,
                passwords,
                sign_in_guard,
                email=data.email,
                password=data.password,
                address=address,
            )
        except TooManyAttempts as exc:
            log.warning(
                "sign_in_refused",
                email=mask_email(data.email),
                address=address,
                reason=exc.reason,
                retry_after=exc.retry_after,
            )
            raise HTTPException(
                status_code=429,
                detail=f"Muitas tentativas de entrada; tente de novo em {exc.retry_after} s.",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        if signed_in is None:
            log.warning(
                "sign_in_refused", email=mask_email(data.email), address=address, reason="wrong"
            )
            raise NotAuthorizedException("e-mail ou senha incorretos")
        principal = signed_in.principal
        log.info("signed_in", user_id=str(principal.user_id), role=principal.role.value)
        return TokenOut(
            access_token=issuer.issue(principal, now=clock()),
            expires_in=int(settings.token_ttl.total_seconds()),
            user=UserOut(**asdict(signed_in.user)),
        )

    @post("/refresh", status_code=HTTP_200_OK)
    async def refresh(
        self,
        principal: NamedDependency[Principal],
        transactions: NamedDependency[Transactions],
        clock: NamedDependency[Clock],
        settings: NamedDependency[IntakeSettings],
        issuer: NamedDependency[TokenIssuer],
    ) -> TokenOut:
        """A fresh token for a still-valid one, with the user's current role and branches.

        The console renews a session with this while its person is active; a user who was
        deactivated since gets a 401 and must sign in again.
        """
        refreshed = await refresh_token.refresh(transactions, principal)
        if refreshed is None:
            log.info("refresh_refused", user_id=str(principal.user_id))
            raise NotAuthorizedException("usuário inativo; entre novamente")
        return TokenOut(
            access_token=issuer.issue(refreshed.principal, now=clock()),
            expires_in=int(settings.token_ttl.total_seconds()),
            user=UserOut(**asdict(refreshed.user)),
        )
