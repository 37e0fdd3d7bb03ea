"""Tokens: only the private key's holder can sign; roles and branch scope read the way they say."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException

from shared.auth import (
    ALGORITHM,
    Role,
    TokenIssuer,
    TokenVerifier,
    generate_key_pair,
    principal_for,
    verifier_for,
)
from shared.settings import ServiceSettings, SettingsError

PRIVATE, PUBLIC = generate_key_pair()
CHAIN = uuid.uuid4()
SP, RJ = uuid.uuid4(), uuid.uuid4()


def test_a_token_round_trips_to_the_same_principal() -> None:
    principal = principal_for(CHAIN, Role.ATTENDANT, [SP], name="Alice")
    token = TokenIssuer(PRIVATE).issue(principal)
    assert TokenVerifier(PUBLIC).verify(token) == principal


def test_a_token_signed_with_another_key_is_refused() -> None:
    other_private, _ = generate_key_pair()
    token = TokenIssuer(other_private).issue(principal_for(CHAIN))
    with pytest.raises(NotAuthorizedException, match="invalid token"):
        TokenVerifier(PUBLIC).verify(token)


def test_an_expired_token_is_refused() -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    token = TokenIssuer(PRIVATE, ttl=timedelta(minutes=30)).issue(principal_for(CHAIN), now=issued)
    with pytest.raises(NotAuthorizedException, match="expired"):
        TokenVerifier(PUBLIC).verify(token)


def test_an_unsigned_or_tampered_token_is_refused() -> None:
    token = TokenIssuer(PRIVATE).issue(principal_for(CHAIN, Role.VIEWER))
    claims = jwt.decode(token, options={"verify_signature": False})
    for forged in (
        jwt.encode({**claims, "role": "chain_admin"}, "s" * 32, algorithm="HS256"),
        jwt.encode({**claims, "role": "chain_admin"}, "", algorithm="none"),
        token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
    ):
        with pytest.raises(NotAuthorizedException):
            TokenVerifier(PUBLIC).verify(forged)


def test_a_token_with_an_unknown_role_is_refused() -> None:
    now = datetime.now(UTC)
    claims = {
        "sub": str(uuid.uuid4()),
        "chain": str(CHAIN),
        "role": "superuser",
        "iss": "etapa-intake",
        "aud": "etapa",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    with pytest.raises(NotAuthorizedException):
        TokenVerifier(PUBLIC).verify(jwt.encode(claims, PRIVATE, algorithm=ALGORITHM))


def test_branch_scope_by_role() -> None:
    assert principal_for(CHAIN, Role.CHAIN_ADMIN, [SP]).visible_branches() is None
    assert principal_for(CHAIN, Role.VIEWER).visible_branches() is None
    assert principal_for(CHAIN, Role.VIEWER, [RJ]).visible_branches() == frozenset({RJ})
    attendant = principal_for(CHAIN, Role.ATTENDANT, [SP])
    assert attendant.visible_branches() == frozenset({SP})
    assert attendant.may_see_branch(SP)
    assert not attendant.may_see_branch(RJ)
    assert principal_for(CHAIN, Role.ATTENDANT).visible_branches() == frozenset()
    with pytest.raises(NotFoundException):
        attendant.require_branch(RJ)


def test_a_refused_role_gets_the_reason_in_portuguese() -> None:
    viewer = principal_for(CHAIN, Role.VIEWER)
    with pytest.raises(PermissionDeniedException, match="consulta não pode abrir ordens"):
        viewer.require_role(Role.ATTENDANT, action="abrir ordens")


def test_a_service_refuses_to_start_without_a_usable_public_key() -> None:
    base = {"ETAPA_ENV": "production"}
    with pytest.raises(SettingsError, match="ETAPA_JWT_PUBLIC_KEY"):
        verifier_for(ServiceSettings.from_env("workflow", 8001, base))
    with pytest.raises(SettingsError, match="not a PEM public key"):
        verifier_for(
            ServiceSettings.from_env("workflow", 8001, base | {"ETAPA_JWT_PUBLIC_KEY": "x"})
        )
    with pytest.raises(SettingsError, match="cannot read"):
        ServiceSettings.from_env("workflow", 8001, {"ETAPA_JWT_PUBLIC_KEY_FILE": "/nope.pem"})
    settings = ServiceSettings.from_env("workflow", 8001, base | {"ETAPA_JWT_PUBLIC_KEY": PUBLIC})
    assert verifier_for(settings).public_key == PUBLIC


def test_a_token_from_a_host_whose_clock_runs_a_little_ahead_is_accepted() -> None:
    """Intake on one host, workflow on another: intake's clock 2 s ahead. Before, the token was
    refused as not yet valid until the verifier's clock reached its whole-second ``iat``."""
    issuer, verifier = TokenIssuer(PRIVATE), TokenVerifier(PUBLIC)
    person = principal_for(CHAIN)
    ahead = verifier.verify(issuer.issue(person, now=datetime.now(UTC) + timedelta(seconds=2)))
    assert ahead.user_id == person.user_id
    with pytest.raises(NotAuthorizedException, match="invalid token"):
        verifier.verify(issuer.issue(person, now=datetime.now(UTC) + timedelta(minutes=5)))


