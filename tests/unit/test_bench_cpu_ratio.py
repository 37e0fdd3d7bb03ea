"""The end-to-end bench's CPU comparison at a common rate, and the receipts an earlier pipeline
of the run left at the fake provider (``tests.bench``; nothing is started here)."""

from __future__ import annotations

import re

from tests.bench.bench_e2e import cpu_ratio_lines, machine_ms
from tests.bench.e2e_measure import Receipts, Step


def step(rate: float, committed: int, cpu: dict[str, float], lag: int = 0) -> Step:
    return Step(
        rate,
        10,
        offered=int(rate * 10),
        accepted=int(rate * 10),
        committed=committed,
        cpu=cpu,
        lag=lag,
    )


def test_the_machine_cpu_counts_every_process_of_the_step_driver_included() -> None:
    taken = step(100, 1000, {"intake": 2.0, "rabbitmq": 1.0, "postgres": 1.5, "driver": 0.5})
    assert machine_ms(taken) == 5.0


def test_rates_both_kept_up_are_compared_and_the_others_left_out() -> None:
    etapa = [
        step(200, 2000, {"intake": 10.0, "postgres": 6.0}),  # 8 ms
        step(300, 2000, {"intake": 10.0}, lag=2000),  # did not keep up
    ]
    raw = [step(200, 2000, {"accept": 12.0}), step(300, 3000, {"accept": 15.0})]  # 6 ms
    over_http = [step(200, 2000, {"accept": 14.0})]  # 7 ms
    assert [s.sustained for s in etapa] == [True, False]
    lines = cpu_ratio_lines(etapa, raw, over_http)
    assert lines[1:] == [
        "  at 200/s, CPU per transition in all processes: Etapa 8.0 ms, raw 6.0 ms → 0.75 x;"
        " raw over HTTP 7.0 ms"
    ]
    assert cpu_ratio_lines(etapa[1:], raw, []) == []


def test_receipts_of_an_earlier_pipeline_are_not_counted_for_the_next() -> None:
    text = re.compile(r"raw (\S+)")
    receipts = Receipts("http://fake", rows=[[1.0, "k1", "raw a", 200], [1.1, "k1", "raw a", 200]])
    assert receipts.repeated(text) == 1
    receipts.skip = len(receipts.rows)
    receipts.rows.append([2.0, "k2", "raw b", 200])
    assert [key for _, _, key in receipts.accepted(text)] == ["k2"]
    assert receipts.repeated(text) == 0
