"""ModelParallel on PyTorch FSDP2 across 2 CPU processes (gloo) started by torchrun, checked
against single-process runs with the same global batch (issue 11); and
BatchNormalization(synchronized=True) under DataParallel and ModelParallel.

One torchrun job (mp_worker.py) does every run; the tests read what each process wrote.
"""

import io
import json
import pathlib
import sys
import zipfile

import h5py
import numpy as np
import pytest

import lamina

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dp_common  # noqa: E402
import mp_worker  # noqa: E402
from test_data_parallel import _flat_weights, _set_flat_weights, torchrun  # noqa: E402


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    out = tmp_path_factory.mktemp("model_parallel")
    result, _ = torchrun("mp_worker.py", out)
    processes_said = [line for line in (result.stdout + result.stderr).splitlines()
                      if line.startswith(("[rank0]", "[rank1]"))]
    assert result.returncode == 0, "\n".join(processes_said[-80:]) + result.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in range(2)]
    arrays = [dict(np.load(out / f"rank{r}.npz")) for r in range(2)]
    return {"out": out, "ranks": ranks, "arrays": arrays}


def _single_process_run(name, optimizer, samples, batch_size, epochs, initial):
    x, y = dp_common.regression_data(samples)
    model = dp_common.regression_model()
    _set_flat_weights(model, initial)
    dp_common.compile_regression(model, optimizer)
    history = model.fit(x, y, batch_size=batch_size * dp_common.NUM_PROCESSES, epochs=epochs,
                        shuffle=False, verbose=0)
    return model, history, x, y


@pytest.mark.parametrize("name, optimizer, samples, batch_size, epochs", mp_worker.EXACT_RUNS)
def test_two_processes_train_like_one_with_the_global_batch(job, name, optimizer, samples,
                                                            batch_size, epochs):
    first, second = job["arrays"]
    # The processes started from different weights: ModelParallel gave them process 0's.
    assert not np.allclose(first[f"{name}/initial"], second[f"{name}/initial"])
    model, history, x, y = _single_process_run(name, optimizer, samples, batch_size, epochs,
                                               first[f"{name}/initial"])
    expected_weights = _flat_weights(model)
    expected_evaluate = model.evaluate(x, y, verbose=0, return_dict=True)
    expected_predict = model.predict(x, verbose=0)
    for rank, arrays in zip(job["ranks"], job["arrays"]):
        results = rank["exact"][name]
        np.testing.assert_allclose(arrays[f"{name}/weights"], expected_weights, atol=1e-5)
        for key, values in history.history.items():
            np.testing.assert_allclose(results["history"][key], values, rtol=1e-5)
        assert results["evaluate"].keys() == expected_evaluate.keys()
        for metric, value in expected_evaluate.items():
            assert results["evaluate"][metric] == pytest.approx(value, rel=1e-5)
        # predict(): every row, in order, on every process
        assert arrays[f"{name}/predict"].shape == expected_predict.shape
        np.testing.assert_allclose(arrays[f"{name}/predict"], expected_predict, atol=1e-5)
    assert job["ranks"][0]["exact"][name]["history"] == job["ranks"][1]["exact"][name]["history"]
    assert job["ranks"][0]["exact"][name]["evaluate"] == \
        job["ranks"][1]["exact"][name]["evaluate"]


def test_kernels_are_split_along_their_layout_and_the_optimizer_updates_them(job):
    for rank in job["ranks"]:
        assert rank["distribution"] == "ModelParallel"
        for name, *_ in mp_worker.EXACT_RUNS:
            results = rank["exact"][name]
            kernel = results["kernel"]
            assert kernel["type"] == "ShardedVariable" and kernel["is_variable"]
            assert kernel["local_shape"] == [3, 2]  # (3, 4) split in two along its units
            assert kernel["placements"] == "(Shard(dim=1),)"
            assert kernel["path"].endswith("kernel")
            assert kernel["weights_hold_it"] and kernel["optimizer_holds_it"]
            assert results["layer_class"] == "Dense"  # FSDP's FSDPDense is undone
            assert results["num_weights"] == 4  # no stale copies next to the sharded ones
        # Adam's two slots per kernel are sharded like the kernels: (3, 4) -> (3, 2), (4, 2) -> (4, 1)
        assert rank["exact"]["adam_minibatch_uneven"]["slot_local_shapes"] == [
            [3, 2], [3, 2], [4, 1], [4, 1]]


