"""Run by test_data_parallel.py under torchrun with 2 CPU processes (gloo):

    python -m torch.distributed.run --standalone --nproc_per_node=2 dp_worker.py OUT_DIR [crash]

Nothing here sets up the distribution: torchrun's environment makes lamina pick DataParallel.
Each process writes what it saw and computed to OUT_DIR/rank<r>.npz and rank<r>.json, and its
stdout to rank<r>.out; the tests compare them with each other and with single-process runs.
With "crash", process 1 raises during fit; with "hang" it stops answering (then process 0's
collective times out after LAMINA_DISTRIBUTED_TIMEOUT seconds): the job must fail, not hang.
"""

import contextlib
import io
import json
import os
import sys
import time

import numpy as np
import torch

import dp_common
import lamina
from lamina import callbacks, distribution


class Recording(lamina.Sequential):
    """Keeps the first feature (a sample id) of every batch its train_step receives."""

    def train_step(self, data):
        self.__dict__.setdefault("seen", []).append(data[0][:, 0].long().tolist())
        return super().train_step(data)


class Interrupt(callbacks.Callback):
    def __init__(self, at_batch):
        super().__init__()
        self.at_batch, self.count = at_batch, 0

    def on_train_batch_end(self, batch, logs=None):
        self.count += 1
        if self.count == self.at_batch:
            raise KeyboardInterrupt("interrupted on purpose")


class Crash(callbacks.Callback):
    """Process 1 raises (mode "crash") or stops answering (mode "hang") at its second batch."""

    def __init__(self, mode):
        super().__init__()
        self.mode = mode

    def on_train_batch_end(self, batch, logs=None):
        if distribution.process_id() == 1 and batch == 1:
            if self.mode == "hang":
                time.sleep(600)
            raise RuntimeError("process 1 crashed on purpose")


def exact_runs(out, arrays):
    """Runs the tests repeat in one process with the global batch."""
    results = {}
    for name, optimizer, samples, batch_size, epochs in dp_common.EXACT_RUNS:
        x, y = dp_common.regression_data(samples)
        lamina.utils.set_random_seed(100 + distribution.process_id())  # different inits
        model = dp_common.regression_model()
        arrays[f"{name}/initial"] = _flat(model)  # process 0's are broadcast by DDP
        dp_common.compile_regression(model, optimizer)
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
        arrays[f"{name}/weights"] = _flat(model)
        x_small, y_small = x[:5], y[:5]  # global batches 4 and 1: a padding step
        results[name] = {
            "history": history.history,
            "evaluate": model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True),
            "evaluate_small": model.evaluate(x_small, y_small, batch_size=2, verbose=0,
                                             return_dict=True),
        }
        arrays[f"{name}/predict"] = model.predict(x, batch_size=batch_size, verbose=0)
        arrays[f"{name}/predict_small"] = model.predict(x_small, batch_size=2, verbose=0)
    return results


def on_batch(arrays):
    """train_on_batch with each process's own batch (3 and 2 samples): one step on all 5."""
    x, y = dp_common.regression_data(5)
    lamina.utils.set_random_seed(5 + distribution.process_id())
    model = dp_common.regression_model()
    arrays["on_batch/initial"] = _flat(model)
    dp_common.compile_regression(model, "sgd")
    mine = slice(0, 3) if distribution.process_id() == 0 else slice(3, 5)
    logs = model.train_on_batch(x[mine], y[mine], return_dict=True)
    arrays["on_batch/weights"] = _flat(model)
    return logs


