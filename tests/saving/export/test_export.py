"""model.export(): torch.export programs and ONNX files that predict what the model predicts."""

import numpy as np
import pytest
import torch

import lamina


def mlp():
    inputs = lamina.Input((4,), name="features")
    x = lamina.layers.Dense(8, activation="relu")(inputs)
    x = lamina.layers.Dropout(0.5)(x)  # must be inactive in the exported inference function
    return lamina.Model(inputs, lamina.layers.Dense(3, activation="softmax")(x))


def two_inputs():
    a = lamina.Input((3,), name="a")
    b = lamina.Input((2,), dtype="int32", name="b")
    e = lamina.layers.Flatten()(lamina.layers.Embedding(10, 2)(b))
    return lamina.Model([a, b], [lamina.layers.Dense(2)(a), lamina.layers.Dense(1)(e)])


def test_torch_export_program_reloads_and_matches(tmp_path):
    model = mlp()
    model.export(tmp_path / "m.pt2")  # format from the extension
    program = torch.export.load(tmp_path / "m.pt2")
    for batch in (1, 5, 17):  # the batch dimension stays dynamic
        x = np.random.rand(batch, 4).astype("float32")
        got = program.module()(torch.from_numpy(x)).detach().numpy()
        np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-6)


def test_torch_export_multi_input_and_format_alias(tmp_path):
    model = two_inputs()
    lamina.saving.export.export(model, tmp_path / "m.bin", format="torch")
    program = torch.export.load(tmp_path / "m.bin")
    xa, xb = np.random.rand(6, 3).astype("float32"), np.random.randint(0, 10, (6, 2)).astype("int32")
    got = program.module()(torch.from_numpy(xa), torch.from_numpy(xb))
    for a, b in zip(got, model.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(a.detach().numpy(), b, atol=1e-6)


def test_input_signature_for_a_model_without_inputs(tmp_path):
    class Doubler(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = lamina.layers.Dense(2)

        def call(self, x):
            return self.dense(x) * 2

    model = Doubler()
    with pytest.raises(ValueError, match="no known input shape.*input_signature"):
        model.export(tmp_path / "m.pt2")
    model.export(tmp_path / "m.pt2", format="torch_export", input_signature=[(None, 5)])
    x = np.random.rand(3, 5).astype("float32")
    got = torch.export.load(tmp_path / "m.pt2").module()(torch.from_numpy(x))
    np.testing.assert_allclose(got.detach().numpy(), model.predict(x, verbose=0), atol=1e-6)


def test_exported_file_loads_without_lamina_classes(tmp_path):
    mlp().export(tmp_path / "m.pt2")
    program = torch.export.load(tmp_path / "m.pt2")
    assert all(type(v) in (torch.nn.Parameter, torch.Tensor) for v in program.state_dict.values())


def test_bad_formats(tmp_path):
    model = mlp()
    with pytest.raises(ValueError, match="needs TensorFlow.*onnx.*torch_export"):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match="Unknown export format 'jax'"):
        model.export(tmp_path / "m", format="jax")
    with pytest.raises(ValueError, match="Cannot tell the export format.*\\.onnx.*\\.pt2"):
        model.export(tmp_path / "m.bin")


def test_onnx_without_onnx_installed_explains(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ImportError, match="pip install onnx onnxscript onnxruntime"):
        mlp().export(tmp_path / "m.onnx")


def test_onnx_export_runs_in_onnxruntime(tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxscript")
    onnxruntime = pytest.importorskip("onnxruntime")
    model = two_inputs()
    model.export(tmp_path / "m.onnx", format="onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    assert [i.name for i in session.get_inputs()] == ["a", "b"]
    xa, xb = np.random.rand(7, 3).astype("float32"), np.random.randint(0, 10, (7, 2)).astype("int32")
    got = session.run(None, {"a": xa, "b": xb})
    for a, b in zip(got, model.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-5)
