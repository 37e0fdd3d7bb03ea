"""Remake and warranty orders: workflow opens them when an order is reopened; intake learns them.

The first stage entry of a reopened order (``order.stage_changed.v1`` with ``reopened_from``
and entry sequence 1) registers it in intake as a copy of the original's registration under its
new id and number (``SP01-000123-R1``), so staff actions and lab messages can name it.
"""

from __future__ import annotations

from etapa_contracts.events import OrderStageChanged


def registers_remake(event: OrderStageChanged) -> bool:
    """Whether ``event`` is the first stage entry of a reopened order."""
    return event.reopened_from is not None and event.entry_sequence == 1
