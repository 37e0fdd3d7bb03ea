"""The end-to-end bench's CPU comparison at a common rate, and each raw pipeline's SMS told
apart at the fake provider they share (``tests.bench``; nothing is started here)."""

from __future__ import annotations

import os

import pytest

from tests.bench.bench_e2e import cpu_ratio_lines, machine_ms, raw_key, raw_text
from tests.bench.e2e_measure import Receipts, Step, host_stolen_seconds, stolen_share


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


def test_each_raw_pipeline_counts_its_own_sms_at_the_shared_fake_provider() -> None:
    receipts = Receipts(
        "http://fake",
        rows=[
            [1.0, "k1", "raw 1.0 o1 4", 200],
            [1.1, "k1", "raw 1.0 o1 4", 200],
            [1.2, "k2", "rawh 1.1 o2 4", 200],
        ],
    )
    assert [key for _, _, key in receipts.accepted(raw_text("raw"))] == ["k1"]
    assert [key for _, _, key in receipts.accepted(raw_text("rawh"))] == ["k2"]
    assert receipts.repeated(raw_text("raw")) == 1
    assert receipts.repeated(raw_text("rawh")) == 0
    match = raw_text("raw").match("raw 1.0 o1 4")
    assert match is not None
    assert raw_key(match) == ("o1", 4)


def test_the_hosts_steal_reads_as_a_share_of_the_machines_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert stolen_share(6.0, 10.0) == "30%"  # 6 s of 20 core-seconds
    assert stolen_share(0.0, 10.0) == "0%"
    assert host_stolen_seconds() >= 0.0  # this machine's /proc/stat
