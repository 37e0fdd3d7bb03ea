"""One trace's spans as an indented tree, one line per span: service, name, duration.

Used by the tracing tests to show (and check) an order's path; the README's trace is this
rendering of the integration test's output.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar


class SpanLike(Protocol):
    """What is read of a span: the SDK's ``ReadableSpan`` and the OTLP test receiver's spans."""

    @property
    def name(self) -> str: ...
    @property
    def span_id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def service(self) -> str: ...
    @property
    def start_ns(self) -> int: ...
    @property
    def end_ns(self) -> int: ...


def render(spans: Sequence[SpanLike]) -> str:
    """The tree of ``spans`` (one trace), children under their parent in start order."""
    ids = {span.span_id for span in spans}
    children: dict[int | None, list[SpanLike]] = defaultdict(list)
    for span in spans:
        parent = span.parent_id if span.parent_id in ids else None
        children[parent].append(span)
    lines: list[str] = []

    def walk(level: Iterable[SpanLike], depth: int) -> None:
        for span in sorted(level, key=lambda s: s.start_ns):
            millis = (span.end_ns - span.start_ns) / 1e6
            label = "  " * depth + span.name
            lines.append(f"{span.service:<9} {label:<72} {millis:8.1f} ms")
            walk(children.get(span.span_id, []), depth + 1)

    walk(children[None], 0)
    return "\n".join(lines)


S = TypeVar("S", bound=SpanLike)


def ancestors(span: S, spans: Sequence[S]) -> list[S]:
    """``span``'s parents up to the root of its trace, nearest first."""
    by_id = {s.span_id: s for s in spans}
    chain: list[S] = []
    parent = span.parent_id
    while parent is not None and parent in by_id:
        chain.append(by_id[parent])
        parent = by_id[parent].parent_id
    return chain
