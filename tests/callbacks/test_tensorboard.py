"""TensorBoard: the event files it writes, read back by lamina's reader and by tensorboard's.

The expected tags and steps come from Keras 3 (fixtures/tensorboard_tags.json, made by
fixtures/make_tensorboard_fixtures.py with the TensorFlow backend).
"""

import glob
import json
import os
import struct
import zlib

import numpy as np
import pytest

import lamina
from lamina.callbacks import tensorboard as tensorboard_module
from lamina.callbacks import tensorboard_events as events
from lamina.callbacks.lambda_callback import LambdaCallback
from lamina.callbacks.tensorboard import TensorBoard

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype("float32")
Y = (X.sum(1, keepdims=True) > 0).astype("float32")


@pytest.fixture(params=["lamina", "tensorboard"])
def writer_kind(request, monkeypatch):
    """Run each test with lamina's own writer, and with SummaryWriter where it is installed."""
    if request.param == "tensorboard":
        pytest.importorskip("tensorboard")
        assert tensorboard_module.tensorboard_installed()
    else:
        monkeypatch.setattr(tensorboard_module, "tensorboard_installed", lambda: False)
    return request.param


def _model():
    model = lamina.Sequential([
        lamina.Input((3,)),
        lamina.layers.Dense(2, activation="relu", name="d1"),
        lamina.layers.Dense(1, activation="sigmoid", name="d2"),
    ], name="sequential")
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    return model


def _read_run(run_dir):
    """{tag: {step: value}} and the sorted (step, tag, kind) list of a run directory."""
    by_tag, found = {}, []
    for path in sorted(glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))):
        for event in events.read_events(path):
            for value in event["values"]:
                by_tag.setdefault(value["tag"], {})[event["step"]] = value["value"]
                found.append([event["step"], value["tag"], value["kind"]])
    return by_tag, sorted(found)


def _fit(tmp_path, callbacks, epochs=2):
    model = _model()
    history = model.fit(X, Y, batch_size=10, validation_split=0.25, epochs=epochs, verbose=0,
                        callbacks=callbacks)
    return model, history


def test_tags_and_steps_match_keras(tmp_path, writer_kind):
    with open(os.path.join(HERE, "fixtures", "tensorboard_tags.json")) as f:
        expected = json.load(f)
    _fit(tmp_path, [TensorBoard(tmp_path, histogram_freq=1, write_images=True)])
    for run in ("train", "validation"):
        _, found = _read_run(tmp_path / run)
        assert found == expected[run], run


def test_scalar_values_are_the_logged_values(tmp_path, writer_kind):
    model, history = _fit(tmp_path, [TensorBoard(tmp_path)])
    train, _ = _read_run(tmp_path / "train")
    validation, _ = _read_run(tmp_path / "validation")
    h = history.history
    np.testing.assert_allclose([train["epoch_loss"][e] for e in (0, 1)], h["loss"], rtol=1e-6)
    np.testing.assert_allclose([train["epoch_accuracy"][e] for e in (0, 1)], h["accuracy"])
    np.testing.assert_allclose([validation["epoch_loss"][e] for e in (0, 1)], h["val_loss"],
                               rtol=1e-6)
    np.testing.assert_allclose(train["epoch_learning_rate"][1], 0.01, rtol=1e-6)  # SGD default
    # 3 training batches per epoch: validation after epoch 1 is at optimizer step 3, then 6.
    np.testing.assert_allclose(validation["evaluation_loss_vs_iterations"][3], h["val_loss"][0],
                               rtol=1e-6)
    np.testing.assert_allclose(validation["evaluation_loss_vs_iterations"][6], h["val_loss"][1],
                               rtol=1e-6)
    assert "keras" in train and json.loads(_config_text(train["keras"][0]))["class_name"] == \
        "Sequential"


def _config_text(value):
    return (value[0] if isinstance(value, list) else value).decode()


