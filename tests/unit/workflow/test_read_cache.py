"""The bounded LRU behind workflow's read caches (flow versions, branches)."""

from __future__ import annotations

from workflow.adapters.postgres.read_cache import Lru


def test_the_least_recently_used_entry_goes_first_and_the_size_holds() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.put("c", 3)

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_a_new_value_replaces_the_old_one_under_its_key() -> None:
    cache: Lru[tuple[str, str], tuple[int, str]] = Lru(4)
    cache.put(("rede", "filial"), (1, "antes"))
    cache.put(("rede", "filial"), (2, "depois"))

    assert cache.get(("rede", "filial")) == (2, "depois")
    assert cache.get(("outra rede", "filial")) is None
    assert len(cache) == 1
