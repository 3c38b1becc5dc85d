"""A training process killed with SIGKILL and started again ends bitwise where an uninterrupted
run ends (CPU, fixed seed): weights, optimizer state, data order, dropout draws all resume —
including the draws of layers with their own generators. The backup holds plain values only."""

import os
import pathlib
import pickle
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

WORKER = pathlib.Path(__file__).with_name("backup_worker.py")


def run(backup_dir, out_file, kill_at=0, save_freq="3", kind="dense"):
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parents[2]))
    return subprocess.run([sys.executable, str(WORKER), str(backup_dir), str(out_file), str(kill_at),
                           save_freq, kind], env=env, capture_output=True, text=True, timeout=120)


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


def test_layer_generators_resume_to_identical_weights(tmp_path):
    """Dropout(seed=...) and random augmentation layers draw from their own generators: a run
    killed mid-epoch resumes their streams where they stood, not from their seeds."""
    reference = run(tmp_path / "reference_backup", tmp_path / "reference.npz", kind="seeded")
    assert reference.returncode == 0, reference.stderr

    killed = run(tmp_path / "backup", tmp_path / "unused.npz", kill_at=7, kind="seeded")
    assert killed.returncode == -signal.SIGKILL  # 5 batches an epoch: epoch 1, after batch 2
    state = torch.load(tmp_path / "backup" / "training_state.pt", weights_only=True)
    assert (state["epoch"], state["step"]) == (1, 1)  # the backup after 6 batches
    device = _device_label()  # (augmentation layers draw on the training device)
    assert set(state["rng"]["layers"]) == {f"0.generator@{device}", f"1.generator@{device}",
                                           "4._generator"}
    shutil.copytree(tmp_path / "backup", tmp_path / "backup_copy")

    resumed = run(tmp_path / "backup", tmp_path / "resumed.npz", kind="seeded")
    assert resumed.returncode == 0, resumed.stderr
    for a, b in zip(weights(tmp_path / "reference.npz"), weights(tmp_path / "resumed.npz")):
        np.testing.assert_array_equal(a, b)

    # The control: the same resume without restoring the layers' generators ends elsewhere.
    control = run(tmp_path / "backup_copy", tmp_path / "control.npz", kind="seeded-no-layer-rng")
    assert control.returncode == 0, control.stderr
    assert any(not np.array_equal(a, b) for a, b in zip(weights(tmp_path / "reference.npz"),
                                                       weights(tmp_path / "control.npz")))


def _device_label():
    return "cuda:0" if torch.cuda.is_available() else "cpu"


def _seeded_model():
    import lamina
    from lamina import layers

    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input(shape=(4, 4, 1)), layers.RandomFlip(seed=5),
                               layers.Flatten(), layers.Dense(4, activation="relu"),
                               layers.Dropout(0.5, seed=3), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model


def test_backup_file_loads_with_weights_only(tmp_path):
    import lamina

    x = np.random.RandomState(0).rand(16, 4, 4, 1).astype("float32")
    y = x.mean(axis=(1, 2, 3))
    model = _seeded_model()
    backup = lamina.callbacks.BackupAndRestore(tmp_path, save_freq=1, delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=1, callbacks=[backup], verbose=0)
    state = torch.load(tmp_path / "training_state.pt", weights_only=True)
    assert (state["epoch"], state["step"]) == (0, 2)
    assert state["loss_scale"] is None  # float32 training
    rng = state["rng"]
    assert set(rng) == {"torch", "cuda", "numpy", "python", "layers"}
    assert set(rng["layers"]) == {f"0.generator@{_device_label()}", "3._generator"}
    assert torch.equal(rng["layers"]["3._generator"], model.layers[3]._generator.get_state())

    def check_plain(value):
        if isinstance(value, dict):
            assert all(isinstance(k, (str, int)) for k in value)
            for v in value.values():
                check_plain(v)
        elif isinstance(value, list):
            for v in value:
                check_plain(v)
        else:
            assert value is None or type(value) in (bool, int, float, str, torch.Tensor), value
    check_plain(state)


def test_backup_of_an_older_version_is_refused_with_advice(tmp_path):
    """The previous format pickled numpy's RNG state: it cannot load with weights_only=True."""
    import lamina

    torch.save({"epoch": 1, "step": 0, "data": None, "rng": {"numpy": np.random.get_state()}},
               tmp_path / "training_state.pt")
    with pytest.raises(pickle.UnpicklingError):  # (what the callback turns into advice)
        torch.load(tmp_path / "training_state.pt", weights_only=True)
    model = _seeded_model()
    x = np.zeros((8, 4, 4, 1), "float32")
    backup = lamina.callbacks.BackupAndRestore(tmp_path)
    with pytest.raises(ValueError, match="older lamina version.*Delete the backup directory"):
        model.fit(x, x.sum(axis=(1, 2, 3)), epochs=1, callbacks=[backup], verbose=0)


@pytest.mark.parametrize("model_policy", ["mixed_float16", "float32"])
def test_float16_loss_scale_is_saved_and_restored(tmp_path, model_policy):
    # A mixed_float16 model's compile wraps the optimizer in a LossScaleOptimizer (its scale is
    # optimizer state); float16 layers in a float32 model get fit's own dynamic loss scale.
    import lamina
    from lamina import layers

    def fit(epochs):
        lamina.mixed_precision.set_global_policy("mixed_float16")
        try:
            lamina.utils.set_random_seed(0)
            stack = [lamina.Input(shape=(4,)), layers.Dense(8), layers.Dense(1, dtype="float32")]
            lamina.mixed_precision.set_global_policy(model_policy)
            model = lamina.Sequential(stack)
        finally:
            lamina.mixed_precision.set_global_policy(None)
        model.compile(optimizer="adam", loss="mse")
        backup = lamina.callbacks.BackupAndRestore(tmp_path, delete_checkpoint=False)
        model.fit(x, x.sum(axis=1), epochs=epochs, batch_size=8, callbacks=[backup], verbose=0)
        return model

    def scale_state(model):
        if model_policy == "float32":
            return model._loss_scale.get_state()
        return {"scale": float(model.optimizer.dynamic_scale),
                "good_steps": int(model.optimizer.step_counter)}

    x = np.random.RandomState(0).rand(32, 4).astype("float32")
    trained = fit(epochs=2)
    saved = scale_state(trained)
    assert saved["good_steps"] > 0  # 8 steps: not the fresh state
    if model_policy == "float32":
        assert torch.load(tmp_path / "training_state.pt",
                          weights_only=True)["loss_scale"] == saved
    resumed = fit(epochs=2)  # the backup says both epochs are done: only the restore runs
    assert scale_state(resumed) == saved
    for a, b in zip(trained.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments():
    import lamina

    with pytest.raises(ValueError, match="backup_dir"):
        lamina.callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        lamina.callbacks.BackupAndRestore("dir", save_freq=0)
