"""The hidden cases' lengths: a module of the quiz's own folder, imported relatively."""

import numpy as np


def lengths(rng: np.random.Generator, index: int) -> int:
    """Two inputs in the first hidden case, four or five in the others: never the public three."""
    return 2 if index == 0 else int(rng.choice([4, 5]))
