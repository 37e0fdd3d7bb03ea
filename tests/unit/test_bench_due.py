"""The bench's count of SMS due leaves out the orders whose advance was refused or unanswered
(``tests.bench.bench_e2e.sure_only``): the driver no longer knows their stage."""

from __future__ import annotations

from tests.bench.bench_e2e import sure_only


def test_the_sms_of_unsure_orders_are_left_out_and_counted() -> None:
    sent = {("SP01-000001", 4): 1.0, ("SP01-000001", 8): 2.0, ("SP01-000002", 4): 3.0}
    sure, left_out = sure_only(sent, {"SP01-000001"})
    assert sure == {("SP01-000002", 4): 3.0}
    assert left_out == 2
    assert sure_only(sent, set()) == (sent, 0)