def sharding(arrays):
    """Which samples each process's train_step received, for each kind of input."""
    x, y = dp_common.id_data(12)

    def recorder():
        model = Recording([lamina.layers.Input((3,)), lamina.layers.Dense(2)])
        model.compile("sgd", "mse")
        return model

    model = recorder()
    model.fit(x, y, batch_size=3, epochs=2, shuffle=True, verbose=0)
    seen = {"arrays": model.seen}

    class Items(lamina.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[3 * index:3 * index + 3], y[3 * index:3 * index + 3]

    model = recorder()
    model.fit(Items(), epochs=1, shuffle=True, verbose=0)
    seen["py_dataset"] = model.seen

    model = recorder()
    model.fit((batch for batch in Items()), epochs=1, verbose=0)
    seen["generator"] = model.seen

    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    model = recorder()
    model.fit(dataset, batch_size=3, epochs=1, shuffle=True, verbose=0)
    seen["torch_dataset"] = model.seen

    model = recorder()
    model.fit(torch.utils.data.DataLoader(dataset, batch_size=3, shuffle=True), epochs=1,
              verbose=0)
    seen["data_loader"] = model.seen
    return seen


def writers(out, arrays):
    """Checkpoint, CSV and TensorBoard callbacks given a per-process directory: only process 0's
    may be written to. The model is then saved by process 0 and loaded by the tests."""
    mine = os.path.join(out, f"files{distribution.process_id()}")
    os.makedirs(mine)
    x, y = dp_common.regression_data(9)
    lamina.utils.set_random_seed(3)
    model = dp_common.regression_model()
    dp_common.compile_regression(model, "adam")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        model.fit(x, y, batch_size=2, epochs=2, verbose=1, callbacks=[
            callbacks.ModelCheckpoint(os.path.join(mine, "model.keras")),
            callbacks.CSVLogger(os.path.join(mine, "log.csv")),
            callbacks.TensorBoard(os.path.join(mine, "tensorboard")),
        ])
        model.evaluate(x, y, verbose=1)
        model.predict(x, verbose=1)
    arrays["writers/predict"] = model.predict(x, verbose=0)
    return stdout.getvalue()


def batchnorm(arrays):
    x, y = dp_common.regression_data(12, seed=1)
    model = dp_common.batchnorm_model()
    dp_common.compile_regression(model, "sgd")
    model.fit(x, y, batch_size=3, epochs=2, verbose=0)
    arrays["batchnorm/weights"] = _flat(model)


def resumed(out, arrays):
    """A run interrupted mid-epoch and resumed from BackupAndRestore, and one not interrupted:
    both shuffled, with Dropout."""
    x, y = dp_common.regression_data(12, seed=2)

    def run(backup_dir, interrupt_at):
        lamina.utils.set_random_seed(11)
        model = lamina.Sequential([lamina.layers.Input((3,)), lamina.layers.Dense(8),
                                   lamina.layers.Dropout(0.3), lamina.layers.Dense(2)])
        dp_common.compile_regression(model, "adam")
        backup = callbacks.BackupAndRestore(backup_dir, save_freq=1)
        chain = [backup] + ([Interrupt(interrupt_at)] if interrupt_at else [])
        try:
            model.fit(x, y, batch_size=2, epochs=3, verbose=0, callbacks=chain)
        except KeyboardInterrupt:
            lamina.utils.set_random_seed(999)  # the restart must not depend on this
            model = lamina.Sequential([lamina.layers.Input((3,)), lamina.layers.Dense(8),
                                       lamina.layers.Dropout(0.3), lamina.layers.Dense(2)])
            dp_common.compile_regression(model, "adam")
            history = model.fit(x, y, batch_size=2, epochs=3, verbose=0,
                                callbacks=[callbacks.BackupAndRestore(backup_dir, save_freq=1)])
            arrays["resumed/history_loss"] = np.array(history.history["loss"])
        return _flat(model)

    arrays["resumed/uninterrupted"] = run(os.path.join(out, "backup_a"), None)
    arrays["resumed/resumed"] = run(os.path.join(out, "backup_b"), 5)  # epoch 1, batch 2


def crash(mode):
    x, y = dp_common.regression_data(40)
    model = dp_common.regression_model()
    dp_common.compile_regression(model, "sgd")
    model.fit(x, y, batch_size=2, epochs=50, verbose=0, callbacks=[Crash(mode)])


def _flat(model):
    return np.concatenate([w.ravel() for w in model.get_weights()])


def main(out, mode="run"):
    if mode in ("crash", "hang"):
        crash(mode)
        return
    rank = distribution.process_id()
    info = {"distribution": type(distribution.distribution()).__name__,
            "num_processes": distribution.num_processes(),
            "list_devices": distribution.list_devices()}
    arrays = {}
    info["exact"] = exact_runs(out, arrays)
    info["seen"] = sharding(arrays)
    info["on_batch"] = on_batch(arrays)
    stdout = writers(out, arrays)
    batchnorm(arrays)
    resumed(out, arrays)
    with open(os.path.join(out, f"rank{rank}.out"), "w") as f:
        f.write(stdout)
    np.savez(os.path.join(out, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(info, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
