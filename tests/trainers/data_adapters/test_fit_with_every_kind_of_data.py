"""model.fit / evaluate / predict on each kind of data, once the trainer uses the adapters.

Skipped until lamina/trainers/trainer.py builds its batches with `data_adapters`.
"""

import numpy as np
import pytest
import torch

import lamina
from lamina.trainers import trainer as trainer_module
from lamina.utils.py_dataset import PyDataset

pytestmark = pytest.mark.skipif(not hasattr(trainer_module, "data_adapters"),
                                reason="the trainer does not use the data adapters yet")


class Batches(PyDataset):
    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y

    def __len__(self):
        return 3

    def __getitem__(self, index):
        part = slice(index * 4, (index + 1) * 4)
        return self.x[part], self.y[part]


def sources(kit):
    x, y, _ = kit.reference_data()
    tensors = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    return {
        "generator": lambda: kit.reference_batches(),
        "PyDataset": lambda: Batches(x, y, workers=2),
        "torch Dataset": lambda: tensors,
        "DataLoader": lambda: torch.utils.data.DataLoader(tensors, batch_size=4),
    }


@pytest.mark.parametrize("kind", ["generator", "PyDataset", "torch Dataset", "DataLoader"])
def test_fit_evaluate_predict_match_keras(kit, keras_runs, kind):
    reference = keras_runs["generator"]
    model = kit.reference_model()
    history = model.fit(sources(kit)[kind](), batch_size=None if kind != "torch Dataset" else 4,
                        shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(reference["loss"], rel=1e-5)
    for got, want in zip(model.get_weights(), reference["final_weights"]):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    loss = model.evaluate(kit.reference_batches(with_weights=True), verbose=0)
    assert loss == pytest.approx(reference["evaluate"], rel=1e-5)
    x, _, _ = kit.reference_data()
    # (atol: float32 round-off on a prediction near zero, which rtol alone cannot absorb)
    np.testing.assert_allclose(model.predict(Batches(x, x), verbose=0),
                               np.asarray(reference["predict"]), rtol=1e-5, atol=1e-6)


def test_a_finite_generator_trains_one_epoch_then_stops_with_a_warning(kit):
    model = kit.reference_model()
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(kit.reference_batches(), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1


def test_validation_data_and_steps_with_generators(kit):
    x, y, _ = kit.reference_data()

    def endless():
        while True:
            yield from kit.reference_batches()

    model = kit.reference_model()
    history = model.fit(endless(), steps_per_epoch=3, epochs=2, validation_data=endless(),
                        validation_steps=3, verbose=0)
    assert len(history.history["val_loss"]) == 2
    # The validation loss of the last epoch is evaluate() on the same model and batches.
    expected = model.evaluate(x, y, batch_size=4, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(expected, rel=1e-5)


def test_validation_split_is_refused_for_a_generator(kit):
    model = kit.reference_model()
    with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays"):
        model.fit(kit.reference_batches(), validation_split=0.2, verbose=0)


def test_a_custom_train_step_receives_keras_shaped_data(kit):
    seen = []

    class Custom(lamina.Sequential):
        def train_step(self, data):
            x, y = data  # Keras hands (x, y) when there are no sample weights
            seen.append(type(data).__name__)
            return super().train_step(data)

    model = Custom([lamina.Input(shape=(3,)), lamina.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(kit.reference_batches(), verbose=0)
    assert seen == ["tuple"] * 3


def test_keras2_generator_methods_forward_with_a_warning():
    def batches():
        rng = np.random.RandomState(0)
        while True:
            x = rng.rand(4, 3).astype("float32")
            yield x, x.sum(axis=1, keepdims=True)

    model = lamina.Sequential([lamina.Input(shape=(3,)), lamina.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(DeprecationWarning, match="fit\\(\\)"):
        history = model.fit_generator(batches(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="evaluate\\(\\)"):
        assert isinstance(model.evaluate_generator(batches(), steps=2, verbose=0), float)
    with pytest.warns(DeprecationWarning, match="predict\\(\\)"):
        assert model.predict_generator(batches(), steps=2, verbose=0).shape == (8, 1)


def test_keras2_fit_loading_arguments_are_forwarded_with_a_warning():
    class Batches(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            x = np.full((4, 3), float(index), dtype="float32")
            return x, x.sum(axis=1, keepdims=True)

    model = lamina.Sequential([lamina.Input(shape=(3,)), lamina.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(DeprecationWarning, match="PyDataset"):
        history = model.fit(Batches(), epochs=1, workers=2, verbose=0)
    assert len(history.history["loss"]) == 1
