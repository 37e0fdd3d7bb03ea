"""Every Prometheus metric Etapa defines, in one place (each service serves them at ``/metrics``).

Rules:
- Names start with ``etapa_``; every metric here carries a ``service`` label (the three
  services share one registry when the tests run them in one process).
- Labels are bounded: a consumer is a queue name, a lab is its code (``unknown`` when no lab is
  registered with it), a provider is ``log``/``http``/``zenvia``/``twilio`` (``none`` before one
  is chosen). Never an order id, a phone number or a name.
- A counter moves once the change it counts has committed, so a retried transaction counts
  once; risk transitions are the exception, counted in the order's transaction (one that
  rolls back after the change, which is rare, counts it again when retried).
- The dashboard (deploy/grafana/) and the alert rules (deploy/prometheus/) use these names; a
  test checks that each one they use is in a running service's ``/metrics``.

HTTP requests are counted by Litestar's Prometheus middleware (its series, counted with less
work by ``shared.http_metrics``) as ``etapa_http_requests_total``,
``etapa_http_request_duration_seconds`` and ``etapa_http_requests_error_total``, with the service
in ``app_name`` (``etapa_intake``…, the console too); the background loops (relay, sweeper,
dispatcher, token reload) have ``etapa_loop_rounds_total`` and ``etapa_loop_errors_total``
(``shared.loops``). The dead-letter queues'
depth comes from RabbitMQ's own Prometheus plugin (deploy/README.md, "Metrics and alerts").
"""

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_HANDLED = Counter(
    "etapa_messages_handled_total",
    "Messages a consumer handled, by outcome (handled, duplicate, held: tried again through a "
    "database outage, failed: nacked towards the dead-letter queue).",
    ["service", "consumer", "outcome"],
)
HANDLING_SECONDS = Histogram(
    "etapa_message_handling_seconds",
    "Time from a consumer receiving a message to its ack or nack, database outages included.",
    ["service", "consumer"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120),
)
CONSUMER_BATCH_MESSAGES = Histogram(
    "etapa_consumer_batch_messages",
    "Messages a consumer took together as one batch: one transaction, or one each when the "
    "batch fell back to one by one (shared.consumer_batches).",
    ["service", "consumer"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)
OUTBOX_PUBLISHED = Counter(
    "etapa_outbox_published_total",
    "Outbox events published with a confirm and marked, by the relay or at once.",
    ["service"],
)
OUTBOX_PUBLISHED_DIRECTLY = Counter(
    "etapa_outbox_published_directly_total",
    "Events published at once by the process that wrote them, not by its relay (a part of"
    " etapa_outbox_published_total).",
    ["service"],
)
OUTBOX_FAILURES = Counter(
    "etapa_outbox_publish_failures_total",
    "Outbox publishes that failed and will be retried, by reason.",
    ["service", "reason"],
)
OUTBOX_BACKLOG = Gauge(
    "etapa_outbox_backlog",
    "Events in the service's outbox not published yet (sampled every few seconds).",
    ["service"],
)
OUTBOX_OLDEST_AGE = Gauge(
    "etapa_outbox_oldest_age_seconds",
    "Age of the oldest event not published yet, by the database's clock; 0 when none waits.",
    ["service"],
)
OUTBOX_SAMPLED = Gauge(
    "etapa_outbox_sampled_timestamp_seconds",
    "When the outbox backlog was last read (Unix time): stale while the database is away.",
    ["service"],
)
SMS_MESSAGES = Counter(
    "etapa_sms_messages_total",
    "Customer SMS by status (sent, failed, suppressed, held, retried: a round failed and "
    "will be tried again, delivered and undelivered: the provider's report) and provider.",
    ["service", "status", "provider"],
)
LAB_MESSAGES = Counter(
    "etapa_lab_messages_total",
    "Lab messages by lab code, outcome (accepted, rejected, stale, duplicate, replayed) and "
    "channel (amqp, http, replay).",
    ["service", "lab", "outcome", "via"],
)
RISK_TRANSITIONS = Counter(
    "etapa_risk_transitions_total",
    "Changes of an open order's risk level (on_track, at_risk, overdue): from one to another.",
    ["service", "from_level", "to_level"],
)

UNKNOWN_LAB = "unknown"
"""The ``lab`` label of a message from a code no lab is registered with (codes are unbounded)."""
NO_PROVIDER = "none"
"""The ``provider`` label of an SMS that ended before a provider was chosen."""
