"""``branch.upserted``: keep the notifier's copy of a branch (time zone, state, window); the
messages it held wait for the window as it is now."""

from __future__ import annotations

from etapa_contracts.events import BranchUpserted
from notifier.usecases.ports import Stores
from notifier.usecases.records import Branch, BranchWindow
from notifier.usecases.tenancy import log_if_other_chain


async def keep_branch(stores: Stores, event: BranchUpserted) -> None:
    window = event.sending_window
    branch = Branch(
        branch_id=event.branch.branch_id,
        chain_id=event.chain_id,
        name=event.branch.name,
        state=event.branch.state,
        city=event.branch.city,
        timezone=event.branch.timezone,
        window=BranchWindow(window.starts_at, window.ends_at, frozenset(window.weekdays)),
        updated_at=event.occurred_at,
    )
    if not await stores.settings.keep_branch(branch):
        owner = await stores.settings.branch_chain(branch.branch_id)
        log_if_other_chain("branches", branch.branch_id, owner, event.chain_id)
        return
    # the window may have changed: what it held is looked at again (sent, or held to the new
    # opening), not left waiting for the old one
    await stores.messages.due_again_for_branch(branch.branch_id, event.occurred_at)
