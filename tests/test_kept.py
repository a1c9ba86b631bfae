"""What a batch keeps (grader/kept.py): within its entries and its weight, each entry within its largest."""

from __future__ import annotations

from grader.kept import Kept


def test_what_is_kept_stays_within_its_bounds_and_is_forgotten_at_once():
    kept: Kept[str, int] = Kept(entries=3, weight=10, largest=5)
    kept.put("a", 1, 4)
    kept.put("heavy", 2, 6)  # heavier than the largest: never kept
    assert (kept.get("a"), kept.get("heavy"), len(kept)) == (1, None, 1)
    kept.put("b", 3, 4)
    kept.put("c", 4, 4)  # 12 in all would pass the weight: everything before is forgotten
    assert (kept.get("a"), kept.get("b"), kept.get("c"), len(kept)) == (None, None, 4, 1)
    kept.put("d", 5, 1)
    kept.put("e", 6, 1)
    kept.put("f", 7, 1)  # a fourth entry would pass the entries
    assert (len(kept), kept.get("f"), kept.get("c")) == (1, 7, None)
