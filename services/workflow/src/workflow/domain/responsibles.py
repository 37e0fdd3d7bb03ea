"""A responsible person for every step: who takes an order when it enters a stage.

Rules:

- A stage names a default responsible: a role (``Stage.responsible_role``, e.g. ``technician``:
  what kind of person does the step) and, per branch, a person (set by an admin, kept outside
  the flow version so a new person needs no new version). The shell gives this module the
  order's branch's people, as ``{stage key: Person}``.
- **Entering a stage with a default person assigns it to them** (opening, advance, back, a lab
  status that moves the order, a resume never: it does not enter a stage). The timeline says
  "Atribuída a Fulana (responsável pela etapa “Montagem”)".
- **Entering a stage without a default person keeps the current assignee.** Someone always
  holds an order that had someone: it never falls out of every person's list just because a
  step has no one named yet. The order shows the stage's role beside the assignee, so the
  board tells "with Ana (previous step); this step is for a técnico".
- Entering a stage whose default person already holds the order records nothing.
- A person can take or hand over the order at any time (the ``assign`` action); that holds
  until the order enters another stage that names a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from workflow.domain.order_actions import Assigned, StageEntered
from workflow.domain.order_state import Decision


@dataclass(frozen=True, slots=True)
class Person:
    user_id: str
    name: str


NOBODY: Mapping[str, Person] = {}


def assign_on_entry(decision: Decision, defaults: Mapping[str, Person]) -> Decision:
    """``decision`` with the order assigned to the default person of the stage it entered last
    (``defaults``: stage key → the branch's person), and an ``Assigned`` event after the
    entry; unchanged when it entered no stage, the stage names nobody, or they hold it."""
    entries = [i for i, e in enumerate(decision.events) if isinstance(e, StageEntered)]
    if not entries:
        return decision
    where = entries[-1]
    entered = decision.events[where]
    assert isinstance(entered, StageEntered)
    person = defaults.get(entered.to_stage.key)
    state = decision.state
    if person is None or person.user_id == state.assignee_id:
        return decision
    assigned = Assigned(
        actor="sistema",
        assignee=person.name,
        previous=state.assignee,
        assignee_id=person.user_id,
        stage=entered.to_stage.name,
    )
    events = (*decision.events[: where + 1], assigned, *decision.events[where + 1 :])
    return Decision(replace(state, assignee=person.name, assignee_id=person.user_id), events)
