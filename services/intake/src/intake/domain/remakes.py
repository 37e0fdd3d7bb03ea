"""Remake and warranty orders: workflow opens them when an order is reopened; intake learns them.

Workflow publishes ``order.remake_opened.v1`` in the transaction that opens the remake or
warranty order; intake registers it as a copy of the original's registration under its new id
and number (``SP01-000123-R1``), so staff actions and lab messages can name it. Before that
event, intake read every ``order.stage_changed.v1`` to spot the first stage entry of a reopened
order (``reopened_from`` set, entry sequence 1).
"""
