"""Which live updates reach which open board."""

from __future__ import annotations

from uuid import uuid4

from console.domain.live import LiveUpdate, may_receive, update_of

CHAIN, OTHER_CHAIN, SP, RJ = uuid4(), uuid4(), uuid4(), uuid4()


def update(chain: object = CHAIN, branch: object = SP) -> LiveUpdate:
    body = {
        "type": "order.stage_changed",
        "order_id": str(uuid4()),
        "chain_id": str(chain),
        "branch_id": str(branch) if branch else None,
    }
    result = update_of(body)
    assert result is not None
    return result


def test_a_person_of_another_chain_never_receives_an_update() -> None:
    assert not may_receive(OTHER_CHAIN, None, update())


def test_branch_staff_receive_only_their_branches_updates() -> None:
    assert may_receive(CHAIN, frozenset({SP}), update(branch=SP))
    assert not may_receive(CHAIN, frozenset({RJ}), update(branch=SP))


def test_people_who_see_the_whole_chain_receive_every_branchs_updates() -> None:
    assert may_receive(CHAIN, None, update(branch=RJ))


def test_an_update_without_a_branch_reaches_only_those_who_see_the_whole_chain() -> None:
    assert may_receive(CHAIN, None, update(branch=None))
    assert not may_receive(CHAIN, frozenset({SP}), update(branch=None))


def test_a_body_that_is_not_an_order_event_is_ignored() -> None:
    assert update_of({"type": "branch.upserted", "chain_id": str(CHAIN)}) is None
    assert update_of({"order_id": "not-a-uuid", "chain_id": str(CHAIN), "type": "x"}) is None
