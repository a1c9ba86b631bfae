import numpy as np


def sigmoid(x):
    # logistic activation
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    return sigmoid(x) * (1 - sigmoid(x))


learnrate = 0.5
x = np.array([1, 2, 3, 4])
y = np.array(0.5)
w = np.array([0.5, -0.5, 0.3, 0.1])

# linear combination of inputs and weights
h = np.dot(x, w)
# output of the unit
nn_output = sigmoid(h)
# output error
error = y - nn_output
# error term
output_grad = h * (1 - h)
error_term = error * output_grad
# change in weights
del_w = learnrate * error_term * x

print('Neural Network output:')
print(nn_output)
print('Amount of Error:')
print(error)
print('Change in Weights:')
print(del_w)
