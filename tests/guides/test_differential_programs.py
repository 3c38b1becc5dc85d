"""lamina against Keras 3 on whole small programs in the style of Keras's guides
(tests/guides/differential_programs.py and composition_programs.py): the same code, run with
`keras` bound to lamina, must give what Keras gave (tests/fixtures/guide_programs/
differential_keras.json, recorded by record_differential.py there on Keras's torch backend, or
on its TensorFlow backend for the layers that need TensorFlow in Keras). Numbers agree to 1e-5
(relative beyond 1); everything else (shapes, names, orders, callback sequences) exactly."""

import json
import os

import pytest

import lamina as keras
from tests.guides import composition_programs, differential_programs

PROGRAMS = {**differential_programs.PROGRAMS, **composition_programs.PROGRAMS}

RECORDED = os.path.join(os.path.dirname(__file__), "..", "fixtures", "guide_programs",
                        "differential_keras.json")
with open(RECORDED) as f:
    KERAS = json.load(f)


def differences(expected, actual, where=""):
    if isinstance(expected, dict) and isinstance(actual, dict):
        if expected.keys() != actual.keys():
            return [f"{where}: keys {sorted(expected)} != {sorted(actual)}"]
        return [d for key in expected for d in differences(expected[key], actual[key],
                                                           f"{where}/{key}")]
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items != {len(actual)}: {actual!r:.200}"]
        return [d for i, (e, a) in enumerate(zip(expected, actual))
                for d in differences(e, a, f"{where}[{i}]")]
    numbers = (int, float)
    if isinstance(expected, numbers) and isinstance(actual, numbers) and not (
            isinstance(expected, bool) or isinstance(actual, bool)):
        return [] if abs(expected - actual) <= 1e-5 * max(1.0, abs(expected)) else [
            f"{where}: Keras {expected!r}, lamina {actual!r}"]
    return [] if expected == actual else [f"{where}: Keras {expected!r:.300}, lamina {actual!r:.300}"]


def test_every_program_was_recorded():
    assert not set(differential_programs.PROGRAMS) & set(composition_programs.PROGRAMS)
    assert sorted(KERAS) == sorted(PROGRAMS)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_lamina_answers_as_keras_does(name):
    keras.utils.clear_session()
    result = json.loads(json.dumps(PROGRAMS[name](keras), default=str))
    found = differences(KERAS[name]["result"], result, name)
    assert not found, "\n".join(found[:10])


# Programs whose train steps exercise the compiled path's hard parts: add_loss without a
# compiled loss, compute_loss overrides, a frozen sublayer, masks through custom layers,
# dict outputs with loss weights, LSTM states, a PyDataset with class weights.
COMPILED = ["add_loss_without_compiled_loss", "vae_guide", "trainable_propagation",
            "compute_loss_override", "mask_argument_from_nested_layer",
            "multi_output_loss_weights_dict", "distiller_compile_and_compute_loss",
            "seq2seq_lstm_states_and_inference_models", "pydataset_dict_inputs_and_class_weight"]


# (Dynamo probes `.grad` of every tensor it meets and hides torch's warning about non-leaf
# tensors with a filter of its own, which this suite's "error" setting overrides.)
@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
@pytest.mark.parametrize("name", COMPILED)
def test_compiled_steps_answer_as_keras_does(name, monkeypatch):
    """The same programs with every compile() given jit_compile=True (Dynamo's capture and
    autograd, without code generation: the aot_eager backend) still give Keras's numbers."""
    from lamina.models.model import Model
    from lamina.trainers import step_compiler

    monkeypatch.setattr(step_compiler, "BACKEND", "aot_eager")
    compile_eagerly = Model.compile

    def compile_jit(self, *args, **kwargs):
        return compile_eagerly(self, *args, **{**kwargs, "jit_compile": True})

    monkeypatch.setattr(Model, "compile", compile_jit)
    keras.utils.clear_session()
    result = json.loads(json.dumps(PROGRAMS[name](keras), default=str))
    found = differences(KERAS[name]["result"], result, name)
    assert not found, "\n".join(found[:10])
