"""Sign-in abuse: failed attempts lock an account and an address out for a growing time, and
the expensive password checks that may run at once are bounded.

Rules (per intake process, like the request rate limit; N replicas allow N× the attempts):
- Each failed sign-in counts against the e-mail (lowercased) and against the client address
  (the TCP peer, or the ``X-Forwarded-For`` of a proxy listed in ``ETAPA_TRUSTED_PROXIES``).
- From the ``account_threshold``-th failure of an account (5) and the ``address_threshold``-th
  of an address (20) on, each further failure locks it for ``base_lockout`` (30 s) doubled per
  failure beyond the threshold, at most ``max_lockout`` (15 min). A locked e-mail or address
  gets 429 with ``Retry-After`` *before* any password check, even with the right password.
- A successful sign-in clears its account's count (not the address's: one valid account must
  not launder an address's guesses). Counts are forgotten ``forget_after`` (15 min) after the
  last failure once no lock holds.
- At most ``concurrent_checks`` Argon2 verifications run at once (each ≈ 0.2 s of CPU and
  64 MiB); up to ``waiting_checks`` more wait their turn, and beyond that a sign-in gets 429
  with ``Retry-After: 1`` at once, so a flood of sign-ins cannot starve the rest of the API.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

MAX_TRACKED = 100_000
"""Accounts and addresses remembered at once; the oldest are dropped beyond it."""


class TooManyAttempts(Exception):
    """Refused without checking the password; ``retry_after`` seconds until a new try."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.reason = reason


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


@dataclass(frozen=True, slots=True)
class SignInLimits:
    account_threshold: int = 5
    address_threshold: int = 20
    base_lockout: float = 30.0
    max_lockout: float = 900.0
    forget_after: float = 900.0
    concurrent_checks: int = 2
    waiting_checks: int = 16


class SignInGuard:
    def __init__(
        self, limits: SignInLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or SignInLimits()
        self._clock = clock
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._checks: asyncio.Semaphore | None = None
        self._waiting = 0

    def check(self, email: str, address: str) -> None:
        """Raise ``TooManyAttempts`` when the account or the address is locked now."""
        now = self._clock()
        for key in (_account(email), _address(address)):
            record = self._failures.get(key)
            if record is not None and record.locked_until > now:
                raise TooManyAttempts(
                    max(1, int(record.locked_until - now + 0.999)),
                    "account" if key.startswith("account:") else "address",
                )

    def failed(self, email: str, address: str) -> None:
        now = self._clock()
        for key, threshold in (
            (_account(email), self.limits.account_threshold),
            (_address(address), self.limits.address_threshold),
        ):
            record = self._failures.pop(key, None) or _Failures()
            if record.locked_until <= now and now - record.last_failure > self.limits.forget_after:
                record = _Failures()
            record.count += 1
            record.last_failure = now
            if record.count >= threshold:
                beyond = record.count - threshold
                lockout = min(
                    self.limits.base_lockout * 2 ** min(beyond, 32), self.limits.max_lockout
                )
                record.locked_until = now + lockout
            self._failures[key] = record  # newest last
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, email: str) -> None:
        self._failures.pop(_account(email), None)

    async def password_check(self, check: Callable[[], Awaitable[T]]) -> T:
        """Run one expensive password check when a slot is free (429 when too many wait)."""
        if self._checks is None:  # created in the running loop
            self._checks = asyncio.Semaphore(self.limits.concurrent_checks)
        if self._checks.locked() and self._waiting >= self.limits.waiting_checks:
            raise TooManyAttempts(1, "busy")
        self._waiting += 1
        try:
            await self._checks.acquire()
        finally:
            self._waiting -= 1
        try:
            return await check()
        finally:
            self._checks.release()


def _account(email: str) -> str:
    return f"account:{email.strip().lower()}"


def _address(address: str) -> str:
    return f"address:{address}"


def mask_email(email: str) -> str:
    """``atendente.sp@visaoclara.demo`` → ``a***@visaoclara.demo``: who, not which account."""
    local, at, domain = email.strip().partition("@")
    return f"{local[:1]}***{at}{domain}" if at else f"{email[:1]}***"
