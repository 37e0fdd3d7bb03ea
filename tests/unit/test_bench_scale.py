"""The scale benchmark's bookkeeping: configurations, process names, and the orders' positions
shared by the open-loop steps and the drains (``tests.bench``; nothing is started here)."""

from __future__ import annotations

import pytest

from tests.bench.bench_e2e import STAGES, Processes, orders_for, process_names
from tests.bench.bench_scale import (
    AtRate,
    Mean,
    Measured,
    committed_at_each_rate,
    common_rate,
    machine_cpu_at,
    means_by_configuration,
)
from tests.bench.e2e_drain import Drain
from tests.bench.e2e_measure import SMS_EVERY, Cursor, Step, host_cpu


def test_a_configuration_names_workflow_then_notifier_processes() -> None:
    assert Processes.parse("2+1") == Processes(workflows=2, notifiers=1)
    assert Processes.parse("3") == Processes(workflows=3, notifiers=3)
    assert str(Processes.parse("2+1")) == "2+1"


@pytest.mark.parametrize(
    ("text", "why"), [("0+1", "at least one"), ("1+0", "at least one"), ("two+one", "int")]
)
def test_a_configuration_without_one_process_of_each_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Processes.parse(text)


def test_every_process_has_a_cpu_column_the_first_under_its_service_name() -> None:
    assert process_names(Processes(2, 1)) == ("intake", "workflow", "workflow-2", "notifier")


def test_the_cursor_goes_round_the_orders_from_where_the_last_measure_stopped() -> None:
    orders = [{"order_id": f"o{n}", "number": f"N{n}"} for n in range(3)]
    cursor = Cursor.staggered(orders)
    assert cursor.positions == {"o0": 0, "o1": 1, "o2": 2}  # n % SMS_EVERY stages on
    first = [cursor.next() for _ in range(4)]
    assert [(o["order_id"], p) for o, p in first] == [("o0", 1), ("o1", 2), ("o2", 3), ("o0", 2)]
    assert cursor.next() == (orders[1], 3)  # a second measure goes on with o1, not o0


def test_there_are_orders_enough_for_every_advance_without_passing_the_last_stage() -> None:
    advances = 10_000
    orders = orders_for(advances)
    assert orders * (STAGES - 1) >= advances + sum(n % SMS_EVERY for n in range(orders))


def test_a_configuration_run_several_times_is_averaged_over_its_runs() -> None:
    one, two = Processes(1, 1), Processes(2, 2)

    def run(processes: Processes, sustained: float, drained: float) -> Measured:
        step = Step(sustained, 10.0, offered=int(sustained * 10), accepted=int(sustained * 10))
        step.committed = int(sustained * 10)  # kept up: nothing left behind
        return Measured(processes, [step], Drain(backlog=100, seconds=1.0, committed=int(drained)))

    measured = [run(one, 200, 300), run(two, 240, 330), run(two, 200, 310), run(one, 160, 260)]
    assert means_by_configuration(measured) == [
        Mean(one, 2, 180.0, 280.0),
        Mean(two, 2, 220.0, 320.0),
    ]


def test_a_run_that_missed_the_first_rate_is_left_out_of_its_configuration_s_mean() -> None:
    one = Processes(1, 1)
    missed = Measured(one, [_step(200, 150, kept_up=False)], None)
    kept = Measured(one, [_step(200, 200), _step(240, 240)], None)
    assert means_by_configuration([missed, kept, kept]) == [Mean(one, 3, 240.0, 0.0, 1)]


def test_the_machine_s_cpu_is_compared_at_the_highest_rate_every_run_kept_up_with() -> None:
    one, two = Processes(1, 1), Processes(2, 2)

    def step(rate: float, cpu_seconds: float, *, kept_up: bool = True) -> Step:
        done = int(rate * 10)
        kept = done if kept_up else done // 2
        measured = Step(rate, 10.0, offered=done, accepted=kept, committed=done)
        measured.cpu = {"intake": cpu_seconds / 2, "postgres": cpu_seconds / 2}
        return measured

    measured = [
        Measured(one, [step(160, 16.0), step(200, 18.0), step(240, 0.0, kept_up=False)], None),
        Measured(two, [step(160, 16.0), step(200, 20.0), step(240, 24.0)], None),
        Measured(two, [step(160, 16.0), step(200, 16.0), step(240, 0.0, kept_up=False)], None),
    ]
    assert common_rate(measured) == 200  # 240/s: only one run kept up
    assert machine_cpu_at(measured, 200) == {one: 9.0, two: 9.0}  # 18 s over 2,000, each
    assert common_rate([Measured(one, [step(160, 1.0, kept_up=False)], None)]) is None


def test_the_host_s_processor_is_named_from_cpuinfo() -> None:
    cpuinfo = (
        "processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2596.086\ncache size\t: 1024 KB\n"
    )
    assert host_cpu(cpuinfo).startswith("AMD EPYC, ")
    assert host_cpu(cpuinfo).endswith(" cores at 2596 MHz, cache 1024 KB")
    assert host_cpu("processor\t: 0\n") == "processor unknown"


def _step(
    rate: float, committed_per_second: float, *, kept_up: bool = True, cpu: float = 0.0
) -> Step:
    offered = int(rate * 10)
    step = Step(rate, 10.0, offered=offered, accepted=offered if kept_up else offered // 2)
    step.committed = int(committed_per_second * 10)
    step.cpu = {"intake": cpu / 2, "postgresql": cpu / 2}
    return step


def test_a_run_s_max_sustained_rate_is_the_last_before_its_first_miss() -> None:
    missed_then_kept = [_step(200, 200), _step(240, 200, kept_up=False), _step(280, 280)]
    assert Measured(Processes(1, 1), missed_then_kept, None).best == 200


def test_runs_in_turn_are_compared_by_what_they_commit_at_each_rate() -> None:
    one, two = Processes(1, 1), Processes(2, 2)
    measured = [
        Measured(one, [_step(200, 200), _step(240, 210, kept_up=False, cpu=14.7)], None),
        Measured(two, [_step(200, 200), _step(240, 240, cpu=19.2)], None),
        Measured(two, [_step(200, 200), _step(240, 220, kept_up=False, cpu=17.6)], None),
        Measured(
            one, [_step(200, 200), _step(240, 230, kept_up=False, cpu=18.4), _step(280, 1)], None
        ),
    ]
    at = committed_at_each_rate(measured)
    assert set(at) == {200, 240}  # 280/s: one run only took it
    assert at[200] == {one: AtRate(200.0, 2, 2, 200.0, 0.0), two: AtRate(200.0, 2, 2, 200.0, 0.0)}
    assert at[240][two] == AtRate(230.0, 1, 2, 180.0, pytest.approx(8.0))  # type: ignore[arg-type]
    # 7 and 8 ms a transition: the machine's CPU over both runs' transitions, not the mean of the
    # two runs' figures (7.5 ms), so a run that committed more weighs more
    assert at[240][one].committed == 220.0
    assert at[240][one].machine_cpu_ms == pytest.approx(1000 * 33.1 / 4400)
