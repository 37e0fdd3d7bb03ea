"""History blocks read back as orders, to compare a store's ``replay_history`` with its
``delivered_history`` (blocks come in any order, and their orders too)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from workflow.domain.history import HistoricalOrder, HistoryBlock, instant


def orders_of(blocks: Sequence[HistoryBlock]) -> list[HistoricalOrder]:
    """Every order of ``blocks`` (what a replay reads; the rest keeps its defaults), by id."""
    orders = [
        HistoricalOrder(
            order_id=block.order_ids[index],
            number=block.numbers[index],
            branch=block.branch,
            flow_version=0,
            opened_at=instant(block.opened_us[index]),
            delivered_at=instant(block.delivered_us[index]),
            promised_date=None if promised is None else date.fromordinal(promised),
            stage_seconds={key: column[index] for key, column in block.stage_seconds.items()},
            outside_seconds=block.outside_seconds[index],
        )
        for block in blocks
        for index, promised in enumerate(block.promised_days)
    ]
    return sorted(orders, key=lambda order: order.order_id)
