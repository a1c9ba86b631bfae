import numpy as np

x = np.array([1.0, -2.0, 0.5])
w = np.array([0.3, 0.1, -0.4])
b = 0.2
target = 1.0
learnrate = 0.5

prediction = None  # TODO: the weighted sum of x plus the bias
error = None  # TODO: the target minus the prediction
delta_w = None  # TODO: the learning rate times the error times each input
print(delta_w)
