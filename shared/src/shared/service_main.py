"""The command line every service shares: ``serve`` (default) and ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import uvicorn
from litestar import Litestar

from shared.heap import settle_heap
from shared.logging import configure_logging
from shared.settings import ServiceSettings, SettingsError

BAD_SETTINGS_EXIT_CODE = 2
"""What a service exits with when a setting is missing or malformed (argparse's for bad usage)."""


def main_of(program: str, run: Callable[[], None]) -> Callable[[], None]:
    """A service's command-line entry point: ``run``, stopped by a bad setting with one line on
    standard error that names the variable (``etapa-workflow: WORKFLOW_PORT must be a whole
    number, got 'eighty'``) and exit code 2, not a traceback. Settings are read as the process
    starts and as its app is built (the SMS provider's, the keys): both are covered."""

    def main() -> None:
        try:
            run()
        except SettingsError as exc:
            print(f"{program}: {exc}", file=sys.stderr)
            raise SystemExit(BAD_SETTINGS_EXIT_CODE) from None

    return main


def server_options(settings: ServiceSettings) -> dict[str, Any]:
    """What every service's uvicorn is given from its settings: the keep-alive of idle
    connections (``ETAPA_HTTP_KEEP_ALIVE_S``) and the proxies it trusts."""
    return {"timeout_keep_alive": settings.http_keep_alive_s, **proxy_options(settings)}


def proxy_options(settings: ServiceSettings) -> dict[str, Any]:
    """uvicorn's ``X-Forwarded-For`` handling: only from ``ETAPA_TRUSTED_PROXIES``.

    uvicorn's own default trusts 127.0.0.1, so anything on the same host (or a test client)
    could name any address and rotate past per-address limits; with no trusted proxy the client
    address is the TCP peer's.
    """
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": []}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


def run_service_cli(
    settings: ServiceSettings,
    create_app: Callable[[], Litestar],
    migrate: Callable[[], Coroutine[Any, Any, None]],
    extra_commands: dict[str, Callable[[], Coroutine[Any, Any, None]]] | None = None,
    argv: Sequence[str] | None = None,
) -> None:
    commands: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
        "migrate": migrate,
        **(extra_commands or {}),
    }
    parser = argparse.ArgumentParser(prog=f"etapa-{settings.service}")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", *commands])
    args = parser.parse_args(argv)
    configure_logging(settings.service, settings.log_level, settings.log_format)
    if args.command == "serve":
        app = create_app()
        settle_heap()
        uvicorn.run(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
            **server_options(settings),
        )
    else:
        asyncio.run(commands[args.command]())
