"""Student code the tests share: the gradient-descent quiz's givens as students write them."""

GIVENS = """import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])"""
"""Eleven lines: a step written after them starts at line 12."""
