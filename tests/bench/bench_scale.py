"""Adding processes (issue 16): Etapa with 1 + 1, then 2 + 2… workflow + notifier processes, in
one run, each figure beside the first configuration's.

Run: ``make bench-scale``, or ``uv run python -m tests.bench.bench_scale`` with
``--configs 1+1,2+2,2+1 --rates 30,40,50,60,80,100,120 --step 10 --drain 2000``.

One set of services, set up as ``bench_e2e`` sets them up (fresh databases, the 50-stage flow,
the orders opened and staggered, one intake). For each configuration in turn (``W+N``: W
workflow and N notifier processes; the first of each stays, the others are started or stopped,
each with its own HTTP port), once nothing is queued:

1. ``bench_e2e``'s open-loop steps at the rising ``--rates``, up to the first that does not
   keep up → the max sustained rate (transitions committed/s), CPU per transition per process;
2. a drain (``tests.bench.e2e_drain``): ``--drain`` advances queued while every workflow process
   is paused, then the time the workflow processes take to commit them → transitions/s, CPU
   per transition per process, and what workflow's database backends waited on.

Then every SMS due is checked at the fake provider (none missing, none twice). The ratio of
each configuration to the first is the figure to read; on two cores it says whether adding a
process lowers throughput, not how a bigger machine would scale. Nothing fails on a slow figure.

A configuration may come more than once: ``--configs 1+1,2+2,2+2,1+1`` (A B B A) puts each
configuration's runs around the same middle, so a host that slows or speeds up steadily over
the run (seen here: 2 × within an hour) weighs on both alike. The report then gives each
configuration's mean over its runs, and its ratio to the first configuration's mean.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from typing import Any

from tests.bench.bench_e2e import (
    AMQP,
    POSTGRES,
    SMS_TEXT,
    Processes,
    describe_sms,
    drain_and_check,
    drain_env,
    etapa_key,
    etapa_services,
    fake_provider,
    interpreter,
    max_sustained,
    measure,
    orders_for,
    process_names,
    ratio,
    report,
)
from tests.bench.e2e_drain import Drain, describe_drain
from tests.bench.e2e_hops import add_hop_lines
from tests.bench.e2e_measure import Receipts, Step, reference_loop_seconds
from tests.conftest import _cleanup
from tests.infra import Infra


@dataclass
class Measured:
    processes: Processes
    steps: list[Step]
    drain: Drain | None

    @property
    def best(self) -> float:
        return max_sustained(self.steps)

    @property
    def drained(self) -> float:
        return self.drain.rate if self.drain else 0.0


@dataclass(frozen=True)
class Mean:
    """One configuration's runs, averaged."""

    processes: Processes
    runs: int
    sustained: float
    drained: float


def means_by_configuration(measured: list[Measured]) -> list[Mean]:
    """Each configuration's mean sustained and drained rates over its runs, in the order the
    configurations first ran."""
    runs: dict[Processes, list[Measured]] = {}
    for m in measured:
        runs.setdefault(m.processes, []).append(m)
    return [
        Mean(
            processes,
            len(ms),
            sum(m.best for m in ms) / len(ms),
            sum(m.drained for m in ms) / len(ms),
        )
        for processes, ms in runs.items()
    ]


def common_rate(measured: list[Measured]) -> float | None:
    """The highest rate that every run of every configuration sustained, if any."""
    kept = [{step.rate for step in m.steps if step.sustained} for m in measured]
    common = set.intersection(*kept) if kept else set()
    return max(common) if common else None


def machine_cpu_at(measured: list[Measured], rate: float) -> dict[Processes, float]:
    """Each configuration's mean CPU per transition at ``rate``, over every process measured
    (the services, RabbitMQ and all of PostgreSQL): on a machine whose cores are the limit, the
    rate it can sustain goes as the inverse of this."""
    runs: dict[Processes, list[float]] = {}
    for m in measured:
        for step in m.steps:
            if step.rate == rate:
                runs.setdefault(m.processes, []).append(step.cpu_ms_per_transition(tuple(step.cpu)))
    return {processes: sum(cpu) / len(cpu) for processes, cpu in runs.items()}


