"""Sign-in lockouts per account and per address, growing, and bounded password checks
(issue 15, item 2)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from intake.adapters.sign_in_guard import SignInGuard, SignInLimits, TooManyAttempts, mask_email


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def retry_after(guard: SignInGuard, email: str, address: str) -> int | None:
    try:
        guard.check(email, address)
    except TooManyAttempts as exc:
        return exc.retry_after
    return None


def test_an_account_is_locked_after_five_failures_for_a_time_that_doubles() -> None:
    clock = Clock()
    guard = SignInGuard(clock=clock)
    for attempt in range(4):
        guard.failed("Ana@Rede.com", f"10.0.0.{attempt}")  # from different addresses
        assert retry_after(guard, "ana@rede.com", "10.0.0.9") is None
    guard.failed("ana@rede.com", "10.0.0.5")
    assert retry_after(guard, "ANA@rede.com", "10.0.0.9") == 30
    clock.now += 31
    assert retry_after(guard, "ana@rede.com", "10.0.0.9") is None
    guard.failed("ana@rede.com", "10.0.0.9")
    assert retry_after(guard, "ana@rede.com", "10.0.0.9") == 60
    clock.now += 61
    guard.failed("ana@rede.com", "10.0.0.9")
    assert retry_after(guard, "ana@rede.com", "10.0.0.9") == 120
    # another account from the same addresses is not locked
    assert retry_after(guard, "bia@rede.com", "10.0.0.8") is None


def test_the_lockout_is_capped_and_forgotten_after_quiet() -> None:
    clock = Clock()
    guard = SignInGuard(clock=clock)
    for _ in range(30):
        guard.failed("ana@rede.com", "10.0.0.1")
        clock.now += 1
    assert retry_after(guard, "ana@rede.com", "10.0.0.2") == 899  # at most 15 min
    clock.now += 900 + 901
    guard.failed("ana@rede.com", "10.0.0.2")  # a fresh start: one failure, no lock
    assert retry_after(guard, "ana@rede.com", "10.0.0.2") is None


def test_an_address_is_locked_after_twenty_failures_on_any_accounts() -> None:
    guard = SignInGuard(clock=Clock())
    for n in range(19):
        guard.failed(f"pessoa{n}@rede.com", "203.0.113.7")
    assert retry_after(guard, "outra@rede.com", "203.0.113.7") is None
    guard.failed("pessoa19@rede.com", "203.0.113.7")
    assert retry_after(guard, "outra@rede.com", "203.0.113.7") == 30
    assert retry_after(guard, "outra@rede.com", "203.0.113.8") is None


def test_success_clears_the_account_but_not_the_address() -> None:
    guard = SignInGuard(SignInLimits(account_threshold=3, address_threshold=4), clock=Clock())
    for _ in range(2):
        guard.failed("ana@rede.com", "203.0.113.7")
    guard.succeeded("ana@rede.com")
    guard.failed("ana@rede.com", "203.0.113.7")
    assert retry_after(guard, "ana@rede.com", "203.0.113.9") is None
    guard.failed("bia@rede.com", "203.0.113.7")  # the address's 4th
    assert retry_after(guard, "ana@rede.com", "203.0.113.7") == 30


async def test_password_checks_at_once_are_bounded_and_the_excess_refused_at_once() -> None:
    guard = SignInGuard(SignInLimits(concurrent_checks=2, waiting_checks=2))
    release = asyncio.Event()
    running = 0
    most = 0

    async def slow_check() -> str:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1
        return "ok"

    tasks = [asyncio.create_task(guard.password_check(slow_check)) for _ in range(6)]
    await asyncio.sleep(0.05)
    refused = [t for t in tasks if t.done()]
    assert len(refused) == 2
    for task in refused:
        with pytest.raises(TooManyAttempts) as caught:
            task.result()
        assert caught.value.retry_after == 1
    release.set()
    results = await asyncio.gather(*(t for t in tasks if t not in refused))
    assert results == ["ok"] * 4
    assert most == 2


def test_the_e_mail_is_masked_for_the_log() -> None:
    assert mask_email("atendente.sp@visaoclara.demo") == "a***@visaoclara.demo"
    assert mask_email("sem-arroba") == "s***"
