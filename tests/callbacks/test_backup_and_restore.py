"""A training process killed with SIGKILL and started again ends bitwise where an uninterrupted
run ends (CPU, fixed seed): weights, optimizer state, data order, dropout draws all resume."""

import os
import pathlib
import signal
import subprocess
import sys

import numpy as np
import pytest

WORKER = pathlib.Path(__file__).with_name("backup_worker.py")


def run(backup_dir, out_file, kill_at=0, save_freq="3"):
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, str(WORKER), str(backup_dir), str(out_file), str(kill_at),
                           save_freq], env=env, capture_output=True, text=True, timeout=120)


def weights(path):
    data = np.load(path)
    return [data[k] for k in sorted(data.files)]


@pytest.mark.parametrize("kill_at, save_freq", [
    (7, "3"),   # killed mid-epoch 2, one batch after a backup
    (9, "3"),   # killed right after a backup was written
    (13, "epoch"),  # killed mid-epoch, resumed from the last epoch boundary
])
def test_killed_run_resumes_to_identical_weights(tmp_path, kill_at, save_freq):
    reference = run(tmp_path / "reference_backup", tmp_path / "reference.npz", save_freq=save_freq)
    assert reference.returncode == 0, reference.stderr
    assert not (tmp_path / "reference_backup" / "training_state.pt").exists()  # deleted at the end

    killed = run(tmp_path / "backup", tmp_path / "unused.npz", kill_at=kill_at, save_freq=save_freq)
    assert killed.returncode == -signal.SIGKILL
    assert (tmp_path / "backup" / "training_state.pt").exists()
    assert not (tmp_path / "unused.npz").exists()

    resumed = run(tmp_path / "backup", tmp_path / "resumed.npz", save_freq=save_freq)
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(weights(tmp_path / "reference.npz"), weights(tmp_path / "resumed.npz")):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments():
    import lamina

    with pytest.raises(ValueError, match="backup_dir"):
        lamina.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        lamina.callbacks.BackupAndRestore("dir", save_freq=0)
