"""Who is calling: signed tokens, roles, and the scope every query is limited to.

Intake signs short-lived JWTs (EdDSA) with its private key; every service verifies them with
the public key from the environment, so only intake can sign. A token names the user, the chain,
the role and the branches; the :class:`Principal` built from it is what handlers scope every
query by. Endpoints that authenticate otherwise (a lab's API key, a provider's callback) opt out
of the token check with ``opt=PUBLIC`` and check their own credential.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from uuid import UUID

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_public_key,
)
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from shared.settings import ServiceSettings, SettingsError

ALGORITHM = "EdDSA"
ISSUER = "etapa-intake"
AUDIENCE = "etapa"
PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
"""Route ``opt`` for endpoints that check their own credential (or none: health, metrics)."""
REVOKED = "token revogado: o usuário foi alterado ou desativado depois da entrada; entre novamente"
LAB_KEY_ACCEPTED = "lab_key_accepted"
"""Route ``opt`` key: a request with ``X-Lab-Key`` and no bearer token reaches the handler
without a user (``scope["user"]`` is ``None``); the handler checks the lab's key itself."""
CLOCK_SKEW_SECONDS = 60
"""How far the issuing host's clock may run ahead of a verifying host's: a token whose ``iat``
is at most this far in the future is accepted (PyJWT allows none, and its whole-second ``iat``
made a token issued on a host a fraction of a second ahead unusable for that fraction). ``exp``
stays strict."""
OPEN_PATHS = ["^/health$", "^/ready$", "^/metrics", "^/schema", "^/asyncapi$"]


class Role(StrEnum):
    CHAIN_ADMIN = "chain_admin"
    """Everything in the chain: flows, calendars, users, every branch."""
    BRANCH_MANAGER = "branch_manager"
    """Their branches: orders, calendars and staff."""
    ATTENDANT = "attendant"
    """Opens and acts on orders in their branches."""
    VIEWER = "viewer"
    """Reads only (their branches, or the whole chain when given none)."""


ROLE_LABELS = {
    Role.CHAIN_ADMIN: "administrador da rede",
    Role.BRANCH_MANAGER: "gerente de filial",
    Role.ATTENDANT: "atendente",
    Role.VIEWER: "consulta",
}
STAFF_ROLES = (Role.CHAIN_ADMIN, Role.BRANCH_MANAGER, Role.ATTENDANT)
"""Roles that may open and act on orders."""


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: UUID
    chain_id: UUID
    role: Role
    branch_ids: frozenset[UUID]
    name: str = ""
    issued_at: float = field(default=0.0, compare=False)
    """When the token was issued (epoch seconds; 0 when not from a token)."""

    def visible_branches(self) -> frozenset[UUID] | None:
        """The branches this caller may see; ``None`` means every branch of the chain."""
        if self.role is Role.CHAIN_ADMIN:
            return None
        if self.role is Role.VIEWER and not self.branch_ids:
            return None
        return self.branch_ids

    def may_see_branch(self, branch_id: UUID) -> bool:
        visible = self.visible_branches()
        return visible is None or branch_id in visible

    def require_branch(self, branch_id: UUID) -> None:
        """A branch the caller may not see answers as if it did not exist."""
        if not self.may_see_branch(branch_id):
            raise NotFoundException(f"branch {branch_id} not found")

    def require_role(self, *roles: Role, action: str) -> None:
        """403 with the reason when the caller's role may not do ``action``."""
        if self.role not in roles:
            allowed = ", ".join(ROLE_LABELS[r] for r in roles)
            raise PermissionDeniedException(
                f"O perfil {ROLE_LABELS[self.role]} não pode {action}; permitido a: {allowed}."
            )


