"""Sign-in abuse: failed attempts lock an account and an address out for a growing time.

Rules (the guard keeps the counts per intake process, like the request rate limit):
- Each failed sign-in counts against the e-mail (lowercased) and against the client address.
- From the ``account_threshold``-th failure of an account (5) and the ``address_threshold``-th
  of an address (20) on, each further failure locks it for ``base_lockout`` (30 s) doubled per
  failure beyond the threshold, at most ``max_lockout`` (15 min). A locked e-mail or address
  is refused *before* any password check, even with the right password.
- A successful sign-in clears its account's count (not the address's: one valid account must
  not launder an address's guesses). Counts are forgotten ``forget_after`` (15 min) after the
  last failure once no lock holds.
- At most ``concurrent_checks`` Argon2 verifications run at once; up to ``waiting_checks``
  more wait their turn, and beyond that a sign-in is refused at once (``Retry-After: 1``).

Times here are seconds of a monotonic clock, passed in.
"""

from __future__ import annotations

from dataclasses import dataclass


class TooManyAttempts(Exception):
    """Refused without checking the password; ``retry_after`` seconds until a new try."""

    def __init__(self, retry_after: int, reason: str) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignInLimits:
    account_threshold: int = 5
    address_threshold: int = 20
    base_lockout: float = 30.0
    max_lockout: float = 900.0
    forget_after: float = 900.0
    concurrent_checks: int = 2
    waiting_checks: int = 16


@dataclass(frozen=True, slots=True)
class Failures:
    count: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()}"


def address_key(address: str) -> str:
    return f"address:{address}"


def refusal(key: str, record: Failures | None, now: float) -> TooManyAttempts | None:
    """The refusal while ``record`` (the failures of ``key``) is locked at ``now``, else None."""
    if record is None or record.locked_until <= now:
        return None
    return TooManyAttempts(
        max(1, int(record.locked_until - now + 0.999)),
        "account" if key.startswith("account:") else "address",
    )


def after_failure(
    record: Failures | None, threshold: int, limits: SignInLimits, now: float
) -> Failures:
    """``record`` after one more failure at ``now``: counted, and locked from ``threshold`` on."""
    record = record or Failures()
    if record.locked_until <= now and now - record.last_failure > limits.forget_after:
        record = Failures()
    count = record.count + 1
    locked_until = record.locked_until
    if count >= threshold:
        beyond = count - threshold
        lockout = min(limits.base_lockout * 2 ** min(beyond, 32), limits.max_lockout)
        locked_until = now + lockout
    return Failures(count=count, locked_until=locked_until, last_failure=now)


def mask_email(email: str) -> str:
    """``atendente.sp@visaoclara.demo`` → ``a***@visaoclara.demo``: who, not which account."""
    local, at, domain = email.strip().partition("@")
    return f"{local[:1]}***{at}{domain}" if at else f"{email[:1]}***"
