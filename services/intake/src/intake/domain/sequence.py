"""Each order's events are numbered in the order intake accepts them.

The opening is 1 (the column's default); every action or lab status takes the next number in
the transaction that records it and writes its event to the outbox. Taking the number locks
the order until that transaction ends, so numbers follow commit order and a rolled-back
request gives its number back: an order's sequence has no gaps. Workflow applies an order's
events by this number (``order_seq``) and parks any that arrive early.
"""

from __future__ import annotations

OPENING_SEQ = 1
