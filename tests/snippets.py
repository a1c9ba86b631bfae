"""Student code the tests share: the gradient-descent quiz's givens as students write them."""

GIVENS = """import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])"""
"""Eleven lines: a step written after them starts at line 12."""

CRASH = GIVENS + """
h = np.dot(x, w) + bias_never_defined
nn_output = sigmoid(h)
error = y - nn_output
error_term = error * nn_output * (1 - nn_output)
del_w = learnrate * error_term * x
"""
"""The givens, then the steps with ``h`` raising NameError at line 12: every later step not reached."""
