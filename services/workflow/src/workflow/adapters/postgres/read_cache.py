"""What every order message reads and almost never changes, kept in the process.

- **Flow versions** by (chain, service type, version): a saved version's stages never change,
  so an entry never goes stale. An order's flow carries the type's *current* name, which a
  later version can change: that name is not cached across transactions; the order's row is
  read with it (``PostgresOrderStore.load``) and the flow store takes it from there
  (``TransactionReads``), or reads it with the stages.
- **Branches** by (chain, branch id), each with the row's ``row_version`` (migration 0011: a
  new number from a sequence at every insert and update of the row, whatever changed, and
  never the same number twice, even after a rollback). The order's row is read with its
  branch's number; the cached branch is used only while the numbers match, so a branch
  changed by another replica (new holidays, calendar, time zone) is read again on the next
  message.

Both are bounded LRUs, per process (every transaction's stores share them), keyed by chain
first, so nothing of one chain is ever answered for another.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from uuid import UUID

from workflow.domain.flow import Stage
from workflow.domain.records import Branch
from workflow.domain.responsibles import Person

K = TypeVar("K")
V = TypeVar("V")

FLOW_VERSIONS = 512
BRANCHES = 2048


class Lru(Generic[K, V]):
    """A dict of at most ``size`` entries; the least recently used goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass
class ReadCaches:
    """The process's caches (one for the consumers; see the module's docstring)."""

    flows: Lru[tuple[UUID, str, int], tuple[Stage, ...]] = field(
        default_factory=lambda: Lru(FLOW_VERSIONS)
    )
    branches: Lru[tuple[UUID, UUID], tuple[int, Branch]] = field(
        default_factory=lambda: Lru(BRANCHES)
    )


@dataclass
class TransactionReads:
    """What one transaction's stores read already and share, as read with an order's row:
    each service type's current name (the flow store needs no query for it) and each stage's
    default person per (chain, type, branch) (nor does the staff store). Never kept past the
    transaction; the staff store forgets the defaults when it writes a person."""

    type_names: dict[tuple[UUID, str], str] = field(default_factory=dict)
    stage_defaults: dict[tuple[UUID, str, UUID], Mapping[str, Person]] = field(default_factory=dict)
