"""Adding processes (issue 16): Etapa with 1 + 1, then 2 + 2… workflow + notifier processes, in
one run, each figure beside the first configuration's.

Run: ``make bench-scale`` (in turn, A B B A A B B A), or ``uv run python -m
tests.bench.bench_scale`` with ``--configs 1+1,2+2,2+2,1+1 --rates 100,120,…,320 --step 15
--drain 2000`` (the defaults) and ``--in-turn``.

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

``--in-turn`` takes the runs' steps in turn at each rate instead (as ``bench_interleaved``
does with pipelines): at each rate, each run of ``--configs`` in its order scales the processes
to its configuration, waits until nothing is queued and takes its one step, so the runs of both
configurations at one rate fall within the same few minutes (three here, with eight runs).
The rates rise until one at which no run kept up; every run takes every rate until then (its
max sustained rate is the last before its first miss), so the rates that overload them all
compare what each configuration commits a second when its cores are full: the report's
"committed a second at each rate", with what intake accepted a second beside it (intake is one
process in every configuration: when it accepts less than the rate, the configuration stopped
there, not in its consumers). The drains follow, in turn too.

``--cpu-limit workflow=150,notifier=150`` (``make bench-scale-limited``) holds each process of
those services to that many millicores, as a pod's CPU limit does (``tests.bench.e2e_cpu_limits``:
a cgroup per process with its CFS quota; root). With limits low enough that every
configuration fits in the two cores, the machine has the cores for a second pair, and the ratio
answers the issue's "≥ 1.6 × on a machine with the cores for it".
"""

from __future__ import annotations

import argparse
import itertools
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx
import uvloop

