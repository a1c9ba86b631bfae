"""A quiz of an instructor's own, kept outside gdgrade: one update of a linear unit with a bias.

The tests copy this folder out of the repository and grade with it by path (``--quiz ./linear_unit``)
and, packaged as a distribution of its own, through the ``gdgrade.quizzes`` entry point. It imports
a module of its own folder and reads its solution and starter beside it, as any quiz may.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np

from grader.quiz import Mistake, Quiz, Step

from .shapes import lengths


def prediction(x, w, b):
    return np.dot(x, w) + b


def error(target, prediction):
    return target - prediction


def delta_w(learnrate, error, x):
    return learnrate * error * x


def bias_forgotten(x, w):
    return np.dot(x, w)


def error_reversed(target, prediction):
    return prediction - target


def learnrate_forgotten(error, x):
    return error * x


def hidden_inputs(rng: np.random.Generator, index: int) -> dict[str, object]:
    """Other values, and never the public case's three inputs."""
    size = lengths(rng, index)
    return {
        "x": np.round(rng.uniform(-1.0, 1.0, size), 2),
        "w": np.round(rng.uniform(-1.0, 1.0, size), 2),
        "b": round(float(rng.uniform(0.1, 1.0)), 2),
        "target": round(float(rng.uniform(-2.0, 2.0)), 2),
        "learnrate": float(rng.choice([0.1, 0.2, 0.3])),
    }


QUIZ = Quiz(
    name="linear_unit",
    title="A linear unit: one weight update",
    filename="linear.py",
    public_inputs={"x": np.array([1.0, -2.0, 0.5]), "w": np.array([0.3, 0.1, -0.4]), "b": 0.2, "target": 1.0,
                   "learnrate": 0.5},
    steps=(
        Step("prediction", (prediction,), "the unit's output, the weighted sum plus the bias"),
        Step("error", (error,), "the target minus the prediction"),
        Step("delta_w", (delta_w,), "the change of each weight"),
    ),
    mistakes=(
        Mistake("prediction", "bias forgotten", bias_forgotten, "Add the bias b to the weighted sum."),
        Mistake("error", "error reversed", error_reversed, "The error is target - prediction."),
        Mistake("delta_w", "learning rate forgotten", learnrate_forgotten, "Scale the step by learnrate."),
    ),
    hidden_inputs=hidden_inputs,
    varies={"x": "shape", "w": "shape", "b": "values", "target": "values", "learnrate": "values"},
    instructions="Compute `prediction`, `error` and `delta_w` for one update of a linear unit.",
    solution_source=files(__name__).joinpath("solution.py").read_text(encoding="utf-8"),
    starter_source=files(__name__).joinpath("starter.py").read_text(encoding="utf-8"),
)
