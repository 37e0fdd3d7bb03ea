"""Offset pagination for every list endpoint: ``?limit=&offset=``, capped page size."""

from __future__ import annotations

from typing import Annotated, Any

from litestar.params import QueryParameter
from pydantic import BaseModel

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_PAGE_SIZE, description=f"page size, at most {MAX_PAGE_SIZE}")
]
MAX_OFFSET = 2**31 - 1
Offset = Annotated[
    int, QueryParameter(ge=0, le=MAX_OFFSET, description="items to skip (fits PostgreSQL's int)")
]


class Page(BaseModel):
    items: list[Any]
    limit: int
    offset: int
    next_offset: int | None


def page_of(rows: list[Any], limit: int, offset: int) -> Page:
    """Build a page from ``limit + 1`` fetched rows: the extra row only says there is more."""
    more = len(rows) > limit
    return Page(
        items=rows[:limit], limit=limit, offset=offset, next_offset=offset + limit if more else None
    )
