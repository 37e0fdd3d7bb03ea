"""A service's heap, settled once it has started: the cyclic garbage collector tuned for a
long-running server.

CPython frees most objects by reference counting; its cyclic collector only looks for cycles.
By default it walks the young generation every 700 net allocations of container objects
(dicts, lists, coroutines, pydantic models…), and every tenth walk also the middle one. A
service handling a transition allocates thousands, so at 140 transitions/s the collector was
3.5–4.3 % of the three services' CPU (``perf``: ``gc_collect_main``, ``visit_decref``,
``visit_reachable``), mostly walking objects that live for the process or would have been
freed by reference counting a moment later.

``settle_heap`` (called once, after the app is built and before it serves):

- collects once, then **freezes** what start-up made (modules, classes, the app, its routes,
  pydantic's validators): those objects leave the collector's generations and are never walked
  again. They live as long as the process anyway.
- raises the young generation's threshold to ``YOUNG_THRESHOLD``: a walk every 10,000 net
  allocations, so a message's short-lived objects are mostly freed by reference counting
  before a walk sees them. The older generations keep their thresholds; cycles are still found,
  later (``tests/unit/shared/test_heap.py`` checks one is, with no explicit collect).

Measured with ``perf`` on the services under ``bench_e2e`` at 140/s: the collector's share of
their CPU fell from 3.5–4.3 % to 0.1–0.3 % (docs/throughput-journal.md, "The garbage collector").
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Net allocations of container objects between two walks of the young generation (700 by
default)."""


def settle_heap() -> None:
    """Collect, freeze what start-up made and walk the young generation less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
