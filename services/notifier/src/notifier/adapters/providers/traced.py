"""A span around each provider request (``sms send <provider>``), in the order's trace.

The dispatcher sends inside the trace of the stage change that recorded the message
(``entrypoints.loops``), so this span is the end of an order's trace from ``POST /orders``.
It names the provider, the order number and the outcome; never the phone number or the text.
"""

from __future__ import annotations

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer

from notifier.usecases.ports import LookupResult, OutgoingSms, Receipt, SentQuery, SmsProvider


class TracedProvider:
    def __init__(self, provider: SmsProvider, tracer: Tracer) -> None:
        self._provider = provider
        self._tracer = tracer
        self.name = provider.name
        self.supports_idempotency = provider.supports_idempotency
        self.supports_lookup = provider.supports_lookup

    async def send(self, sms: OutgoingSms) -> Receipt:
        with self._tracer.start_as_current_span(
            f"sms send {self.name}",
            kind=SpanKind.CLIENT,
            attributes={"sms.provider": self.name, "sms.idempotency_key": sms.idempotency_key},
            record_exception=True,
        ) as span:
            try:
                receipt = await self._provider.send(sms)
            except Exception as exc:
                span.set_attribute("sms.outcome", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                raise
            span.set_attribute("sms.outcome", "accepted")
            return receipt

    async def lookup(self, query: SentQuery) -> LookupResult:
        with self._tracer.start_as_current_span(
            f"sms lookup {self.name}",
            kind=SpanKind.CLIENT,
            attributes={"sms.provider": self.name},
        ) as span:
            found = await self._provider.lookup(query)
            span.set_attribute("sms.lookup", str(found.found))
            return found

    async def aclose(self) -> None:
        await self._provider.aclose()
