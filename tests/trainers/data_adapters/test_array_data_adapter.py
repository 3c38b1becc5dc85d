"""In-memory arrays: batching, ragged last batch, shuffling, steps (continuing and cycling)."""

import numpy as np
import pytest
import torch

import lamina
from lamina.trainers.data_adapters import ArrayDataAdapter, get_data_adapter

X = np.arange(10, dtype="float32").reshape(10, 1)
Y = np.arange(10)


def test_batches_in_order_with_a_ragged_last_batch(kit):
    adapter = get_data_adapter(X, Y, batch_size=4)
    assert adapter.is_array_data and adapter.num_batches == 3
    assert kit.epoch_rows(adapter, 2) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]] * 2
    x, y, sample_weight = next(iter(adapter.batches()))
    assert x.dtype == torch.float32 and y.dtype == torch.int64 and sample_weight is None
    np.testing.assert_array_equal(y.numpy(), [0, 1, 2, 3])


def test_default_batch_size_is_32_or_enough_for_steps():
    many = np.zeros((70, 1), "float32")
    assert get_data_adapter(many).batch_size == 32
    assert get_data_adapter(many).num_batches == 3
    # Keras: with `steps` and no batch_size, batches are sized so `steps` of them cover the data.
    assert get_data_adapter(many, steps=3).batch_size == 24
    assert get_data_adapter(X, steps=3).batch_size == 4


def test_shuffle_draws_a_new_permutation_each_epoch(kit):
    torch.manual_seed(1)
    adapter = get_data_adapter(X, Y, batch_size=4, shuffle=True)
    first, second = kit.epoch_rows(adapter, 2)
    for epoch in (first, second):
        assert sorted(sum(epoch, [])) == list(range(10))
        assert [len(b) for b in epoch] == [4, 4, 2]
    assert first != second
    # y travels with x
    for x, y, _ in adapter.batches():
        np.testing.assert_array_equal(x[:, 0].numpy(), y.numpy())


def test_shuffle_batch_moves_whole_chunks(kit):
    torch.manual_seed(3)
    adapter = get_data_adapter(X, batch_size=4, shuffle="batch")
    orders = set()
    for epoch in kit.epoch_rows(adapter, 6):
        chunks = sorted(tuple(b) for b in epoch)
        assert chunks == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9)]
        orders.add(tuple(tuple(b) for b in epoch))
    assert len(orders) > 1


def test_steps_shorter_than_the_data_continue_where_the_last_epoch_stopped(kit):
    adapter = get_data_adapter(X, batch_size=4, steps=2)
    assert adapter.num_batches == 2
    assert kit.epoch_rows(adapter, 3) == [
        [[0, 1, 2, 3], [4, 5, 6, 7]],
        [[8, 9], [0, 1, 2, 3]],
        [[4, 5, 6, 7], [8, 9]],
    ]


def test_steps_longer_than_the_data_cycle_through_it(kit):
    adapter = get_data_adapter(X, batch_size=4, steps=5)
    (epoch,) = kit.epoch_rows(adapter)
    assert epoch == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7]]


def test_cycling_reshuffles_each_pass(kit):
    torch.manual_seed(0)
    adapter = get_data_adapter(X, batch_size=5, steps=6, shuffle=True)
    (epoch,) = kit.epoch_rows(adapter)
    passes = [sum(epoch[i:i + 2], []) for i in (0, 2, 4)]
    assert all(sorted(p) == list(range(10)) for p in passes)
    assert len({tuple(p) for p in passes}) > 1


def test_an_epoch_stopped_early_restarts_from_the_beginning(kit):
    adapter = get_data_adapter(X, batch_size=4)
    for _ in adapter.batches():
        break  # e.g. stop_training after one batch
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]


def test_peek_returns_the_first_batch_without_using_it_up(kit):
    adapter = get_data_adapter(X, Y, batch_size=4)
    x, y, _ = adapter.peek()
    np.testing.assert_array_equal(x[:, 0].numpy(), [0, 1, 2, 3])
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]


