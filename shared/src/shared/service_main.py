"""The command line every service shares: ``serve`` (default) and ``migrate``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import uvicorn
from litestar import Litestar

from shared.logging import configure_logging
from shared.settings import ServiceSettings


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
        uvicorn.run(
            create_app(),
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    else:
        asyncio.run(commands[args.command]())
