"""Run by test_model_parallel.py under torchrun with 2 CPU processes (gloo):

    python -m torch.distributed.run --standalone --nproc_per_node=2 mp_worker.py OUT_DIR

Sets a ModelParallel distribution (FSDP2) whose LayoutMap splits every kernel along its output
units and every bias, trains the models of dp_common, and writes what each process computed to
OUT_DIR/rank<r>.npz and rank<r>.json; the tests compare them with each other and with
single-process runs. It also trains BatchNormalization(synchronized=True) models under
ModelParallel and under DataParallel.
"""

import json
import os
import sys

import numpy as np

import dp_common
import lamina
from lamina import callbacks, distribution

# The runs compared with a single process: (name, optimizer, samples, per-process batch, epochs).
EXACT_RUNS = [
    ("sgd_minibatch_padding", "sgd", 9, 2, 2),  # global batches 4, 4, 1: a padding step
    ("adam_minibatch_uneven", "adam", 11, 2, 2),  # global batches 4, 4, 3: parts 2 and 1
]
SYNC_BN_RUNS = [("data_parallel", 10, 3), ("model_parallel", 10, 3)]  # global batches 6, 4


def model_parallel():
    mesh = distribution.DeviceMesh((2,), ["model"])
    layout_map = distribution.LayoutMap(mesh)
    layout_map[".*kernel"] = (None, "model")  # split the output units
    layout_map[".*bias"] = ("model",)
    return distribution.ModelParallel(layout_map=layout_map)


def exact_runs(out, arrays):
    results = {}
    for name, optimizer, samples, batch_size, epochs in EXACT_RUNS:
        x, y = dp_common.regression_data(samples)
        lamina.utils.set_random_seed(100 + distribution.process_id())  # different inits
        model = dp_common.regression_model()
        arrays[f"{name}/initial"] = _flat(model)  # process 0's are sent to the others
        dp_common.compile_regression(model, optimizer)
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
        arrays[f"{name}/weights"] = _flat(model)  # get_weights() gathers the whole values
        kernel = model.layers[0].kernel
        slots = [v for v in model.optimizer.variables if v.ndim == 2]
        results[name] = {
            "history": history.history,
            "evaluate": model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True),
            "kernel": {"type": type(kernel).__name__, "is_variable": isinstance(
                kernel, lamina.Variable), "local_shape": list(kernel.to_local().shape),
                "placements": repr(tuple(kernel.placements)), "path": kernel.path,
                "weights_hold_it": any(w is kernel for w in model.weights),
                "optimizer_holds_it": any(v is kernel for v in model.optimizer._trainable_variables)},
            "slot_local_shapes": [list(s.to_local().shape) for s in slots],
            "layer_class": type(model.layers[0]).__name__,
            "num_weights": len(model.weights),
        }
        arrays[f"{name}/predict"] = model.predict(x, batch_size=batch_size, verbose=0)
        model.save(os.path.join(out, f"{name}.keras"))  # on every process; process 0 writes
    return results


def writers(out, arrays):
    """ModelCheckpoint and CSVLogger given a per-process directory: only process 0's may be
    written to. The checkpoint is then loaded by the tests."""
    mine = os.path.join(out, f"files{distribution.process_id()}")
    os.makedirs(mine)
    x, y = dp_common.regression_data(9)
    lamina.utils.set_random_seed(3)
    model = dp_common.regression_model()
    dp_common.compile_regression(model, "adam")
    model.fit(x, y, batch_size=2, epochs=2, verbose=0, callbacks=[
        callbacks.ModelCheckpoint(os.path.join(mine, "model.keras")),
        callbacks.CSVLogger(os.path.join(mine, "log.csv")),
    ])
    arrays["writers/predict"] = model.predict(x, verbose=0)


def batchnorm(arrays):
    x, y = dp_common.regression_data(12, seed=1)
    model = dp_common.batchnorm_model()
    dp_common.compile_regression(model, "sgd")
    model.fit(x, y, batch_size=3, epochs=2, verbose=0)
    arrays["batchnorm/weights"] = _flat(model)


def synchronized_batchnorm(arrays):
    """BatchNormalization(synchronized=True): the batch statistics are the global batch's."""
    for name, samples, batch_size in SYNC_BN_RUNS:
        distribution.set_distribution(
            model_parallel() if name == "model_parallel" else distribution.DataParallel())
        x, y = dp_common.regression_data(samples, seed=4)
        lamina.utils.set_random_seed(7)
        model = dp_common.batchnorm_model(synchronized=True)
        dp_common.compile_regression(model, "sgd")
        model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        arrays[f"sync_bn/{name}"] = _flat(model)


def _flat(model):
    return np.concatenate([w.ravel() for w in model.get_weights()])


def main(out):
    distribution.initialize()
    distribution.set_distribution(model_parallel())
    rank = distribution.process_id()
    info = {"distribution": type(distribution.distribution()).__name__}
    arrays = {}
    info["exact"] = exact_runs(out, arrays)
    writers(out, arrays)
    batchnorm(arrays)
    synchronized_batchnorm(arrays)
    np.savez(os.path.join(out, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(info, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
