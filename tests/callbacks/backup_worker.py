"""Run by test_backup_and_restore.py in a subprocess: train, maybe SIGKILL itself, save weights.

    python backup_worker.py BACKUP_DIR OUT_FILE KILL_AT_BATCH SAVE_FREQ [MODEL]

MODEL is "dense" (the default: Dropout on torch's global RNG) or "seeded": layers with their own
generators (`Dropout(seed=...)`, random augmentation layers' SeedGenerators). "seeded-no-layer-rng"
is "seeded" with the restore of the per-layer generators switched off (a negative control).
"""

import os
import signal
import sys

import numpy as np

import lamina
from lamina import layers


class KillAt(lamina.callbacks.Callback):
    def __init__(self, batch_number):
        super().__init__()
        self.batch_number = batch_number
        self.seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen == self.batch_number:
            os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no flush: a real crash


def dense_data_and_model():
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                               layers.Dropout(0.3), layers.Dense(1, activation="sigmoid")])
    return x, y, model


def seeded_data_and_model():
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4, 4, 1).astype("float32")
    y = (x[:, :2].sum(axis=(1, 2, 3)) > x[:, 2:].sum(axis=(1, 2, 3))).astype("float32")
    model = lamina.Sequential([
        lamina.Input(shape=(4, 4, 1)),
        layers.RandomFlip("horizontal_and_vertical", seed=5),
        layers.RandomTranslation(0.25, 0.25, seed=7),
        layers.Flatten(),
        layers.Dense(8, activation="relu"),
        layers.Dropout(0.5, seed=3),
        layers.Dense(1, activation="sigmoid"),
    ])
    return x, y, model


def main(backup_dir, out_file, kill_at, save_freq, kind="dense"):
    if kind == "seeded-no-layer-rng":
        from lamina.trainers import training_state

        training_state._layer_generators = lambda model, wanted=(): iter(())
    lamina.utils.set_random_seed(1234)
    x, y, model = dense_data_and_model() if kind == "dense" else seeded_data_and_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    save_freq = "epoch" if save_freq == "epoch" else int(save_freq)
    callbacks = [lamina.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)]
    if kill_at:
        callbacks.append(KillAt(kill_at))
    history = model.fit(x, y, epochs=4, batch_size=8, callbacks=callbacks, verbose=0)
    np.savez(out_file, *model.get_weights(), last_loss=history.history["loss"][-1])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], *sys.argv[5:])