@dataclass(frozen=True, slots=True)
class TokenVerifier:
    """Checks a token's signature and claims once, then trusts it until its ``exp``.

    A token is the same bytes on every request of a session (a person's 15 minutes, an
    integration's batch), so a verified one is kept by its whole text — its signature covers
    the claims — with its expiry, and a repeated request is a dictionary look-up instead of an
    EdDSA check and a PEM parse. At most ``max_cached`` tokens are kept (expired ones go first,
    then the oldest); an expired token is checked again, and refused, like a new one.
    """

    public_key: str
    max_cached: int = 10_000
    clock: Callable[[], float] = time.time
    _verified: dict[str, tuple[float, Principal]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def verify(self, token: str) -> Principal:
        now = self.clock()
        kept = self._verified.get(token)
        if kept is not None:
            expires, principal = kept
            if now < expires:
                return principal
            del self._verified[token]
        principal, expires = self._check(token)
        if len(self._verified) >= self.max_cached:
            self._make_room(now)
        self._verified[token] = (expires, principal)
        return principal

    def _make_room(self, now: float) -> None:
        for token in [t for t, (expires, _) in self._verified.items() if expires <= now]:
            del self._verified[token]
        while len(self._verified) >= self.max_cached:
            del self._verified[next(iter(self._verified))]  # the oldest kept

    def _check(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                self.public_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"], "verify_iat": False},
            )
            if float(claims["iat"]) > self.clock() + CLOCK_SKEW_SECONDS:
                raise jwt.ImmatureSignatureError("issued in the future")
            principal = Principal(
                user_id=UUID(claims["sub"]),
                chain_id=UUID(claims["chain"]),
                role=Role(claims["role"]),
                branch_ids=frozenset(UUID(b) for b in claims.get("branches", [])),
                name=str(claims.get("name", "")),
                issued_at=float(claims.get("iat_ms", int(claims["iat"]) * 1000)) / 1000,
            )
            return principal, float(claims["exp"])
        except jwt.ExpiredSignatureError:
            raise NotAuthorizedException("token expired; sign in again") from None
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise NotAuthorizedException("invalid token") from None


@dataclass(frozen=True, slots=True)
class TokenIssuer:
    private_key: str
    ttl: timedelta = timedelta(minutes=15)

    def issue(self, principal: Principal, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        claims = {
            "sub": str(principal.user_id),
            "chain": str(principal.chain_id),
            "role": principal.role.value,
            "branches": sorted(str(b) for b in principal.branch_ids),
            "name": principal.name,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "iat_ms": int(now.timestamp() * 1000),
            "exp": now + self.ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.private_key, algorithm=ALGORITHM)


class Revocations(Protocol):
    """Which users' older tokens no longer count (``shared.token_validity.TokenValidity``)."""

    def refuses(self, user_id: UUID, issued_at: float) -> bool: ...


class TokenAuthMiddleware(AbstractAuthenticationMiddleware):
    """Every request but the open paths and ``opt=PUBLIC`` routes carries a valid bearer token.

    The verifier may answer from its cache (the signature checked once per token); whether the
    token's user changed since it was issued is asked on every request.
    """

    def __init__(
        self, app: ASGIApp, verifier: TokenVerifier, validity: Revocations | None = None
    ) -> None:
        super().__init__(app, exclude=OPEN_PATHS)
        self._verifier = verifier
        self._validity = validity

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        header = connection.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header and connection.headers.get("x-lab-key") and _accepts_lab_key(connection):
            return AuthenticationResult(user=None, auth=None)
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("missing bearer token (Authorization: Bearer <token>)")
        principal = self._verifier.verify(token.strip())
        if self._validity is not None and self._validity.refuses(
            principal.user_id, principal.issued_at
        ):
            raise NotAuthorizedException(REVOKED)
        return AuthenticationResult(user=principal, auth=token)


def _accepts_lab_key(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    handler = connection.scope.get("route_handler")
    return bool(handler is not None and handler.opt.get(LAB_KEY_ACCEPTED))


def provide_principal(request: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    user = request.scope.get("user")
    if not isinstance(user, Principal):
        raise NotAuthorizedException("this endpoint needs a signed-in user")
    return user


def rate_limit_identity(request: ASGIConnection[Any, Any, Any, Any]) -> str:
    """Rate limits count per user when signed in, else per client address."""
    user = request.scope.get("user")
    if isinstance(user, Principal):
        return f"user:{user.user_id}"
    client = request.client
    return f"ip:{client.host if client else 'unknown'}"


def verifier_for(settings: ServiceSettings) -> TokenVerifier:
    """The token verifier of a service; refuses to start without a usable public key."""
    key = settings.jwt_public_key
    if key is None:
        raise SettingsError(
            "ETAPA_JWT_PUBLIC_KEY (or ETAPA_JWT_PUBLIC_KEY_FILE) must be set: the public key "
            "that checks sign-in tokens. `make keys` writes a development pair to .etapa/jwt/."
        )
    try:
        load_pem_public_key(key.encode())
    except ValueError:
        raise SettingsError("ETAPA_JWT_PUBLIC_KEY is not a PEM public key") from None
    return TokenVerifier(key)


def generate_key_pair() -> tuple[str, str]:
    """A new Ed25519 signing pair as (private PEM, public PEM): development and tests."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return private, public.decode()


def principal_for(
    chain_id: UUID | str,
    role: Role | str = Role.CHAIN_ADMIN,
    branches: Iterable[UUID | str] = (),
    user_id: UUID | str | None = None,
    name: str = "",
) -> Principal:
    """A principal from loose values (demo data, tests)."""
    return Principal(
        user_id=UUID(str(user_id)) if user_id else uuid.uuid4(),
        chain_id=UUID(str(chain_id)),
        role=Role(role),
        branch_ids=frozenset(UUID(str(b)) for b in branches),
        name=name,
    )
