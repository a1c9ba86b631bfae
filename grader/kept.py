"""What a batch keeps to do once for many submissions: a dict within two bounds, the number of its
entries and their total weight (characters, numbers), that forgets everything at once when one would
be passed. Cheaper than ordering entries (an LRU), and a class's common entries are back after one
submission each. An entry heavier than ``largest`` is never kept: nothing that large is shared."""

from __future__ import annotations

from typing import Generic, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")


class Kept(Generic[_K, _V]):
    """At most ``entries`` values of at most ``weight`` in all, each of at most ``largest``."""

    def __init__(self, entries: int, weight: int, largest: int):
        self.entries, self.weight, self.largest = entries, weight, largest
        self._kept: dict[_K, _V] = {}
        self._weight = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: _K) -> _V | None:
        return self._kept.get(key)

    def put(self, key: _K, value: _V, weight: int) -> None:
        """Keep ``value`` under ``key``, unless it weighs more than ``largest``."""
        if weight > self.largest:
            return
        if len(self._kept) >= self.entries or self._weight + weight > self.weight:
            self._kept.clear()
            self._weight = 0
        self._kept[key] = value
        self._weight += weight
