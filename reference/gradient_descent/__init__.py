"""The gradient-descent quiz: one step of gradient descent for a single sigmoid unit.

Every function below is a step or a known mistake; its parameter names are the
upstream values it reads. See ``grader.quiz`` for how the engine uses them.
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np

from grader.quiz import Mistake, Quiz, Step


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


# --- the steps, each with its equivalent formulations -----------------------


def h(x, w):
    return np.dot(x, w)


def nn_output(h):
    return sigmoid(h)


def error(y, nn_output):
    return y - nn_output


def error_term(error, h):
    return error * sigmoid_prime(h)


def error_term_from_output(error, nn_output):
    return error * nn_output * (1 - nn_output)


def del_w(learnrate, error_term, x):
    return learnrate * error_term * x


# --- known mistakes ----------------------------------------------------------


def h_elementwise(x, w):
    return x * w


def h_from_two_inputs(x, w):
    return x[0] * w[0] + x[1] * w[1]


def h_mean(x, w):
    return np.mean(x * w)


def no_activation(h):
    return h


def derivative_as_output(h):
    return sigmoid_prime(h)


def error_reversed(y, nn_output):
    return nn_output - y


def error_squared(y, nn_output):
    return (y - nn_output) ** 2


def error_half_squared(y, nn_output):
    return 0.5 * (y - nn_output) ** 2


def error_from_h(y, h):
    return y - h


def no_derivative(error):
    return error


def sigmoid_not_derivative(error, h):
    return error * sigmoid(h)


def derivative_of_output(error, nn_output):
    return error * sigmoid_prime(nn_output)


def output_slope_of_h(error, h):
    return error * h * (1 - h)


def output_not_derivative(error, nn_output):
    return error * nn_output


def learnrate_forgotten(error_term, x):
    return error_term * x


def error_not_error_term(learnrate, error, x):
    return learnrate * error * x


def x_forgotten(learnrate, error_term):
    return learnrate * error_term


def w_instead_of_x(learnrate, error_term, w):
    return learnrate * error_term * w


def del_w_summed(learnrate, error_term, x):
    return np.sum(learnrate * error_term * x)


def del_w_averaged(learnrate, error_term, x):
    return learnrate * error_term * x / len(x)


def del_w_negated(learnrate, error_term, x):
    return -learnrate * error_term * x


def hidden_inputs(rng: np.random.Generator, index: int) -> dict[str, object]:
    """Hidden case ``index``: other values, and x and w of another length than 4.

    The first case is shorter than the public one (3) and the second longer (5 to 7), so that
    every batch finds code that assumes four inputs, whichever way it fails. Lengths stay above 2
    and learning rates away from 1 so that every known mistake (copying the two-input example,
    forgetting the learning rate) gives a value distinguishable from the right one in every case.
    """
    size = 3 if index == 0 else int(rng.choice([5, 6, 7])) if index == 1 else int(rng.choice([3, 5, 6, 7]))
    return {
        "learnrate": float(rng.choice([0.05, 0.1, 0.2, 0.3])),
        "x": np.round(rng.uniform(-2.0, 2.0, size), 2),
        "y": np.array(round(float(rng.uniform(0.05, 0.95)), 2)),
        "w": np.round(rng.uniform(-1.0, 1.0, size), 2),
    }


INSTRUCTIONS = """\
A single sigmoid unit takes inputs `x`, weights them with `w` and squashes the sum through the
sigmoid: its output is `sigmoid(h)`, where `h` is the weighted sum. Gradient descent improves the
weights one small step at a time: each weight moves by the learning rate times the error term times
its own input. The error term is the output error, `y - nn_output`, scaled by how steeply the sigmoid
rises at `h`, its derivative `sigmoid_prime(h)`.

Finish `gradient.py` so that it computes one such step, in this order:

- `h`: the linear combination of the inputs and the weights;
- `nn_output`: the unit's output, the sigmoid of `h`;
- `error`: the target `y` minus the output;
- `error_term`: the error times the sigmoid's derivative at `h` (which equals `nn_output * (1 - nn_output)`);
- `del_w`: the change of every weight, one entry per input.

