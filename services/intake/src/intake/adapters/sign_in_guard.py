"""The sign-in guard of one intake process: failure counts in memory, and the bound on the
expensive password checks that run at once. The lockout rules are pure, in
``intake.domain.sign_in_policy``; this keeps their state and the semaphore.

Per process, like the request rate limit: N replicas allow N× the attempts. The client address
is the TCP peer, or the ``X-Forwarded-For`` of a proxy listed in ``ETAPA_TRUSTED_PROXIES``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import TypeVar

from intake.domain.sign_in_policy import (
    Failures,
    SignInLimits,
    TooManyAttempts,
    account_key,
    address_key,
    after_failure,
    mask_email,
    refusal,
)

__all__ = ["SignInGuard", "SignInLimits", "TooManyAttempts", "mask_email"]

T = TypeVar("T")

MAX_TRACKED = 100_000
"""Accounts and addresses remembered at once; the oldest are dropped beyond it."""


class SignInGuard:
    def __init__(
        self, limits: SignInLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or SignInLimits()
        self._clock = clock
        self._failures: OrderedDict[str, Failures] = OrderedDict()
        self._checks: asyncio.Semaphore | None = None
        self._waiting = 0

    def check(self, email: str, address: str) -> None:
        """Raise ``TooManyAttempts`` when the account or the address is locked now."""
        now = self._clock()
        for key in (account_key(email), address_key(address)):
            refused = refusal(key, self._failures.get(key), now)
            if refused is not None:
                raise refused

    def failed(self, email: str, address: str) -> None:
        now = self._clock()
        for key, threshold in (
            (account_key(email), self.limits.account_threshold),
            (address_key(address), self.limits.address_threshold),
        ):
            record = self._failures.pop(key, None)
            self._failures[key] = after_failure(record, threshold, self.limits, now)  # newest last
        while len(self._failures) > MAX_TRACKED:
            self._failures.popitem(last=False)

    def succeeded(self, email: str) -> None:
        self._failures.pop(account_key(email), None)

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
