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

# Forward: what each layer receives and what it sends on
hidden_layer_input = np.dot(x, weights_input_hidden)
hidden_layer_output = sigmoid(hidden_layer_input)

output_layer_in = np.dot(hidden_layer_output, weights_hidden_output)
output = sigmoid(output_layer_in)

# Backward: how far off the output is, and each layer's share of it
error = target - output
output_error_term = error * output * (1 - output)

hidden_error_term = (output_error_term * weights_hidden_output) * hidden_layer_output * (1 - hidden_layer_output)

# The weight updates: one per weight, shaped like the weights they change
delta_w_h_o = learnrate * output_error_term * hidden_layer_output
delta_w_i_h = learnrate * output_error_term * x[:, None]

print('Update of the hidden-to-output weights:')
print(delta_w_h_o)
print('Update of the input-to-hidden weights:')
print(delta_w_i_h)
