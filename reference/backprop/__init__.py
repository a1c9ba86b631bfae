"""The backpropagation quiz: one weight update of a network with one hidden layer.

Three inputs feed two sigmoid hidden units, which feed one sigmoid output unit. The student runs
the example forward, then sends the error back and computes the update of both weight matrices.
Every function below is a step or a known mistake; its parameter names are the upstream values
it reads. See ``grader.quiz`` for how the engine uses them, and docs/writing-a-quiz.md.
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


def hidden_layer_input(x, weights_input_hidden):
    return np.dot(x, weights_input_hidden)


def hidden_layer_output(hidden_layer_input):
    return sigmoid(hidden_layer_input)


def output_layer_in(hidden_layer_output, weights_hidden_output):
    return np.dot(hidden_layer_output, weights_hidden_output)


def output(output_layer_in):
    return sigmoid(output_layer_in)


def error(target, output):
    return target - output


def output_error_term(error, output):
    return error * output * (1 - output)


def output_error_term_from_input(error, output_layer_in):
    return error * sigmoid_prime(output_layer_in)


def hidden_error_term(output_error_term, weights_hidden_output, hidden_layer_output):
    return output_error_term * weights_hidden_output * hidden_layer_output * (1 - hidden_layer_output)


def hidden_error_term_from_input(output_error_term, weights_hidden_output, hidden_layer_input):
    return output_error_term * weights_hidden_output * sigmoid_prime(hidden_layer_input)


def delta_w_h_o(learnrate, output_error_term, hidden_layer_output):
    return learnrate * output_error_term * hidden_layer_output


def delta_w_i_h(learnrate, hidden_error_term, x):
    return learnrate * hidden_error_term * x[:, None]


# --- known mistakes ----------------------------------------------------------


def weights_transposed(x, weights_input_hidden):
    return np.dot(weights_input_hidden, x)


def no_hidden_activation(hidden_layer_input):
    return hidden_layer_input


def no_output_activation(output_layer_in):
    return output_layer_in


def error_reversed(target, output):
    return output - target


def error_squared(target, output):
    return (target - output) ** 2


def output_slope_of_its_input(error, output_layer_in):
    return error * output_layer_in * (1 - output_layer_in)


def no_output_derivative(error):
    return error


def derivative_of_the_output(error, output):
    return error * sigmoid(output) * (1 - sigmoid(output))


def derivative_at_the_output_layer(output_error_term, weights_hidden_output, output):
    return output_error_term * weights_hidden_output * output * (1 - output)


def slope_of_the_error_share(output_error_term, weights_hidden_output):
    return output_error_term * weights_hidden_output * (1 - output_error_term * weights_hidden_output)


def hidden_slope_of_its_input(output_error_term, weights_hidden_output, hidden_layer_input):
    return output_error_term * weights_hidden_output * hidden_layer_input * (1 - hidden_layer_input)


def error_sent_back(error, weights_hidden_output, hidden_layer_output):
    return error * weights_hidden_output * hidden_layer_output * (1 - hidden_layer_output)


def hidden_weights_left_out(output_error_term, hidden_layer_output):
    return output_error_term * hidden_layer_output * (1 - hidden_layer_output)


def output_learnrate_forgotten(output_error_term, hidden_layer_output):
    return output_error_term * hidden_layer_output


def inputs_instead_of_hidden_outputs(learnrate, output_error_term, x):
    return learnrate * output_error_term * x


def no_column_axis(learnrate, hidden_error_term, x):
    return learnrate * hidden_error_term * x


def update_transposed(learnrate, hidden_error_term, x):
    return learnrate * hidden_error_term[:, None] * x


def output_term_for_hidden_layer(learnrate, output_error_term, x):
    return learnrate * output_error_term * x[:, None]


def hidden_learnrate_forgotten(hidden_error_term, x):
    return hidden_error_term * x[:, None]


def sizes(rng: np.random.Generator, index: int) -> tuple[int, int]:
    """The numbers of inputs and of hidden units of hidden case ``index``.

    The public case has 3 inputs and 2 hidden units; no hidden case has 2 hidden units or 3 inputs,
    so code written for the public sizes fails every hidden case, whichever sizes a batch draws. The
    first hidden case has fewer inputs and more hidden units (2 and 3); the second as many of each
    (4 or 5), where code that only runs because the layers happen to fit (``hidden_error_term * x``)
    gives a value of the wrong shape rather than an error.
    """
    if index == 0:
        return 2, 3
    if index == 1:
        size = int(rng.choice([4, 5]))
        return size, size
    return int(rng.choice([2, 4, 5])), int(rng.choice([1, 3, 4]))


def hidden_inputs(rng: np.random.Generator, index: int) -> dict[str, object]:
    """Hidden case ``index``: other layer sizes (``sizes``) and other values.

    Weights out of the hidden layer are at least 0.1 away from zero, and the target at least 0.15
    away from what the network outputs, so that every hidden unit gets a share of a real error,
    and each known mistake (a learning rate forgotten, say) differs from the right value by far
    more than the tolerance. Learning rates stay away from 1 for the same reason.
    """
    inputs, hidden = sizes(rng, index)
    x = np.round(rng.uniform(-1.0, 1.0, inputs), 2)
    weights_input_hidden = np.round(rng.uniform(-1.0, 1.0, (inputs, hidden)), 2)
    weights_hidden_output = np.round(rng.uniform(0.1, 1.0, hidden) * rng.choice([-1.0, 1.0], hidden), 2)
    reached = float(output(output_layer_in(hidden_layer_output(hidden_layer_input(x, weights_input_hidden)),
                                           weights_hidden_output)))
    away = float(rng.uniform(0.15, 0.35))
    target = round(reached + away if reached < 0.5 else reached - away, 2)
    return {
        "x": x,
        "target": target,
        "learnrate": float(rng.choice([0.05, 0.1, 0.2, 0.3])),
        "weights_input_hidden": weights_input_hidden,
        "weights_hidden_output": weights_hidden_output,
    }


INSTRUCTIONS = """\
This network has one hidden layer: the inputs `x` reach two sigmoid hidden units through the
weights `weights_input_hidden` (one row per input, one column per hidden unit), and the hidden
units reach one sigmoid output unit through `weights_hidden_output`. Backpropagation finds how much
each weight is to blame for the output's error: the output unit's error term is sent back through
the weights it came through, and each weight then moves by the learning rate times the error term
of the unit it feeds times the value that flowed through it.

