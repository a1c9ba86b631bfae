"""Wording shared by every output: counts with the right plural, lists of names."""

from __future__ import annotations

from collections.abc import Sequence

IRREGULAR = {"is": "are", "was": "were", "has": "have", "differs": "differ", "changes": "change"}


def plural(count: float, word: str, many: str | None = None) -> str:
    """``word`` as it goes with ``count``: "case" for 1, "cases" otherwise."""
    if count == 1:
        return word
    return many or IRREGULAR.get(word) or (word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou"
                                           else word + "s")


def count(number: float, word: str, many: str | None = None) -> str:
    """``"1 submission"``, ``"3 submissions"``, ``"0 cases"``."""
    return f"{number:g} {plural(number, word, many)}"


def names(items: Sequence[str], quote: str = "`") -> str:
    """``a``, ``a and b``, ``a, b and c``, each quoted."""
    quoted = [f"{quote}{item}{quote}" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
