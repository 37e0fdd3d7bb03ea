"""``python -m console [serve]``: the staff console and the customer page on port 8003."""

from __future__ import annotations

import argparse

import uvicorn

from console.bootstrap import create_app
from console.config import ConsoleSettings
from shared.heap import settle_heap
from shared.logging import configure_logging
from shared.service_main import main_of, server_options


def _main() -> None:
    settings = ConsoleSettings.from_env()
    parser = argparse.ArgumentParser(prog="etapa-console")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve"])
    parser.parse_args()
    configure_logging("console", settings.service.log_level, settings.service.log_format)
    app = create_app(settings)
    settle_heap()
    uvicorn.run(
        app,
        host=settings.service.http_host,
        port=settings.service.http_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
        **server_options(settings.service),
    )


main = main_of("etapa-console", _main)

if __name__ == "__main__":
    main()
