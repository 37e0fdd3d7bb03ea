"""``order.opened``: keep the customer's contact and consent (the notifier's own copy), and the
branch it was opened at (default window until ``branch.upserted`` says more)."""

from __future__ import annotations

from etapa_contracts.events import OrderOpened
from notifier.usecases.ports import Stores
from notifier.usecases.records import Branch, Contact
from notifier.usecases.tenancy import log_if_other_chain


async def keep_contact(stores: Stores, event: OrderOpened) -> None:
    await stores.consent.keep_contact(
        Contact(
            order_id=event.order_id,
            chain_id=event.chain_id,
            branch_id=event.branch.branch_id,
            order_number=event.order_number,
            customer_name=event.customer.name,
            phone=event.customer.phone,
            sms_consent=event.customer.sms_consent,
            branch_name=event.branch.name,
            branch_phone=event.branch.phone,
            updated_at=event.occurred_at,
        )
    )
    owner = await stores.consent.contact_chain(event.order_id)
    log_if_other_chain("contacts", event.order_id, owner, event.chain_id)
    await stores.settings.ensure_branch(
        Branch(
            branch_id=event.branch.branch_id,
            chain_id=event.chain_id,
            name=event.branch.name,
            state=event.branch.state,
            city=event.branch.city,
            timezone=event.branch.timezone,
            window=None,
            updated_at=event.occurred_at,
        )
    )
    await stores.progress.note_entry(event.chain_id, event.order_id, 0)
