"""Structured logging for every service: JSON lines, one correlation id per request and message.

Rules:
- ``configure_logging`` is called once by a service's composition root, never at import.
- The correlation id lives in a context variable; HTTP middleware binds it per request and
  consumers bind it per message, so every line logged while handling either carries it.
- Libraries' step-by-step chatter is DEBUG, not INFO: yoyo's "Applying …" / "applying step N"
  lines are demoted (``DEMOTED_TO_DEBUG``); ``shared.database.migrate`` logs one INFO line per
  database instead (``database_migrated``, with how many migrations it applied).
- Phone numbers anywhere in a log line are masked (``+55119******21``) and values under
  secret-looking keys are replaced, so logs never hold a customer's number or a credential.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Awaitable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any
from uuid import uuid4

import structlog

CORRELATION_HEADER = "X-Correlation-ID"
_USABLE_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_SECRET_KEYS = re.compile(r"pass|secret|token|authorization|api_key|apikey", re.IGNORECASE)
# A run of 10+ digits, optionally with +, spaces, dots, dashes or parentheses between them, not
# glued to letters or dashes on either side (so the digits inside a UUID are left alone).
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d[\d\s().-]{8,}\d(?![\w-])")
_PLAIN_NUMBER = re.compile(r"\+?\d{10,15}")
# A JWT (three base64url parts, the first a JSON header) anywhere in a text, e.g. in an error.
_JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]*")


def mask_phone_numbers(text: str) -> str:
    """Keep the first five and last two digits of anything that looks like a phone number."""

    def _mask_digits(found: str) -> str:
        digits = re.sub(r"\D", "", found)
        plus = "+" if found.startswith("+") else ""
        return plus + digits[:5] + "*" * (len(digits) - 7) + digits[-2:]

    def _mask(match: re.Match[str]) -> str:
        found = match.group(0)
        digits = sum(c.isdigit() for c in found)
        if digits < 10:
            return found
        if digits > 15:  # a number beside other digits: mask each plain number inside
            return _PLAIN_NUMBER.sub(lambda m: _mask_digits(m.group(0)), found)
        return _mask_digits(found)

    return _PHONE.sub(_mask, text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return mask_phone_numbers(_JWT.sub("[token]", value))
    if isinstance(value, dict):
        return {
            k: "[redacted]" if _SECRET_KEYS.search(str(k)) else _scrub(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def scrub_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    event_dict.pop("color_message", None)  # uvicorn's duplicate of the message, with ANSI codes
    for key in list(event_dict):
        if _SECRET_KEYS.search(key):
            event_dict[key] = "[redacted]"
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


DEMOTED_TO_DEBUG = ("yoyo.migrations",)
"""Loggers whose INFO lines are logged as DEBUG (shown only with ``ETAPA_LOG_LEVEL=DEBUG``).
A filter sees only its own logger's records, so each is named exactly (all of yoyo logs here)."""


class _DemoteInfoToDebug(logging.Filter):
    """Turns a logger's INFO records into DEBUG ones, kept only where DEBUG is enabled."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(record.levelno)


def configure_logging(service: str, level: str = "INFO", fmt: str = "json") -> None:
    """Send structlog and standard-library logging to stdout, as JSON or for a console."""
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    shared_processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
        structlog.processors.format_exc_info,
        scrub_processor,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # a line under the level costs no processing
            *shared_processors,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiormq", "aio_pika", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for chatty in DEMOTED_TO_DEBUG:
        logger = logging.getLogger(chatty)
        logger.filters[:] = [f for f in logger.filters if not isinstance(f, _DemoteInfoToDebug)]
        logger.addFilter(_DemoteInfoToDebug())
    structlog.contextvars.bind_contextvars(service=service)


def new_correlation_id() -> str:
    return uuid4().hex


def current_correlation_id() -> str:
    """The bound correlation id, or a fresh one when nothing bound it (a timer, a sweeper)."""
    bound = structlog.contextvars.get_contextvars().get("correlation_id")
    return str(bound) if bound else new_correlation_id()


@contextmanager
def correlation_scope(correlation_id: str | None) -> Iterator[str]:
    """Bind a correlation id for the duration of one request or message.

    An incoming id is kept only if it is short and plain (it travels in every event's AMQP
    ``correlation_id``, which the broker limits to 255 bytes); anything else gets a new one.
    """
    usable = correlation_id is not None and _USABLE_CORRELATION_ID.fullmatch(correlation_id)
    cid = correlation_id if usable and correlation_id else new_correlation_id()
    tokens = structlog.contextvars.bind_contextvars(correlation_id=cid)
    try:
        yield cid
    finally:
        structlog.contextvars.reset_contextvars(**tokens)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


async def crash_logged(work: Awaitable[None], task: str) -> None:
    """Await ``work``, a background task of a service; should it raise, log
    ``background_task_crashed`` with the task's name and raise again (a cancellation passes)."""
    try:
        await work
    except Exception:
        get_logger(__name__).exception("background_task_crashed", task=task)
        raise
