"""Keras 2's TimeseriesGenerator (lamina/preprocessing/sequence.py) gives the batches Keras's
own copy of it gives (recorded by tests/fixtures/keras2_sequence/make_fixtures.py), and feeds
fit as an LSTM forecasting tutorial does."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina.preprocessing.sequence import TimeseriesGenerator

pytestmark = pytest.mark.filterwarnings("ignore:TimeseriesGenerator is Keras 2")

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras2_sequence",
                       "keras_timeseries_generator.json")
with open(FIXTURE) as f:
    RECORDED = json.load(f)
DATA = np.arange(50 * 2).reshape(50, 2).astype("float64")
TARGETS = np.arange(50).astype("float64") * 10


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_batches_equal_keras(name):
    case = RECORDED[name]
    generator = TimeseriesGenerator(DATA, TARGETS, **case["kwargs"])
    assert len(generator) == case["len"]
    for index, (x, y) in enumerate(case["batches"]):
        windows, targets = generator[index]
        np.testing.assert_array_equal(windows, np.array(x))
        np.testing.assert_array_equal(targets, np.array(y))


def test_a_forecasting_tutorial_trains_on_it():
    series = np.sin(np.arange(120) * 0.2).astype("float32")[:, None]
    with pytest.warns(DeprecationWarning, match="timeseries_dataset_from_array"):
        generator = TimeseriesGenerator(series, series, length=10, batch_size=16)
    model = lamina.Sequential([lamina.Input((10, 1)), lamina.layers.LSTM(4),
                               lamina.layers.Dense(1)])
    model.compile("adam", "mse")
    history = model.fit(generator, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert model.predict(generator, verbose=0).shape == (110, 1)
    config = json.loads(generator.to_json())["config"]
    assert config["length"] == 10 and config["start_index"] == 10


def test_shuffle_is_reproducible_with_the_seed_and_errors_say_what_to_do():
    lamina.utils.set_random_seed(3)
    first = TimeseriesGenerator(DATA, TARGETS, length=4, shuffle=True, batch_size=6)[0][1]
    lamina.utils.set_random_seed(3)
    again = TimeseriesGenerator(DATA, TARGETS, length=4, shuffle=True, batch_size=6)[0][1]
    np.testing.assert_array_equal(first, again)
    assert np.all(first >= 40)  # targets of rows 4.. only
    with pytest.raises(ValueError, match="one target per row"):
        TimeseriesGenerator(DATA, TARGETS[:10], length=4)
    with pytest.raises(ValueError, match="shorter `length`"):
        TimeseriesGenerator(DATA, TARGETS, length=60)
