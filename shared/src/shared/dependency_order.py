"""Handlers' dependencies resolved one after another, not in a task group per request.

Litestar (2.25) resolves two or more dependencies that do not depend on each other together:
an anyio task group and a task per dependency, on every request (litestar issue #4563). Every
dependency here (``principal``, ``transactions``, ``clock``, ``new_id``, ``uow``, ``pool``…) is
a plain function handing back what is already built, so the tasks cost more than the work:
about 175–190 µs a request for intake's four on this machine, 35–40 µs one after another. Only the
console's ``visit`` waits on I/O, and it is alone in its handlers' batch.

``resolve_in_order()`` replaces ``KwargsModel.resolve_dependencies`` with the same walk over
the same batches, in order, with the same cleanup group; an error comes out as itself, as
Litestar hands on the first error of its task group. It is a private part of Litestar:
``tests/unit/shared/test_dependency_order.py`` pins the version it was written for, so an
upgrade fails there until someone reads Litestar's new code.
"""

from __future__ import annotations

from typing import Any

from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection


async def _resolve_one_after_another(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    """Every dependency into ``kwargs``, batch after batch (a batch's own dependencies come
    in the batches before it), one at a time."""
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_in_order() -> None:
    """Make every Litestar app in this process resolve dependencies one after another."""
    KwargsModel.resolve_dependencies = _resolve_one_after_another  # type: ignore[method-assign]
