"""Run by test_backup_and_restore.py in a subprocess: train, maybe SIGKILL itself, save weights.

    python backup_worker.py BACKUP_DIR OUT_FILE KILL_AT_BATCH SAVE_FREQ
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


def main(backup_dir, out_file, kill_at, save_freq):
    lamina.utils.set_random_seed(1234)
    rng = np.random.RandomState(0)
    x = rng.rand(40, 4).astype("float32")
    y = (x.sum(axis=1) > 2).astype("float32")
    model = lamina.Sequential([lamina.Input(shape=(4,)), layers.Dense(8, activation="relu"),
                               layers.Dropout(0.3), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    save_freq = "epoch" if save_freq == "epoch" else int(save_freq)
    callbacks = [lamina.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)]
    if kill_at:
        callbacks.append(KillAt(kill_at))
    history = model.fit(x, y, epochs=4, batch_size=8, callbacks=callbacks, verbose=0)
    np.savez(out_file, *model.get_weights(), last_loss=history.history["loss"][-1])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4])
