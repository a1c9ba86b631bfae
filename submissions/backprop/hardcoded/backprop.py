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
hidden_layer_input = np.array([0.24, -0.46])
hidden_layer_output = np.array([0.55971365, 0.38698582])

output_layer_in = -0.06012438
output = 0.48497343

# Backward: how far off the output is, and each layer's share of it
error = 0.11502657
output_error_term = 0.02873067

hidden_error_term = np.array([0.00070802, -0.00204471])

# The weight updates: one per weight, shaped like the weights they change
delta_w_h_o = np.array([0.00804047, 0.00555918])
delta_w_i_h = np.array([[1.77005547e-04, -5.11178506e-04],
                        [3.54011093e-05, -1.02235701e-04],
                        [-7.08022187e-05, 2.04471402e-04]])

print('Update of the hidden-to-output weights:')
print(delta_w_h_o)
print('Update of the input-to-hidden weights:')
print(delta_w_i_h)
