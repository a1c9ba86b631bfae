import numpy as np

x = np.array([1.0, -2.0, 0.5])
w = np.array([0.3, 0.1, -0.4])
b = 0.2
target = 1.0
learnrate = 0.5

prediction = np.dot(x, w) + b
error = target - prediction
delta_w = learnrate * error * x
print(delta_w)
