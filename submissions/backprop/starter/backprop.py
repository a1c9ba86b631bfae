import numpy as np


def sigmoid(x):
    """The logistic function: any number in, a number between 0 and 1 out."""
    return 1 / (1 + np.exp(-x))


# The givens: one training example, its target and the learning rate
x = np.array([0.5, 0.1, -0.2])
target = 0.6
learnrate = 0.5

# Weights of the two layers: one row per input, one column per hidden unit;
# then one weight per hidden unit into the single output unit
weights_input_hidden = np.array([[0.5, -0.6],
                                 [0.1, -0.2],
                                 [0.1, 0.7]])
weights_hidden_output = np.array([0.1, -0.3])

# Forward pass
# TODO: the hidden layer's input: the inputs combined with weights_input_hidden
hidden_layer_input = None
# TODO: the hidden layer's output: its input through the sigmoid
hidden_layer_output = None

# TODO: the output unit's input: the hidden outputs combined with weights_hidden_output
output_layer_in = None
# TODO: the network's output: the output unit's input through the sigmoid
output = None

# Backward pass
# TODO: the error: the target minus the output
error = None

# TODO: the output unit's error term: the error times the sigmoid's slope at the output
#       (for a sigmoid, the slope is output * (1 - output))
output_error_term = None

# TODO: the hidden units' error term: the output error term sent back through
#       weights_hidden_output, times the slope of each hidden unit's sigmoid
hidden_error_term = None

# TODO: the update of the hidden-to-output weights, one per hidden unit
delta_w_h_o = None
# TODO: the update of the input-to-hidden weights, shaped like weights_input_hidden
#       (one row per input, one column per hidden unit)
delta_w_i_h = None

print('Update of the hidden-to-output weights:')
print(delta_w_h_o)
print('Update of the input-to-hidden weights:')
print(delta_w_i_h)
