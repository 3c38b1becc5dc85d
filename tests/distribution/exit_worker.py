"""Run by test_data_parallel.py under torchrun with 2 CPU processes: a DataParallel fit with a
synchronized BatchNormalization, and the script ends right after it. The processes must exit
cleanly (before the fix in process_group.shutdown, about one run in three aborted at exit)."""

import dp_common
from lamina import distribution

distribution.set_distribution(distribution.DataParallel())
x, y = dp_common.regression_data(10, seed=4)
model = dp_common.batchnorm_model(synchronized=True)
dp_common.compile_regression(model, "sgd")
model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)