from tests.bench.bench_e2e import (
    AMQP,
    POSTGRES,
    SMS_TEXT,
    Etapa,
    Processes,
    describe_sms,
    drain_and_check,
    drain_env,
    drain_now,
    drive,
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
from tests.bench.e2e_cpu_limits import CpuLimits, cpu_limits, parse_limits
from tests.bench.e2e_drain import Drain, describe_drain
from tests.bench.e2e_hops import add_hop_lines
from tests.bench.e2e_measure import Receipts, Step, reference_loop_seconds
from tests.conftest import _cleanup
from tests.infra import Infra
from tests.processes import BACKENDS


@dataclass
class Measured:
    processes: Processes
    steps: list[Step]
    drain: Drain | None

    @property
    def best(self) -> float:
        """The max sustained rate: of the steps up to the first that did not keep up."""
        kept = itertools.takewhile(lambda step: step.sustained, self.steps)
        return max_sustained(list(kept))

    @property
    def drained(self) -> float:
        return self.drain.rate if self.drain else 0.0


@dataclass(frozen=True)
class Mean:
    """One configuration's runs, averaged."""

    processes: Processes
    runs: int
    sustained: float
    """The mean max sustained rate of the runs that kept up with at least the first rate."""
    drained: float
    missed_first: int = 0
    """Runs that did not keep up with the first rate: below the grid, left out of
    ``sustained`` rather than counted as 0."""


def means_by_configuration(measured: list[Measured]) -> list[Mean]:
    """Each configuration's mean sustained and drained rates over its runs, in the order the
    configurations first ran."""
    runs: dict[Processes, list[Measured]] = {}
    for m in measured:
        runs.setdefault(m.processes, []).append(m)
    means = []
    for processes, ms in runs.items():
        kept = [m.best for m in ms if m.best > 0]
        sustained = sum(kept) / len(kept) if kept else 0.0
        drained = sum(m.drained for m in ms) / len(ms)
        means.append(Mean(processes, len(ms), sustained, drained, len(ms) - len(kept)))
    return means


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


@dataclass(frozen=True)
class AtRate:
    """One configuration's runs at one rate (``--in-turn``)."""

    committed: float
    """Transitions committed a second, the mean over the runs."""
    kept_up: int
    runs: int
    accepted: float
    """Actions intake accepted a second, the mean over the runs: below the rate, intake is
    where the configuration stopped (one process in every configuration, sharing the cores)."""
    machine_cpu_ms: float
    """CPU per committed transition over the runs (the services, RabbitMQ and PostgreSQL): at
    a rate that fills the cores, more here is a configuration doing more work per transition,
    as much here is the same work shared differently between the stages."""


def committed_at_each_rate(measured: list[Measured]) -> dict[float, dict[Processes, AtRate]]:
    """Each configuration at each rate that every run took, kept up with or not: on a rate
    that overloads them, what it commits a second when its cores are full."""
    rates = set.intersection(*({step.rate for step in m.steps} for m in measured))
    steps: dict[float, dict[Processes, list[Step]]] = {rate: {} for rate in sorted(rates)}
    for m in measured:
        for step in m.steps:
            if step.rate in steps:
                steps[step.rate].setdefault(m.processes, []).append(step)
    return {
        rate: {
            processes: AtRate(
                sum(s.committed / s.seconds for s in taken) / len(taken),
                sum(s.sustained for s in taken),
                len(taken),
                sum(s.accepted / s.seconds for s in taken) / len(taken),
                1000
                * sum(sum(s.cpu.values()) for s in taken)
                / max(1, sum(s.committed for s in taken)),
            )
            for processes, taken in by.items()
        }
        for rate, by in steps.items()
    }


def scale(etapa: Etapa, processes: Processes, limits: CpuLimits | None) -> None:
    """``processes`` running, each of a limited service held to its limit."""
    etapa.scale(processes.workflows, processes.notifiers)
    if limits is not None:
        limits.apply(etapa.replicas.pids())


async def take_turns(
    etapa: Etapa,
    limits: CpuLimits | None,
    configs: list[Processes],
    rates: list[float],
    seconds: float,
    receipts: Receipts,
    sent: dict[Any, float],
) -> list[list[Step]]:
    """At each rate, each run's step in turn, until a rate at which no run kept up."""
    runs: list[list[Step]] = [[] for _ in configs]
    for rate in rates:
        print(f"{rate:.0f}/s, from {time.strftime('%H:%M:%S', time.gmtime())} UTC:", flush=True)
        for processes, steps in zip(configs, runs, strict=True):
            # Quiet first: a process stopped by the scale-down has nothing left to take with it.
            await etapa.wait_quiet()
            scale(etapa, processes, limits)
            async with httpx.AsyncClient(timeout=30) as client:
                await receipts.fetch(client)
            print(f"  {processes}:", flush=True)
            step = Step(rate, seconds)
            await drive(
                etapa.intake, etapa.token, etapa.cursor, [step], etapa.sampler(), sent, receipts
            )
            steps.append(step)
        if not any(steps[-1].sustained for steps in runs):
            break
    return runs


async def run(
    configs: list[Processes],
    rates: list[float],
    seconds: float,
    latency: float,
    drain: int,
    *,
    in_turn: bool = False,
    limit: dict[str, int] | None = None,
) -> tuple[list[Measured], dict[str, Any]]:
    infra = Infra(POSTGRES, AMQP)
    advances = len(configs) * (sum(rate * seconds for rate in rates) + drain)
    try:
        with cpu_limits(limit or {}, infra.run_id) as limits:
            async with (
                fake_provider(infra, latency) as fake_url,
                etapa_services(
                    infra, fake_url, orders_for(advances), **drain_env(infra.amqp_url, drain)
                ) as etapa,
            ):
                receipts = Receipts(fake_url)
                sent: dict[Any, float] = {}
                print(interpreter(), flush=True)
                if limits is not None:
                    print(f"CPU limits, millicores a process: {dict(limits.millicores)}")
                measured = await measure_configs(
                    etapa, limits, configs, rates, seconds, drain, receipts, sent, in_turn
                )
                every_step = [step for m in measured for step in m.steps]
                summary = await drain_and_check(
                    receipts, sent, every_step, SMS_TEXT, etapa_key, unsure=etapa.cursor.unsure
                )
                await add_hop_lines(etapa.env, every_step)
                if limits is not None:
                    throttled = limits.throttled_seconds()
                    print(
                        "held back by their limits over the run: "
                        + ", ".join(f"{name} {s:.1f} s" for name, s in throttled.items())
                    )
    finally:
        await _cleanup(infra)
    return measured, summary


async def measure_configs(
    etapa: Etapa,
    limits: CpuLimits | None,
    configs: list[Processes],
    rates: list[float],
    seconds: float,
    drain: int,
    receipts: Receipts,
    sent: dict[Any, float],
    in_turn: bool,
) -> list[Measured]:
    """Every run of ``configs``: one after the other, or (``in_turn``) in turn at each rate."""
    measured = []
    if in_turn:
        print(f"in turn at each rate: {', '.join(map(str, configs))}", flush=True)
        runs = await take_turns(etapa, limits, configs, rates, seconds, receipts, sent)
        for processes, steps in zip(configs, runs, strict=True):
            scale(etapa, processes, limits)
            drained = await drain_now(etapa, drain, sent) if drain else None
            measured.append(Measured(processes, steps, drained))
        return measured
    for processes in configs:
        scale(etapa, processes, limits)
        print(
            f"{processes}: workflow + notifier processes, from"
            f" {time.strftime('%H:%M:%S', time.gmtime())} UTC,"
            f" load average {os.getloadavg()[0]:.2f}, reference loop"
            f" {reference_loop_seconds():.2f} s",
            flush=True,
        )
        steps, drained = await measure(etapa, rates, seconds, drain, receipts, sent)
        measured.append(Measured(processes, steps, drained))
    return measured


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
            row = _row(head, mean.sustained, mean.drained, base.sustained, base.drained)
            if mean.missed_first:
                row += f"  ({mean.missed_first} missed the first rate: left out of the mean)"
            print(row)
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
    if all(len(m.steps) == len(first.steps) for m in measured) and len(means) > 1:
        print(
            "\ncommitted a second at each rate, the mean over each configuration's runs"
            f" (ratio to {first.processes}'s; how many of its runs kept up):"
        )
        for rate, by in committed_at_each_rate(measured).items():
            at_first = by[first.processes].committed
            print(
                f"  {rate:4.0f}/s  "
                + ", ".join(
                    f"{p} {at.committed:.0f}/s ({ratio(at.committed, at_first)};"
                    f" {at.kept_up} of {at.runs} kept up; intake accepted {at.accepted:.0f}/s;"
                    f" machine {at.machine_cpu_ms:.2f} ms a transition)"
                    for p, at in by.items()
                )
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
    parser.add_argument("--configs", default="1+1,2+2,2+2,1+1")
    parser.add_argument("--rates", default=",".join(str(rate) for rate in range(100, 321, 20)))
    parser.add_argument("--step", type=float, default=15, help="seconds per rate")
    parser.add_argument("--latency", type=float, default=0.02, help="fake provider's seconds")
    parser.add_argument("--drain", type=int, default=2000, help="advances in each drain (0: none)")
    parser.add_argument(
        "--in-turn", action="store_true", help="at each rate, every run's step in turn"
    )
    parser.add_argument(
        "--cpu-limit",
        default="",
        help="SERVICE=MILLICORES,…: each process of a service held to that share of a core, as"
        " a pod's CPU limit (root; tests.bench.e2e_cpu_limits)",
    )
    args = parser.parse_args()
    try:
        limit = parse_limits(args.cpu_limit, BACKENDS)
    except ValueError as error:
        parser.error(str(error))
    configs = [Processes.parse(c) for c in args.configs.split(",")]
    rates = [float(r) for r in args.rates.split(",")]
    measured, summary = uvloop.run(  # the load driver's loop, as the services'
        run(
            configs,
            rates,
            args.step,
            args.latency,
            args.drain,
            in_turn=args.in_turn,
            limit=limit,
        )
    )
    print_report(measured, summary, args.step)