Finish `backprop.py` so that it computes one such update, in this order:

- `hidden_layer_input`: the inputs combined with `weights_input_hidden`, one number per hidden unit;
- `hidden_layer_output`: the sigmoid of each of them;
- `output_layer_in`: the hidden outputs combined with `weights_hidden_output`, one number;
- `output`: the sigmoid of it, the network's output;
- `error`: the target minus the output;
- `output_error_term`: the error times the sigmoid's slope at the output unit, `output * (1 - output)`;
- `hidden_error_term`: the output error term times each hidden unit's outgoing weight, times that hidden
  unit's own slope, `hidden_layer_output * (1 - hidden_layer_output)`;
- `delta_w_h_o`: the update of `weights_hidden_output`, one number per hidden unit;
- `delta_w_i_h`: the update of `weights_input_hidden`, a matrix of its shape: the entry for input i and
  hidden unit j is the learning rate times that unit's error term times input i.

Leave the givens as they are and compute from their names, never from their numbers: your file
also runs on hidden inputs with other values and other numbers of inputs and hidden units. When it
is right, it prints the two updates below.
"""

QUIZ = Quiz(
    name="backprop",
    title="Backpropagation: one weight update of a network with a hidden layer",
    filename="backprop.py",
    public_inputs={
        "x": np.array([0.5, 0.1, -0.2]),
        "target": 0.6,
        "learnrate": 0.5,
        "weights_input_hidden": np.array([[0.5, -0.6], [0.1, -0.2], [0.1, 0.7]]),
        "weights_hidden_output": np.array([0.1, -0.3]),
    },
    steps=(
        Step("hidden_layer_input", (hidden_layer_input,), "the hidden layer's input, one number per hidden unit"),
        Step("hidden_layer_output", (hidden_layer_output,), "the hidden layer's output, the sigmoid of its input"),
        Step("output_layer_in", (output_layer_in,), "the output unit's input, one number"),
        Step("output", (output,), "the network's output, the sigmoid of the output unit's input"),
        Step("error", (error,), "the error, the target minus the output"),
        Step("output_error_term", (output_error_term, output_error_term_from_input),
             "the output unit's error term, the error times the sigmoid's slope there"),
        Step("hidden_error_term", (hidden_error_term, hidden_error_term_from_input),
             "the hidden units' error terms, the output error term sent back through the weights times each "
             "hidden unit's slope"),
        Step("delta_w_h_o", (delta_w_h_o,), "the update of the hidden-to-output weights, one per hidden unit"),
        Step("delta_w_i_h", (delta_w_i_h,),
             "the update of the input-to-hidden weights, one row per input and one column per hidden unit"),
    ),
    mistakes=(
        Mistake("hidden_layer_input", "weights transposed", weights_transposed,
                "Each hidden unit sums the inputs times its own column of weights_input_hidden, whose rows match "
                "the inputs: np.dot(x, weights_input_hidden), with x first."),
        Mistake("hidden_layer_output", "no activation in the hidden layer", no_hidden_activation,
                "The hidden units pass their input through the sigmoid: sigmoid(hidden_layer_input)."),
        Mistake("output", "no activation at the output", no_output_activation,
                "The output unit is a sigmoid unit too: output = sigmoid(output_layer_in)."),
        Mistake("error", "error sign reversed", error_reversed,
                "The error is how far the output falls short of the target: target - output."),
        Mistake("error", "squared error (the loss)", error_squared,
                "(target - output) ** 2 is the loss that training makes small; the error this step asks for is the "
                "plain difference target - output."),
        Mistake("output_error_term", "the output's slope formula applied to its input", output_slope_of_its_input,
                "output * (1 - output) is the sigmoid's slope written with its output: give it output, not "
                "output_layer_in."),
        Mistake("output_error_term", "no derivative", no_output_derivative,
                "The error term also carries the sigmoid's slope at the output unit: multiply by "
                "output * (1 - output)."),
        Mistake("output_error_term", "derivative of the output instead of its input", derivative_of_the_output,
                "The slope is taken where the sigmoid was applied, at output_layer_in; there it equals "
                "output * (1 - output). sigmoid(output) applies the sigmoid a second time."),
        Mistake("hidden_error_term", "derivative taken at the output layer", derivative_at_the_output_layer,
                "Each hidden unit's error term uses the slope of that hidden unit's own sigmoid, "
                "hidden_layer_output * (1 - hidden_layer_output), not the output unit's."),
        Mistake("hidden_error_term", "slope of the error share, not of the hidden output", slope_of_the_error_share,
                "The slope is each hidden unit's own, hidden_layer_output * (1 - hidden_layer_output); the unit's "
                "share of the error, output_error_term * weights_hidden_output, is what that slope multiplies."),
        Mistake("hidden_error_term", "the hidden slope formula applied to the hidden input", hidden_slope_of_its_input,
                "hidden_layer_output * (1 - hidden_layer_output) is the slope written with the hidden units' "
                "output: give it hidden_layer_output, not hidden_layer_input."),
        Mistake("hidden_error_term", "error instead of the output error term", error_sent_back,
                "What is sent back to the hidden layer is the output unit's error term, which includes the output's "
                "slope: output_error_term, not error."),
        Mistake("hidden_error_term", "weights left out of the hidden error term", hidden_weights_left_out,
                "A hidden unit shares in the output's error through its weight to the output unit: multiply the "
                "output error term by weights_hidden_output."),
        Mistake("delta_w_h_o", "learning rate forgotten", output_learnrate_forgotten,
                "Every update is scaled by the learning rate: learnrate * output_error_term * hidden_layer_output."),
        Mistake("delta_w_h_o", "inputs instead of the hidden outputs", inputs_instead_of_hidden_outputs,
                "The weights into the output unit carry the hidden units' outputs, not x: use hidden_layer_output."),
        Mistake("delta_w_i_h", "no column axis on x", no_column_axis,
                "hidden_error_term has one entry per hidden unit and x one per input: multiplied as they are, "
                "they fail or pair the wrong entries. Make x a column, x[:, None], so the product is a matrix with "
                "one row per input."),
        Mistake("delta_w_i_h", "update transposed", update_transposed,
                "The update has the shape of weights_input_hidden, one row per input: learnrate * "
                "hidden_error_term * x[:, None], not one row per hidden unit."),
        Mistake("delta_w_i_h", "output error term for the hidden layer", output_term_for_hidden_layer,
                "The weights into the hidden layer are updated with the hidden units' error terms, "
                "hidden_error_term, one per hidden unit; the output's error term belongs to the weights after them."),
        Mistake("delta_w_i_h", "learning rate forgotten", hidden_learnrate_forgotten,
                "Every update is scaled by the learning rate: learnrate * hidden_error_term * x[:, None]."),
    ),
    hidden_inputs=hidden_inputs,
    functions={"sigmoid": sigmoid, "sigmoid_prime": sigmoid_prime},
    varies={"x": "shape", "weights_input_hidden": "shape", "weights_hidden_output": "shape", "target": "values",
            "learnrate": "values"},
    instructions=INSTRUCTIONS,
    solution_source=files(__name__).joinpath("solution.py").read_text(encoding="utf-8"),
    starter_source=files(__name__).joinpath("starter.py").read_text(encoding="utf-8"),
)
