"""Every kind of data source trains, evaluates and predicts as real Keras 3 does on the same batches.

Keras reference: fixtures/keras_data_runs.json (fixtures/make_fixtures.py): a Dense(1) model,
SGD(0.1), MSE, one epoch over batches of 4, 4 and 2 samples, no shuffling.
"""

import numpy as np
import pytest
import torch

import lamina
from lamina.trainers.data_adapters import get_data_adapter
from lamina.trainers.data_adapters.class_weights import ClassWeights
from lamina.utils.py_dataset import PyDataset


class ReferenceBatches(PyDataset):
    def __init__(self, batches, **kwargs):
        super().__init__(**kwargs)
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


def unweighted_sources(kit):
    x, y, _ = kit.reference_data()
    batches = list(kit.reference_batches())
    tensors = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return {
        "generator": lambda: get_data_adapter(kit.reference_batches()),
        "list iterator": lambda: get_data_adapter(iter(batches)),
        "arrays": lambda: get_data_adapter(x, y, batch_size=4),
        "PyDataset": lambda: get_data_adapter(ReferenceBatches(batches)),
        "PyDataset, 3 threads": lambda: get_data_adapter(ReferenceBatches(batches, workers=3)),
        "PyDataset, 2 processes": lambda: get_data_adapter(
            ReferenceBatches(batches, workers=2, use_multiprocessing=True)),
        "torch Dataset": lambda: get_data_adapter(tensors, batch_size=4),
        "torch DataLoader": lambda: get_data_adapter(
            torch.utils.data.DataLoader(tensors, batch_size=4)),
    }


@pytest.mark.parametrize("source", [
    "generator", "list iterator", "arrays", "PyDataset", "PyDataset, 3 threads",
    "PyDataset, 2 processes", "torch Dataset", "torch DataLoader",
])
def test_one_epoch_matches_keras(kit, keras_runs, source):
    reference = keras_runs["generator"]
    assert keras_runs["py_dataset"]["final_weights"] == reference["final_weights"]
    model = kit.reference_model()
    (loss,) = kit.train_through(model, unweighted_sources(kit)[source]())
    assert loss == pytest.approx(reference["loss"], rel=1e-5)
    for got, want in zip(model.get_weights(), reference["final_weights"]):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("source", ["generator", "arrays", "torch Dataset"])
def test_sample_weights_from_each_source_match_keras(kit, keras_runs, source):
    x, y, sample_weight = kit.reference_data()
    make = {
        "generator": lambda: get_data_adapter(kit.reference_batches(with_weights=True)),
        "arrays": lambda: get_data_adapter(x, y, sample_weight, batch_size=4),
        "torch Dataset": lambda: get_data_adapter(torch.utils.data.TensorDataset(
            *(torch.from_numpy(a) for a in (x, y, sample_weight))), batch_size=4),
    }[source]
    reference = keras_runs["generator_weighted"]
    model = kit.reference_model()
    (loss,) = kit.train_through(model, make())
    assert loss == pytest.approx(reference["loss"], rel=1e-5)
    for got, want in zip(model.get_weights(), reference["final_weights"]):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)


def test_evaluate_and_predict_on_generators_match_keras(kit, keras_runs):
    reference = keras_runs["generator"]
    model = kit.reference_model()
    kit.train_through(model, get_data_adapter(kit.reference_batches()))
    loss = kit.evaluate_through(model, get_data_adapter(kit.reference_batches(with_weights=True)))
    assert loss == pytest.approx(reference["evaluate"], rel=1e-5)
    x, _, _ = kit.reference_data()
    predictions = kit.predict_through(
        model, get_data_adapter((x[i:i + 4],) for i in range(0, 10, 4)))
    # (atol: float32 round-off on a prediction near zero, which rtol alone cannot absorb)
    np.testing.assert_allclose(predictions, np.asarray(reference["predict"]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["sparse", "column", "one_hot", "float_labels"])
def test_class_weights_match_keras(keras_runs, case):
    reference = keras_runs["class_weight"]
    class_weight = {int(k): v for k, v in reference["class_weight"].items()}
    y = torch.tensor(reference["cases"][case]["y"], dtype=torch.float32)
    weights = ClassWeights(class_weight).sample_weights(y)
    np.testing.assert_allclose(weights.numpy(), reference["cases"][case]["sample_weight"])


def test_class_weight_applies_to_generator_batches(kit):
    """Per-batch class weights train exactly as the same weights given as sample weights."""
    x, y, _ = kit.reference_data()
    labels = (y[:, 0] > 0).astype("float32")
    class_weight = {0: 0.25, 1: 3.0}
    weights = np.where(labels > 0, 3.0, 0.25).astype("float32")

    def batches(with_weights):
        for start in range(0, 10, 4):
            part = slice(start, start + 4)
            yield (x[part], labels[part]) + ((weights[part],) if with_weights else ())

    by_class = kit.reference_model()
    kit.train_through(by_class, get_data_adapter(batches(False), class_weight=class_weight))
    by_sample = kit.reference_model()
    kit.train_through(by_sample, get_data_adapter(batches(True)))
    for a, b in zip(by_class.get_weights(), by_sample.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    unweighted = kit.reference_model()
    kit.train_through(unweighted, get_data_adapter(batches(False)))
    assert not np.allclose(unweighted.get_weights()[0], by_class.get_weights()[0])


def test_class_weight_with_batches_carrying_sample_weights_is_refused(kit):
    adapter = get_data_adapter(kit.reference_batches(with_weights=True), class_weight={0: 1.0})
    with pytest.raises(ValueError, match="both `class_weight` and `sample_weight`"):
        adapter.peek()


def test_bad_class_weight_keys():
    with pytest.raises(ValueError, match="non-negative integer class indices"):
        ClassWeights({"cat": 1.0})
    with pytest.raises(TypeError, match="must be a dict"):
        ClassWeights([1.0, 2.0])
    with pytest.raises(ValueError, match="single output"):
        ClassWeights({0: 1.0}).sample_weights([torch.zeros(2), torch.zeros(2)])


def test_trained_model_still_fits_with_lamina_fit(kit):
    """Sanity: the helper path and model.fit on arrays agree (so the helper is a faithful fit)."""
    x, y, _ = kit.reference_data()
    via_fit = kit.reference_model()
    via_fit.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    via_adapter = kit.reference_model()
    kit.train_through(via_adapter, get_data_adapter(x, y, batch_size=4))
    for a, b in zip(via_fit.get_weights(), via_adapter.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert isinstance(via_fit, lamina.Sequential)