Leave `x`, `y`, `w` and `learnrate` as they are and compute from their names, never from their
numbers: your file also runs on hidden inputs with other values, and with more or fewer than four
inputs. When it is right, it prints the output, the error and the change in weights below.
"""

QUIZ = Quiz(
    name="gradient_descent",
    title="Gradient descent: one weight step of a sigmoid unit",
    filename="gradient.py",
    public_inputs={
        "learnrate": 0.5,
        "x": np.array([1, 2, 3, 4]),
        "y": np.array(0.5),
        "w": np.array([0.5, -0.5, 0.3, 0.1]),
    },
    steps=(
        Step("h", (h,), "the node's linear combination of inputs and weights"),
        Step("nn_output", (nn_output,), "the output of the network, sigmoid(h)"),
        Step("error", (error,), "the output error, y - nn_output"),
        Step(
            "error_term",
            (error_term, error_term_from_output),
            "the error term, error times the sigmoid's derivative at h",
        ),
        Step("del_w", (del_w,), "the change in weights, learnrate * error_term * x"),
    ),
    mistakes=(
        Mistake("h", "elementwise product", h_elementwise,
                "h is one number: sum the products of inputs and weights, np.dot(x, w)."),
        Mistake("h", "only two inputs", h_from_two_inputs,
                "The example had two inputs; this quiz has len(x) of them. Use np.dot(x, w)."),
        Mistake("h", "mean instead of the sum", h_mean,
                "h sums the products of inputs and weights; a mean divides that sum by len(x). Use np.dot(x, w)."),
        Mistake("nn_output", "no activation", no_activation,
                "The output is the activation of h: nn_output = sigmoid(h)."),
        Mistake("nn_output", "derivative instead of the sigmoid", derivative_as_output,
                "The output is sigmoid(h); sigmoid_prime(h) is its slope, which belongs in the error term."),
        Mistake("error", "error sign reversed", error_reversed,
                "The error is target minus output: y - nn_output, not nn_output - y."),
        Mistake("error", "error squared", error_squared,
                "The error here is the plain difference y - nn_output, not its square."),
        Mistake("error", "half the squared error (the loss)", error_half_squared,
                "0.5 * (y - nn_output) ** 2 is the loss that gradient descent makes small; the error this step "
                "asks for is the plain difference y - nn_output."),
        Mistake("error", "h instead of the output", error_from_h,
                "The error compares the target with what the network outputs, nn_output, not with h."),
        Mistake("error_term", "no derivative", no_derivative,
                "Multiply the error by the output gradient f'(h) = sigmoid_prime(h)."),
        Mistake("error_term", "sigmoid instead of its derivative", sigmoid_not_derivative,
                "Use the derivative sigmoid_prime(h), not sigmoid(h)."),
        Mistake("error_term", "derivative of the output instead of h", derivative_of_output,
                "The derivative is taken at h: sigmoid_prime(h), or nn_output * (1 - nn_output);"
                " not sigmoid_prime(nn_output)."),
        Mistake("error_term", "the output's slope formula applied to h", output_slope_of_h,
                "nn_output * (1 - nn_output) is the sigmoid's slope written with its output: give it nn_output, "
                "not h (or write sigmoid_prime(h), which takes h)."),
        Mistake("error_term", "the output instead of its derivative", output_not_derivative,
                "The sigmoid's derivative at h is nn_output * (1 - nn_output), not nn_output itself."),
        Mistake("del_w", "learning rate forgotten", learnrate_forgotten,
                "The step is scaled by the learning rate: learnrate * error_term * x."),
        Mistake("del_w", "error instead of error_term", error_not_error_term,
                "error_term already includes the sigmoid's derivative: use it, not error."),
        Mistake("del_w", "x forgotten", x_forgotten,
                "Each weight moves in proportion to its own input: multiply by x, one entry per weight."),
        Mistake("del_w", "w instead of x", w_instead_of_x,
                "Each weight changes in proportion to its input x, not to the weight w."),
        Mistake("del_w", "del_w summed to a scalar", del_w_summed,
                "del_w has one entry per weight: do not sum it."),
        Mistake("del_w", "averaged over the inputs", del_w_averaged,
                "Each weight moves by learnrate * error_term times its own input: nothing is averaged, so do not "
                "divide by len(x)."),
        Mistake("del_w", "del_w negated", del_w_negated,
                "With error = y - nn_output the step is +learnrate * error_term * x."),
    ),
    hidden_inputs=hidden_inputs,
    functions={"sigmoid": sigmoid, "sigmoid_prime": sigmoid_prime},
    varies={"x": "shape", "w": "shape", "y": "values", "learnrate": "values"},
    instructions=INSTRUCTIONS,
    solution_source=files(__name__).joinpath("solution.py").read_text(encoding="utf-8"),
    starter_source=files(__name__).joinpath("starter.py").read_text(encoding="utf-8"),
)