def test_a_sharded_save_equals_a_single_process_save(job, tmp_path):
    name, optimizer, samples, batch_size, epochs = mp_worker.EXACT_RUNS[1]  # Adam: slots too
    model, *_ = _single_process_run(name, optimizer, samples, batch_size, epochs,
                                    job["arrays"][0][f"{name}/initial"])
    model.save(tmp_path / "single.keras")

    def datasets(path):
        with zipfile.ZipFile(path) as archive:
            weights = io.BytesIO(archive.read("model.weights.h5"))
        found = {}

        def keep(key, item):
            if isinstance(item, h5py.Dataset):
                found[key] = item[()]

        with h5py.File(weights, "r") as f:
            f.visititems(keep)
        return found

    sharded = datasets(job["out"] / f"{name}.keras")
    single = datasets(tmp_path / "single.keras")
    assert sorted(sharded) == sorted(single)
    assert any("optimizer" in key for key in single)
    for key, value in single.items():
        assert sharded[key].shape == value.shape, key
        np.testing.assert_allclose(sharded[key], value, atol=1e-5, err_msg=key)
    # It loads in one process, as the model it was.
    loaded = lamina.models.load_model(job["out"] / f"{name}.keras")
    np.testing.assert_allclose(_flat_weights(loaded), job["arrays"][0][f"{name}/weights"],
                               atol=1e-6)


def test_only_process_0_writes_and_the_checkpoint_loads_in_one_process(job):
    out = job["out"]
    assert sorted(p.name for p in (out / "files1").iterdir()) == []
    assert sorted(p.name for p in (out / "files0").iterdir()) == ["log.csv", "model.keras"]
    rows = (out / "files0" / "log.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,loss,mae") and len(rows) == 3
    model = lamina.models.load_model(out / "files0" / "model.keras")
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    x, _ = dp_common.regression_data(9)
    for arrays in job["arrays"]:
        np.testing.assert_allclose(model.predict(x, verbose=0), arrays["writers/predict"],
                                   atol=1e-6)


def test_batchnorm_moving_statistics_are_the_same_on_every_process(job):
    first, second = (arrays["batchnorm/weights"] for arrays in job["arrays"])
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name, samples, batch_size", mp_worker.SYNC_BN_RUNS)
def test_synchronized_batchnorm_trains_like_one_process_with_the_global_batch(
        job, name, samples, batch_size):
    x, y = dp_common.regression_data(samples, seed=4)
    lamina.utils.set_random_seed(7)
    model = dp_common.batchnorm_model(synchronized=True)
    dp_common.compile_regression(model, "sgd")
    model.fit(x, y, batch_size=batch_size * dp_common.NUM_PROCESSES, epochs=2, shuffle=False,
              verbose=0)
    for arrays in job["arrays"]:  # gamma, beta and the moving statistics included
        np.testing.assert_allclose(arrays[f"sync_bn/{name}"], _flat_weights(model), atol=1e-5)


def test_unsynchronized_batchnorm_would_differ():
    """The check above can fail: per-process statistics give other weights."""
    x, y = dp_common.regression_data(10, seed=4)
    results = []
    for batch_size in (6, 3):
        lamina.utils.set_random_seed(7)
        model = dp_common.batchnorm_model()
        dp_common.compile_regression(model, "sgd")
        model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        results.append(_flat_weights(model))
    assert not np.allclose(*results, atol=1e-3)


def test_synchronized_is_kept_in_the_config():
    layer = lamina.layers.BatchNormalization(synchronized=True)
    assert layer.get_config()["synchronized"] is True
    assert lamina.layers.BatchNormalization.from_config(layer.get_config()).synchronized


def _layout_distribution(layouts, shape=(1,), axes=("model",)):
    from lamina import distribution

    mesh = distribution.DeviceMesh(shape, list(axes), ["cpu:0"])
    layout_map = distribution.LayoutMap(mesh)
    for key, layout in layouts.items():
        layout_map[key] = layout
    return distribution.ModelParallel(layout_map=layout_map)


def _placement_error(layouts, units=4):
    from lamina.distribution import model_parallel

    model = lamina.Sequential([lamina.layers.Input((3,)), lamina.layers.Dense(units)])
    owners = {id(p): (m, k, p) for m in model.modules() for k, p in m._parameters.items()}
    with pytest.raises(ValueError) as error:
        model_parallel._placements(model, _layout_distribution(layouts), owners, set(), 2)
    return str(error.value)


def test_a_dimension_other_than_the_first_must_split_evenly():
    message = _placement_error({".*kernel": (None, "model")}, units=5)
    assert "kernel" in message and "5 entries along dimension 1" in message
    assert "2 equal parts" in message


def test_a_variable_is_split_along_one_dimension_with_one_entry_per_dimension():
    assert "along dimensions [0, 1]" in _placement_error({".*kernel": ("model", "model")})
    assert "give one per dimension (2)" in _placement_error({".*kernel": ("model",)})


def test_layouts_must_name_one_mesh_axis():
    from lamina.distribution import model_parallel

    mp = _layout_distribution({".*kernel": (None, "model"), ".*bias": ("batch",)},
                              shape=(1, 1), axes=("batch", "model"))
    with pytest.raises(ValueError, match=r"one mesh axis.*\['batch', 'model'\]"):
        model_parallel._fsdp_mesh(mp)
