"""Check that PostgreSQL and RabbitMQ answer before Etapa starts; say how to start them if not.

Usage: python scripts/check_services.py [--wait SECONDS]
Reads the same environment variables as the services (README, Configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

import aio_pika
import asyncpg

from shared.settings import DEFAULT_AMQP_URL, default_database_url

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
    "   (or: docker compose up -d postgres)",
    "RabbitMQ": "rabbitmq-server -detached   (or: docker compose up -d rabbitmq)",
}


async def _postgres(url: str) -> None:
    conn = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres", timeout=3)
    await conn.close()


async def _rabbitmq(url: str) -> None:
    conn = await aio_pika.connect(url, timeout=3)
    await conn.close()


async def _check_once() -> dict[str, str]:
    checks = {
        "PostgreSQL": _postgres(
            os.environ.get("INTAKE_DATABASE_URL", default_database_url("intake"))
        ),
        "RabbitMQ": _rabbitmq(os.environ.get("ETAPA_AMQP_URL", DEFAULT_AMQP_URL)),
    }
    failures: dict[str, str] = {}
    for name, check in checks.items():
        try:
            await check
        except Exception as exc:
            failures[name] = f"{type(exc).__name__}: {exc}"
    return failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wait", type=float, default=0, help="keep trying for this many seconds")
    args = parser.parse_args()
    deadline = time.monotonic() + args.wait
    while True:
        failures = asyncio.run(_check_once())
        if not failures or time.monotonic() >= deadline:
            break
        time.sleep(1)
    for name, error in failures.items():
        print(
            f"✗ {name} does not answer ({error}).\n  Start it with: {HOW_TO_START[name]}",
            file=sys.stderr,
        )
    if not failures:
        print("✓ PostgreSQL and RabbitMQ answer")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
