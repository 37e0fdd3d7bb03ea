"""Headers set on an ASGI response as it starts, without Litestar's ``MutableScopeHeaders``.

``MutableScopeHeaders.__setitem__`` decodes and lower-cases every header of the message to
find the one it replaces, once for each header set: seven times a request for the correlation
id and the rate limit's four, about a sixth of the layers' work under cProfile in ``make
bench-http-layers``. Here the message's headers are read once for all those set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

from litestar.types import Message

Header = tuple[bytes, bytes]


def header(name: str, value: str) -> Header:
    """``name: value`` as a response carries it (the name in lower case, both latin-1)."""
    return name.lower().encode("latin-1"), value.encode("latin-1")


def set_headers(message: Message, headers: Sequence[Header]) -> None:
    """Set ``headers`` (names in lower case, as ``header`` makes them) on the
    ``http.response.start`` ``message``, replacing any of the same names it has."""
    names = {name for name, _ in headers}
    present = cast(Iterable[Header], message.get("headers", ()))
    kept = [(name, value) for name, value in present if name.lower() not in names]
    message["headers"] = [*kept, *headers]  # type: ignore[typeddict-unknown-key]
