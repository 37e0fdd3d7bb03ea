"""The faults, one per scenario, each injected once in the middle of a steady load.

``inject`` runs at the fault's start and returns when the fault is over (the service, broker or
database is back, or the injection window closed), with a word on what it injected.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from tests.chaos.stack import Services
from tests.chaos.tap import Tap
from tests.chaos.workload import Mix, Workload
from tests.fakes.sms_provider import FakeSmsProvider
from tests.own_broker import OwnRabbitMQ
from tests.own_postgres import OwnPostgres


@dataclass(frozen=True)
class Settings:
    """``CHAOS_*`` from the environment; ``CHAOS_QUICK=1`` shortens everything."""

    runs: int
    outage: float
    window: float
    before: float
    after: float
    rate: float
    drain: float
    only: tuple[str, ...]

    @classmethod
    def from_env(cls) -> Settings:
        quick = os.environ.get("CHAOS_QUICK") == "1"
        env = os.environ.get
        return cls(
            runs=int(env("CHAOS_RUNS", "1" if quick else "3")),
            outage=float(env("CHAOS_OUTAGE", "20" if quick else "150")),
            window=float(env("CHAOS_WINDOW", "10" if quick else "20")),
            before=float(env("CHAOS_BEFORE", "8" if quick else "12")),
            after=float(env("CHAOS_AFTER", "10" if quick else "15")),
            rate=float(env("CHAOS_RATE", "2")),
            drain=float(env("CHAOS_DRAIN", "180")),
            only=tuple(s for s in env("CHAOS_SCENARIOS", "").split(",") if s),
        )


@dataclass
class Chaos:
    """What a fault may act on during one run."""

    settings: Settings
    node: OwnRabbitMQ
    postgres: OwnPostgres
    services: Services
    provider: FakeSmsProvider
    workload: Workload
    tap: Tap | None = None
    notes: list[str] = field(default_factory=list)


Inject = Callable[[Chaos], Awaitable[str]]


async def nothing(chaos: Chaos) -> str:
    await asyncio.sleep(chaos.settings.window)
    return ""


async def broker_stop(chaos: Chaos) -> str:
    await chaos.node.stop_app()
    await asyncio.sleep(10)
    await chaos.node.start_app()
    return "stop_app 10 s"


async def broker_kill(chaos: Chaos) -> str:
    chaos.node.kill()
    await asyncio.sleep(5)
    await chaos.node.boot_again()
    return "SIGKILL, 5 s down"


def kill_service(service: str) -> Inject:
    async def inject(chaos: Chaos) -> str:
        chaos.services.kill(service)
        await asyncio.sleep(1)
        chaos.services.start(service)
        await chaos.services.wait_ready((service,))
        return f"SIGKILL {service}"

    return inject


async def postgres_restart(chaos: Chaos) -> str:
    await chaos.postgres.stop()
    await chaos.postgres.start()
    return "pg_ctl stop -m fast; start"


async def postgres_outage(chaos: Chaos) -> str:
    await chaos.postgres.stop()
    await asyncio.sleep(chaos.settings.outage)
    await chaos.postgres.start()
    return f"down {chaos.settings.outage:.0f} s"


async def duplicates(chaos: Chaos) -> str:
    assert chaos.tap is not None
    seen = chaos.tap.seen
    chaos.tap.duplicate_share = 0.10
    await asyncio.sleep(chaos.settings.window)
    chaos.tap.duplicate_share = 0.0
    return f"{chaos.tap.duplicated} copies of {chaos.tap.seen - seen} events"


async def poison(chaos: Chaos) -> str:
    assert chaos.tap is not None
    seen = chaos.tap.seen
    chaos.tap.poison_share = 0.01
    await asyncio.sleep(chaos.settings.window)
    chaos.tap.poison_share = 0.0
    return f"{chaos.tap.poisoned} poison among {chaos.tap.seen - seen} events"


async def provider_faults(chaos: Chaos) -> str:
    provider = chaos.provider
    before = len(provider.requests)
    provider.fail_every(7, 500)
    provider.lose_every(5, 5.0)  # beyond NOTIFIER_SEND_TIMEOUT: the answer never comes in time
    provider.latency = 0.5
    await asyncio.sleep(chaos.settings.window)
    provider.fail_every(0)
    provider.lose_every(0, 0.0)
    provider.latency = 0.0
    return f"{len(provider.requests) - before} req: 1/7 500, 1/5 lost, +0.5 s"


async def concurrent_actions(chaos: Chaos) -> str:
    mix = chaos.workload.mix
    chaos.workload.mix = Mix(paused=0.1, lab=0.1, double_click=0.6, lab_skews=mix.lab_skews)
    opened = len(chaos.workload.orders)
    await asyncio.sleep(chaos.settings.window)
    chaos.workload.mix = mix
    clicked = sum(o.kind == "double_click" for o in chaos.workload.orders[opened:])
    return f"{clicked} orders × 8 parallel advances"


async def lab_clock_skew(chaos: Chaos) -> str:
    mix = chaos.workload.mix
    skews = (timedelta(minutes=9), timedelta(days=-3), timedelta(hours=2))
    chaos.workload.mix = Mix(paused=0.1, lab=0.6, double_click=0.05, lab_skews=skews)
    await asyncio.sleep(chaos.settings.window)
    chaos.workload.mix = mix
    return f"lab at +9 min, -3 d, +2 h; {chaos.workload.lab_rejected} refused"


SCENARIOS: dict[str, Inject] = {
    "none": nothing,
    "broker-stop": broker_stop,
    "broker-kill": broker_kill,
    "kill-intake": kill_service("intake"),
    "kill-workflow": kill_service("workflow"),
    "kill-notifier": kill_service("notifier"),
    "pg-restart": postgres_restart,
    "pg-outage": postgres_outage,
    "duplicates": duplicates,
    "poison": poison,
    "provider": provider_faults,
    "concurrent": concurrent_actions,
    "lab-skew": lab_clock_skew,
}
TAPPED = {"duplicates", "poison"}
