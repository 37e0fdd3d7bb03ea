"""``bench_e2e`` with the pipelines' steps taken in turn: Etapa, raw (and raw over HTTP) at each
rate before the next rate.

Run: ``make bench-interleaved``, or ``uv run python -m tests.bench.bench_interleaved`` with
``--rates 160,200,240,280,320,360 --step 20 --raw-prefetch 20 [--raw-http]``. Needs the
PostgreSQL and RabbitMQ of ``ETAPA_TEST_POSTGRES_URL`` and ``ETAPA_TEST_AMQP_URL``.

Why: on this shared host the speed moves by a third within minutes (``bench_e2e`` has seen
Etapa's services take 7.0 ms per transition at 200/s and, minutes later in the same run, the
raw pipeline 3.2 ms where it had taken 4.2). ``bench_e2e`` measures every step of Etapa, then
every step of the raw pipeline, so a drift between them lands on the ratio. Here the three
pipelines run side by side, each idle while another's step runs, and each rate's steps follow
one another within a minute; a pipeline leaves the turn at its first step that does not keep up.

Each step is measured as in ``bench_e2e`` (the same driver, sampler, and tests of "sustained");
before its step, a pipeline waits until its queues are empty. The other pipelines' idle
processes (their pollers) run meanwhile; their CPU is not counted in the step's processes, but
RabbitMQ's and PostgreSQL's figures include whatever their idle work costs. After the steps:
nothing lost, nothing duplicated, for each pipeline. Nothing fails on a slow figure.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

import httpx
import uvloop

from tests.bench.bench_e2e import (
    AMQP,
    POSTGRES,
    RAW_ROLES,
    SMS_TEXT,
    Etapa,
    RawPipeline,
    cpu_ratio_lines,
    describe,
    drain_and_check,
    drive,
    etapa_key,
    etapa_services,
    fake_provider,
    interpreter,
    max_sustained,
    orders_for,
    pipeline_arguments,
    ratio,
    raw_pipeline,
    report,
)
from tests.bench.e2e_hops import add_hop_lines
from tests.bench.e2e_measure import Receipts, Step, reference_loop_seconds
from tests.conftest import _cleanup
from tests.infra import Infra

ETAPA, RAW, RAW_HTTP = "Etapa", "raw", "raw over HTTP"


async def take_turns(
    rates: list[float],
    seconds: float,
    etapa: Etapa,
    raws: dict[str, RawPipeline],
    receipts: Receipts,
    sent: dict[Any, float],
) -> dict[str, list[Step]]:
    """Each rate's step for every pipeline still keeping up, in turn."""
    done: dict[str, list[Step]] = {ETAPA: [], **{name: [] for name in raws}}
    going = set(done)
    for rate in rates:
        for name in done:
            if name not in going:
                continue
            step = Step(rate, seconds)
            if name == ETAPA:
                await etapa.wait_quiet()
                async with httpx.AsyncClient(timeout=30) as client:
                    await receipts.fetch(client)
                print(f"  {name}:", flush=True)
                sampler = etapa.sampler()
                await drive(
                    etapa.intake, etapa.token, etapa.cursor, [step], sampler, sent, receipts
                )
            else:
                await raws[name].wait_quiet()
                print(f"  {name}:", flush=True)
                await raws[name].run([step], receipts)
            done[name].append(step)
            if not step.sustained:
                going.discard(name)
        if not going:
            break
    return done


async def main(
    rates: list[float], seconds: float, latency: float, prefetch: int, with_http: bool
) -> None:
    infra = Infra(POSTGRES, AMQP)
    orders = orders_for(sum(rate * seconds for rate in rates))
    summaries: dict[str, dict[str, Any]] = {}
    try:
        async with contextlib.AsyncExitStack() as stack:
            fake_url = await stack.enter_async_context(fake_provider(infra, latency))
            print(interpreter())
            print(f"in turn at each rate: Etapa, raw{', raw over HTTP' if with_http else ''}")
            etapa = await stack.enter_async_context(etapa_services(infra, fake_url, orders))
            raws = {
                RAW: await stack.enter_async_context(
                    raw_pipeline(infra, fake_url, prefetch, orders)
                )
            }
            if with_http:
                raws[RAW_HTTP] = await stack.enter_async_context(
                    raw_pipeline(infra, fake_url, prefetch, orders, over_http=True)
                )
            receipts = Receipts(fake_url)
            sent: dict[Any, float] = {}
            steps = await take_turns(rates, seconds, etapa, raws, receipts, sent)
            summaries[ETAPA] = await drain_and_check(
                receipts, sent, steps[ETAPA], SMS_TEXT, etapa_key, unsure=etapa.cursor.unsure
            )
            await add_hop_lines(etapa.env, steps[ETAPA])
            for name, raw in raws.items():
                summaries[name] = await raw.check(receipts, steps[name])
    finally:
        await _cleanup(infra)
    report("Etapa", steps[ETAPA], summaries[ETAPA], ("intake", "workflow", "notifier"))
    for name in raws:
        report(
            f"raw pipeline{', accept over HTTP' if name == RAW_HTTP else ''}",
            steps[name],
            summaries[name],
            RAW_ROLES,
        )
    best = {name: max_sustained(taken) for name, taken in steps.items()}
    print(
        f"\nmax sustained, in turn: Etapa {best[ETAPA]:.0f}/s, raw {best[RAW]:.0f}/s"
        f" → {ratio(best[ETAPA], best[RAW])} x raw"
        + (
            f"; raw over HTTP {best[RAW_HTTP]:.0f}/s → Etapa {ratio(best[ETAPA], best[RAW_HTTP])} x"
            if RAW_HTTP in best
            else ""
        )
        + f"  (steps of {seconds:.0f} s; load average {os.getloadavg()[0]:.1f};"
        f" reference loop {reference_loop_seconds():.2f} s)"
    )
    for line in cpu_ratio_lines(steps[ETAPA], steps[RAW], steps.get(RAW_HTTP, [])):
        print(line)
    for name, taken in steps.items():
        over = next((s for s in taken if not s.sustained), None)
        if over is not None:
            print(f"{name} did not keep up: {describe(over)}")


if __name__ == "__main__":
    args = pipeline_arguments(
        __doc__.splitlines()[0], "160,200,240,280,320,360,400", 20
    ).parse_args()
    uvloop.run(  # the load driver's loop, as the services'
        main(
            [float(r) for r in args.rates.split(",")],
            args.step,
            args.latency,
            args.raw_prefetch,
            args.raw_http,
        )
    )