def test_reset_starts_again_from_the_beginning(kit):
    adapter = get_data_adapter(X, batch_size=4, steps=2)
    kit.epoch_rows(adapter)
    adapter.reset()
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7]]]


def test_dicts_and_lists_of_arrays_are_sliced_together():
    adapter = get_data_adapter({"a": X, "b": X * 2}, [Y, Y * 3], batch_size=4)
    x, y, _ = next(iter(adapter.batches()))
    np.testing.assert_array_equal(x["b"][:, 0].numpy(), [0, 2, 4, 6])
    np.testing.assert_array_equal(y[1].numpy(), [0, 3, 6, 9])


def test_class_weight_becomes_sample_weights():
    labels = np.array([0, 1, 1, 0, 2])
    adapter = get_data_adapter(np.zeros((5, 1)), labels, class_weight={0: 2.0, 1: 0.5},
                               batch_size=5)
    _, _, sample_weight = adapter.peek()
    np.testing.assert_allclose(sample_weight.numpy(), [2.0, 0.5, 0.5, 2.0, 1.0])
    with pytest.raises(ValueError, match="both `class_weight` and `sample_weight`"):
        get_data_adapter(X, Y, np.ones(10), class_weight={0: 1.0})


def test_floats_follow_floatx():
    lamina.config.set_floatx("float64")
    try:
        x, _, _ = get_data_adapter(X.astype("float16"), Y).peek()
        assert x.dtype == torch.float64
    finally:
        lamina.config.set_floatx("float32")


def test_bad_arrays():
    with pytest.raises(ValueError, match="different numbers of samples"):
        get_data_adapter(X, Y[:5])
    with pytest.raises(ValueError, match=r"NaN or infinite values \(first at sample 2\)"):
        get_data_adapter(np.array([[0.0], [1.0], [np.nan]]))
    with pytest.raises(TypeError, match="non-numeric data"):
        get_data_adapter(X[:2], np.array(["a", "b"]))  # text labels: convert them first


def test_predict_passes_nan_and_inf_through_as_keras_does():
    """fit and evaluate refuse NaN/inf in the data; predict, as in Keras 3 (checked on JAX),
    returns NaN and inf for those rows and is spared the scan of the whole array."""
    import lamina as keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    x = np.ones((4, 3), "float32")
    x[2, 1], x[3, 0] = np.nan, np.inf
    predictions = model.predict(x, verbose=0)
    clean = model.predict(np.ones((2, 3), "float32"), verbose=0)
    np.testing.assert_array_equal(predictions[:2], clean)
    assert np.isnan(predictions[2]).all()
    assert np.isinf(predictions[3]).all()
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match="NaN or infinite values"):
        model.evaluate(x, np.ones((4, 2)), verbose=0)


def test_text_inputs_stay_on_the_host_in_order():
    text = np.array(["a", "b", "c", "d", "e"])
    adapter = get_data_adapter(text, np.arange(5.0), batch_size=2, shuffle=True)
    batches = list(adapter.batches())
    assert all(isinstance(x, np.ndarray) for x, _, _ in batches)
    seen = np.concatenate([x for x, _, _ in batches])
    labels = torch.cat([y for _, y, _ in batches]).numpy()
    assert sorted(seen) == list(text)
    assert [text[int(i)] for i in labels] == list(seen)  # rows stay paired with their labels
    with pytest.raises(ValueError, match="positive integer"):
        get_data_adapter(X, steps=0)


def test_old_positional_signature_still_works():
    """The trainer builds ArrayDataAdapter(x, y, sw, batch_size, shuffle, steps, device)."""
    adapter = ArrayDataAdapter(X, Y, None, 4, False, 5, torch.device("cpu"))
    assert adapter.num_batches == 5 and len(list(adapter.batches())) == 5