def test_batch_scalars_every_n_batches(tmp_path, writer_kind):
    seen = {}

    def record(batch, logs):
        seen[len(seen) + 1] = float(logs["loss"])

    _, history = _fit(tmp_path, [TensorBoard(tmp_path, update_freq=2),
                                 LambdaCallback(on_train_batch_end=record)])
    train, _ = _read_run(tmp_path / "train")
    # Steps count batches from 1 across epochs; 6 batches in all, logged every 2nd.
    assert sorted(train["batch_loss"]) == [2, 4, 6]
    for step in (2, 4, 6):
        np.testing.assert_allclose(train["batch_loss"][step], seen[step], rtol=1e-6)
    # Unlike Keras 3 (which drops them when update_freq does not divide the epoch's batch
    # count), every epoch's results are written.
    assert sorted(train["epoch_loss"]) == [0, 1]
    assert "batch_loss" not in _read_run(tmp_path / "validation")[0]


def test_update_freq_batch_and_steps_per_second(tmp_path, monkeypatch):
    monkeypatch.setattr(tensorboard_module, "tensorboard_installed", lambda: False)
    _fit(tmp_path, [TensorBoard(tmp_path, update_freq="batch", write_steps_per_second=True)],
         epochs=1)
    train, _ = _read_run(tmp_path / "train")
    assert sorted(train["batch_loss"]) == [1, 2, 3]
    assert sorted(train["batch_steps_per_second"]) == [1, 2, 3]
    assert train["epoch_steps_per_second"][0] > 0