def test_a_token_issued_before_its_users_valid_since_is_refused() -> None:
    from shared.auth import TokenIssuer, TokenVerifier, generate_key_pair, principal_for
    from shared.token_validity import TokenValidity

    private, public = generate_key_pair()
    issuer, verifier = TokenIssuer(private), TokenVerifier(public)
    person = principal_for(uuid.uuid4())
    # a second ago: a token issued "5 ms from now" in the last 5 ms of a second has its whole-
    # second ``iat`` in the future and is refused as not yet valid (this test failed so, once)
    changed_at = datetime.now(UTC) - timedelta(seconds=1)
    before = verifier.verify(issuer.issue(person, now=changed_at - timedelta(milliseconds=5)))
    after = verifier.verify(issuer.issue(person, now=changed_at + timedelta(milliseconds=5)))
    validity = TokenValidity()
    assert not validity.refuses(person.user_id, before.issued_at)
    validity.set(person.user_id, changed_at)
    assert validity.refuses(person.user_id, before.issued_at)
    assert not validity.refuses(person.user_id, after.issued_at)  # same second, later: counts
    assert not validity.refuses(uuid.uuid4(), before.issued_at)
    assert TokenIssuer(private).ttl == timedelta(minutes=15)


def counting_decode(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = jwt.decode

    def decode(token: str, *args: object, **kwargs: object) -> object:
        calls.append(token)
        return real(token, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", decode)
    return calls


def test_a_token_is_checked_once_then_trusted_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = counting_decode(monkeypatch)
    ttl = timedelta(minutes=30)
    issued = datetime.now(UTC) - ttl + timedelta(seconds=2)  # two seconds left
    token = TokenIssuer(PRIVATE, ttl=ttl).issue(
        principal_for(CHAIN, Role.ATTENDANT, [SP]), now=issued
    )
    verifier = TokenVerifier(PUBLIC)
    first = verifier.verify(token)
    assert [verifier.verify(token) for _ in range(3)] == [first] * 3
    assert calls == [token]  # one signature check for four requests
    time.sleep(2.1)  # past its exp: checked again, and refused as expired
    with pytest.raises(NotAuthorizedException, match="expired"):
        verifier.verify(token)
    assert len(calls) == 2


def test_a_forged_token_is_never_kept_and_the_cache_is_bounded() -> None:
    verifier = TokenVerifier(PUBLIC, max_cached=3)
    tokens = [
        TokenIssuer(PRIVATE).issue(principal_for(CHAIN, Role.ATTENDANT, [SP], name=f"P{n}"))
        for n in range(5)
    ]
    for token in tokens:
        verifier.verify(token)
    assert list(verifier._verified) == tokens[2:]  # the oldest made room
    other_private, _ = generate_key_pair()
    forged = TokenIssuer(other_private).issue(principal_for(CHAIN, Role.CHAIN_ADMIN))
    for _ in range(2):
        with pytest.raises(NotAuthorizedException, match="invalid"):
            verifier.verify(forged)
    assert forged not in verifier._verified
