"""Sending one message: the provider for this round, and the in-round retries (tenacity).

Two layers of retries, apart on purpose:

- **In a round** (this module): up to ``send_tries`` requests, exponential backoff with jitter
  (0.2 s, 0.4 s… capped at 5 s), on transient errors only, all inside the dispatcher's lease.
  Each request has its own deadline (``NOTIFIER_SEND_TIMEOUT``), whatever the HTTP client's
  timeouts do: a request with no answer by then is ambiguous (the SMS may have gone out).
  An ambiguous request is looked up at the provider where it allows a lookup
  (``find_at_provider``): found, its receipt is the answer and nothing is sent again; not
  found (or the provider could not tell), it is sent again only where the key dedupes it.
- **Across rounds** (the dispatcher): a round that still failed puts the message back to
  ``pending`` with ``next_attempt_at`` in the database (exponential, jittered), so a retry
  survives a restart. After ``fallback_after`` failed rounds the fallback provider (if any)
  takes the message; after ``max_attempts`` rounds it is ``failed`` and kept for a person.

The same idempotency key goes with every request of every round, to either provider.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from notifier.usecases.ports import (
    AmbiguousSendError,
    OutgoingSms,
    Receipt,
    SentQuery,
    SmsProvider,
    TransientSendError,
)
from shared.logging import get_logger

log = get_logger(__name__)

IN_ROUND_INITIAL_WAIT = 0.2
IN_ROUND_MAX_WAIT = 5.0


@dataclass(frozen=True, slots=True)
class Providers:
    primary: SmsProvider
    fallback: SmsProvider | None = None
    fallback_after: int = 2

    def for_round(self, round_number: int) -> SmsProvider:
        """The primary for the first ``fallback_after`` rounds, then the fallback if any."""
        if self.fallback is not None and round_number > self.fallback_after:
            return self.fallback
        return self.primary

    async def aclose(self) -> None:
        await self.primary.aclose()
        if self.fallback is not None:
            await self.fallback.aclose()


async def send_once(provider: SmsProvider, sms: OutgoingSms, timeout: float | None) -> Receipt:
    """One request, given up after ``timeout`` seconds as ambiguous (it may have gone out)."""
    if timeout is None:
        return await provider.send(sms)
    try:
        async with asyncio.timeout(timeout):
            return await provider.send(sms)
    except TimeoutError as exc:
        raise AmbiguousSendError(f"{provider.name}: sem resposta em {timeout:g} s") from exc


async def send_in_round(
    provider: SmsProvider,
    sms: OutgoingSms,
    tries: int,
    timeout: float | None = None,
    *,
    since: datetime,
) -> Receipt:
    """Send with up to ``tries`` requests of at most ``timeout`` seconds each; raise the last
    error when every one failed. A request with no answer is looked up (``find_at_provider``,
    for messages the provider took from ``since``, the round's start) before anything else."""

    def log_retry(state: object) -> None:
        log.warning("sms_request_failed_retrying", provider=provider.name)

    async def send_or_find() -> Receipt:
        try:
            return await send_once(provider, sms, timeout)
        except AmbiguousSendError:
            found = await find_at_provider(provider, sms, since, timeout)
            if found is None:
                raise
            return found

    retrying = AsyncRetrying(
        stop=stop_after_attempt(tries),
        wait=wait_exponential_jitter(multiplier=IN_ROUND_INITIAL_WAIT, max=IN_ROUND_MAX_WAIT),
        retry=retry_if_exception(lambda exc: may_send_again(provider, exc)),
        before_sleep=log_retry,
        reraise=True,
    )
    receipt: Receipt = await retrying(send_or_find)
    return receipt


async def find_at_provider(
    provider: SmsProvider, sms: OutgoingSms, since: datetime, timeout: float | None
) -> Receipt | None:
    """After a request with no answer: the provider's receipt if it says it took ``sms``
    (sent at ``since`` or later); None when it allows no lookup, did not find it or could not
    tell. A lookup that fails is not an answer either."""
    if not provider.supports_lookup:
        return None
    query = SentQuery(sms.idempotency_key, sms.to, sms.body, since)
    try:
        async with asyncio.timeout(timeout):
            result = await provider.lookup(query)
    except Exception as exc:  # a failed lookup only means: could not tell
        log.warning("sms_lookup_after_no_answer_failed", provider=provider.name, error=str(exc))
        return None
    if result.found != "accepted":
        return None
    log.info("sms_found_at_provider_after_no_answer", provider=provider.name)
    return Receipt(result.provider_message_id)


def may_send_again(provider: SmsProvider, exc: BaseException) -> bool:
    """Transient failures are retried; an ambiguous one only where the key dedupes it."""
    if isinstance(exc, AmbiguousSendError):
        return provider.supports_idempotency
    return isinstance(exc, TransientSendError)


def round_budget_seconds(tries: int, timeout: float) -> float:
    """The longest a round can take: every request timing out, plus the waits between them."""
    return tries * timeout + (tries - 1) * IN_ROUND_MAX_WAIT
