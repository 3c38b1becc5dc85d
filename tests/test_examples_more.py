"""The programs in examples/ run, in their `--smoke` mode (small generated data, no download),
and learn what the generated data teaches: each check below would fail for a model that did
not train (accuracies well above chance, losses well below their start)."""

import importlib.util
import os
import pathlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

import lamina as keras

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """These models are tiny: one thread is as fast, and on a shared machine it avoids the
    thread contention that makes small LSTM steps a hundred times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write pictures or checkpoints


def load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist_mlp_learns_the_generated_digits():
    history, (loss, accuracy) = load("mnist_mlp").main(smoke=True, verbose=0)
    assert accuracy > 0.5  # 10 classes: chance is 0.1


def test_mnist_convnet_learns_the_generated_digits():
    history, (loss, accuracy) = load("mnist_convnet").main(smoke=True, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert accuracy > 0.5


def test_imdb_lstm_learns_the_telling_words():
    history = load("imdb_lstm").main(smoke=True, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.8


def test_text_classification_reads_folders_and_vectorizes_raw_strings():
    history, accuracy = load("text_classification").main(smoke=True, verbose=0)
    assert accuracy > 0.8
    model = history.model
    positive, negative = model.predict(
        np.array([["Great, wonderful, superb. Loved it!"], ["Awful, boring, dreadful. Hated it."]]),
        verbose=0)[:, 0]
    assert positive > 0.5 > negative


def test_text_classification_standardization_drops_tags_and_punctuation():
    standardize = load("text_classification").custom_standardization
    result = standardize(np.array([["Great!<br />It's GOOD."]]))
    assert result.shape == (1, 1) and result[0, 0] == "great its good"


def test_transformer_classifier_learns_and_its_custom_layers_save():
    module = load("transformer_classifier")
    history = module.main(smoke=True, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.8
    model = history.model
    model.save("transformer.keras")
    restored = keras.models.load_model("transformer.keras")
    blocks = [layer for layer in restored.layers if isinstance(layer, module.TransformerBlock)]
    assert len(blocks) == 1 and blocks[0].get_config()["ff_dim"] == 16
    x = keras.utils.pad_sequences(module.synthetic_reviews(8, 200, seed=2)[0], maxlen=40)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_autoencoder_removes_most_of_the_noise():
    history, denoised, (noisy, clean) = load("autoencoder").main(smoke=True, verbose=0,
                                                                  picture="")
    assert denoised.shape == clean.shape
    assert np.abs(denoised - clean).mean() < 0.5 * np.abs(noisy - clean).mean()


def test_timeseries_forecasting_beats_the_target_variance():
    history = load("timeseries_forecasting").main(smoke=True, verbose=0)
    # Targets are standardized (variance about 1): a model that learnt nothing scores about 1.
    assert min(history.history["val_loss"]) < 0.2


def test_timeseries_forecasting_reads_the_jena_csv_columns(monkeypatch, tmp_path):
    module = load("timeseries_forecasting")
    header = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)",'
              '"VPmax (mbar)","VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)",'
              '"rho (g/m**3)","wv (m/s)","max. wv (m/s)","wd (deg)"\n')
    row = ("01.01.2009 00:10:00,996.52,-8.02,265.40,-8.90,93.30,3.33,3.11,0.22,1.94,3.12,"
           "1307.75,1.03,1.75,152.30\n")
    archive = tmp_path / "jena.zip"
    with zipfile.ZipFile(archive, "w") as f:
        f.writestr("jena_climate_2009_2016.csv", header + row * 2)
    monkeypatch.setattr(keras.utils, "get_file", lambda **kwargs: str(archive))
    features = module.load_jena_climate()
    # pressure, temperature, VPmax, VPdef, sh, rho, wv (the keras.io example's selection)
    np.testing.assert_allclose(features[0], [996.52, -8.02, 3.33, 0.22, 1.94, 1307.75, 1.03],
                               rtol=1e-6)
    assert features.shape == (2, 7)


def test_transfer_learning_freezes_then_fine_tunes_without_touching_batchnorm_statistics():
    model, base_model, (top, fine_tune) = load("transfer_learning").main(smoke=True, verbose=0)
    assert len(top.epoch) == 2 and len(fine_tune.epoch) == 1
    assert base_model.trainable and len(model.trainable_weights) > 100
    # weights=None starts every moving mean at 0 and variance at 1; called with
    # training=False, the base model's BatchNormalization never updates them.
    norms = [layer for layer in base_model.layers
             if isinstance(layer, keras.layers.BatchNormalization)]
    assert norms
    for layer in norms:
        np.testing.assert_array_equal(layer.moving_mean.detach().numpy(), 0.0)
        np.testing.assert_array_equal(layer.moving_variance.detach().numpy(), 1.0)


def test_an_example_runs_from_the_command_line():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "mnist_mlp.py"), "--smoke", "--verbose", "0"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "Test accuracy:" in result.stdout