def test_histograms_describe_the_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(tensorboard_module, "tensorboard_installed", lambda: False)
    model, _ = _fit(tmp_path, [TensorBoard(tmp_path, histogram_freq=2, write_images=True)],
                    epochs=3)
    train, found = _read_run(tmp_path / "train")
    kernel = model.get_layer("d1").kernel.detach().numpy()
    histogram = train["sequential/d1/kernel/histogram"]
    assert sorted(histogram) == [0, 2]  # epochs 0 and 2 with histogram_freq=2
    last = histogram[2]  # after the last epoch: the final weights
    assert last["num"] == kernel.size and sum(last["bucket"]) == kernel.size
    np.testing.assert_allclose([last["min"], last["max"]], [kernel.min(), kernel.max()],
                               rtol=1e-6)
    np.testing.assert_allclose(last["sum"], kernel.sum(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last["bucket_limit"][-1], kernel.max(), rtol=1e-6)
    np.testing.assert_allclose(last["sum_squares"], np.square(kernel).sum(), rtol=1e-5)
    image = train["sequential/d1/kernel/image"][2]
    # The (3, 2) kernel is shown wider than tall: 2 rows, 3 columns, min black, max white.
    assert (image["height"], image["width"]) == (2, 3)
    pixels = _decode_gray_png(image["png"])
    expected = (kernel.T - kernel.min()) / (kernel.max() - kernel.min()) * 255
    np.testing.assert_allclose(pixels, np.round(expected), atol=1)


def _decode_gray_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat_length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw = zlib.decompress(data[41:41 + idat_length])
    rows = [raw[r * (width + 1) + 1:(r + 1) * (width + 1)] for r in range(height)]
    return np.array([list(row) for row in rows], dtype=np.float64)


def test_evaluate_alone_writes_evaluation_scalars(tmp_path, writer_kind):
    model, _ = _fit(tmp_path / "fit", [])
    results = model.evaluate(X, Y, verbose=0, return_dict=True,
                             callbacks=[TensorBoard(tmp_path / "eval")])
    assert not os.path.exists(tmp_path / "eval" / "train")
    validation, _ = _read_run(tmp_path / "eval" / "validation")
    np.testing.assert_allclose(validation["evaluation_loss_vs_iterations"][6], results["loss"],
                               rtol=1e-6)


def test_profile_batch_writes_a_torch_trace(tmp_path):
    _fit(tmp_path, [TensorBoard(tmp_path, profile_batch=(2, 2))], epochs=1)
    assert glob.glob(str(tmp_path / "train" / "*.pt.trace.json"))


def test_argument_errors():
    with pytest.raises(ValueError, match="update_freq must be 'epoch', 'batch' or a positive"):
        TensorBoard(update_freq="sometimes")
    with pytest.raises(ValueError, match="profile_batch must be a non-negative integer"):
        TensorBoard(profile_batch=(5, 2))
    with pytest.raises(ValueError, match="profile_batch must be"):
        TensorBoard(profile_batch="a,b")
    with pytest.raises(TypeError, match="Did you mean 'histogram_freq'"):
        TensorBoard(histogram_frq=1)
    with pytest.warns(DeprecationWarning, match="write_grads=...\\) is a Keras 2 argument"):
        TensorBoard(write_grads=True)
    assert TensorBoard(profile_batch="3,5")._start_batch == 3


# ---------------------------------------------------------------- the event-file format itself
def test_crc32c_and_record_framing(tmp_path):
    assert events.crc32c(b"123456789") == 0xE3069283  # the standard CRC-32C check value
    assert events.crc32c(b"") == 0
    path = tmp_path / "records"
    path.write_bytes(events.encode_record(b"abc") + events.encode_record(b""))
    assert events.read_records(path) == [b"abc", b""]
    corrupt = bytearray(path.read_bytes())
    corrupt[12] ^= 1
    path.write_bytes(bytes(corrupt))
    with pytest.raises(ValueError, match="bad data checksum"):
        events.read_records(path)


def test_own_writer_round_trip(tmp_path):
    writer = events.EventFileWriter(tmp_path)
    writer.add_scalar("a/b", 1.5, 7)
    writer.add_scalar("neg", -2.0, 2**40)
    writer.add_histogram("h", np.array([0.0, 1.0, 1.0, 3.0]), 1)
    writer.close()
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    read = events.read_events(path)
    assert read[0]["file_version"] == "brain.Event:2"
    assert [(e["step"], e["values"][0]["tag"], e["values"][0]["value"]) for e in read[1:3]] == \
        [(7, "a/b", 1.5), (2**40, "neg", -2.0)]
    histogram = read[3]["values"][0]["value"]
    assert histogram["min"] == 0 and histogram["max"] == 3 and histogram["num"] == 4
    assert histogram["sum"] == 5 and histogram["sum_squares"] == 11
    assert sum(histogram["bucket"]) == 4 and histogram["bucket_limit"][-1] == 3


@pytest.mark.parametrize("own_writer", [True, False])
def test_tensorboard_reads_the_files(tmp_path, monkeypatch, own_writer):
    accumulator_module = pytest.importorskip(
        "tensorboard.backend.event_processing.event_accumulator")
    if own_writer:
        monkeypatch.setattr(tensorboard_module, "tensorboard_installed", lambda: False)
    _, history = _fit(tmp_path, [TensorBoard(tmp_path, histogram_freq=1, write_images=True)])
    train = accumulator_module.EventAccumulator(str(tmp_path / "train"), size_guidance={}).Reload()
    validation = accumulator_module.EventAccumulator(str(tmp_path / "validation")).Reload()
    np.testing.assert_allclose([e.value for e in train.Scalars("epoch_loss")],
                               history.history["loss"], rtol=1e-6)
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1]
    np.testing.assert_allclose([e.value for e in validation.Scalars("epoch_loss")],
                               history.history["val_loss"], rtol=1e-6)
    histogram = train.Histograms("sequential/d1/kernel/histogram")[-1].histogram_value
    assert histogram.num == 6
    image = train.Images("sequential/d1/kernel/image")[-1]
    assert (image.height, image.width) == (2, 3)
    assert image.encoded_image_string.startswith(b"\x89PNG")
    assert "keras" in train.Tags()["tensors"]