async def run(
    configs: list[Processes], rates: list[float], seconds: float, latency: float, drain: int
) -> tuple[list[Measured], dict[str, Any]]:
    infra = Infra(POSTGRES, AMQP)
    measured = []
    advances = len(configs) * (sum(rate * seconds for rate in rates) + drain)
    try:
        async with (
            fake_provider(infra, latency) as fake_url,
            etapa_services(
                infra, fake_url, orders_for(advances), **drain_env(infra.amqp_url, drain)
            ) as etapa,
        ):
            receipts = Receipts(fake_url)
            sent: dict[Any, float] = {}
            print(interpreter(), flush=True)
            for processes in configs:
                etapa.scale(processes.workflows, processes.notifiers)
                print(
                    f"{processes}: workflow + notifier processes, from"
                    f" {time.strftime('%H:%M:%S', time.gmtime())} UTC,"
                    f" load average {os.getloadavg()[0]:.2f}, reference loop"
                    f" {reference_loop_seconds():.2f} s",
                    flush=True,
                )
                steps, drained = await measure(etapa, rates, seconds, drain, receipts, sent)
                measured.append(Measured(processes, steps, drained))
            every_step = [step for m in measured for step in m.steps]
            summary = await drain_and_check(receipts, sent, every_step, SMS_TEXT, etapa_key)
            await add_hop_lines(etapa.env, every_step)
    finally:
        await _cleanup(infra)
    return measured, summary


def print_report(measured: list[Measured], summary: dict[str, Any], seconds: float) -> None:
    for m in measured:
        names = process_names(m.processes)
        report(f"{m.processes} (workflow + notifier processes)", m.steps, None, names)
        if m.drain is not None:
            print(f"  {describe_drain(m.drain, names)}")
    print(describe_sms(summary))
    first = measured[0]
    print(f"\nper configuration (steps of {seconds:.0f} s; ratio to {first.processes}):")
    print("  W+N   max sustained/s  ratio   drained/s  ratio")
    for m in measured:
        print(_row(f"{m.processes!s:4}  ", m.best, m.drained, first.best, first.drained))
    means = means_by_configuration(measured)
    if len(means) < len(measured):
        base = means[0]
        print(f"\nmean per configuration over its runs (ratio to {base.processes}'s mean):")
        print("  W+N   runs  max sustained/s  ratio   drained/s  ratio")
        for mean in means:
            head = f"{mean.processes!s:4}  {mean.runs:4}  "
            print(_row(head, mean.sustained, mean.drained, base.sustained, base.drained))
        rate = common_rate(measured)
        if rate is not None:
            cpu = machine_cpu_at(measured, rate)
            first_cpu = cpu[base.processes]
            print(
                f"machine CPU per transition at {rate:.0f}/s, which every run kept up with"
                " (services, RabbitMQ and PostgreSQL; mean over the runs, ratio to"
                f" {base.processes}'s): "
                + ", ".join(f"{p} {ms:.1f} ms ({ratio(ms, first_cpu)})" for p, ms in cpu.items())
            )
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"reference loop at the end: {reference_loop_seconds():.2f} s (one core, 10 M additions)")


def _row(head: str, sustained: float, drained: float, *base: float) -> str:
    """One line of a report's table: rates and their ratios to ``base`` (sustained, drained)."""
    return (
        f"  {head}{sustained:15.0f}  {ratio(sustained, base[0]):>5}"
        f"   {drained:9.1f}  {ratio(drained, base[1]):>5}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default="1+1,2+2,2+1")
    parser.add_argument("--rates", default="30,40,50,60,80,100,120")
    parser.add_argument("--step", type=float, default=10, help="seconds per rate")
    parser.add_argument("--latency", type=float, default=0.02, help="fake provider's seconds")
    parser.add_argument("--drain", type=int, default=2000, help="advances in each drain (0: none)")
    args = parser.parse_args()
    configs = [Processes.parse(c) for c in args.configs.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    measured, summary = asyncio.run(run(configs, rates, args.step, args.latency, args.drain))
    print_report(measured, summary, args.step)
