"""Python generators and iterators: batch formats, read-once semantics, steps, errors."""

import itertools
import traceback

import numpy as np
import pytest
import torch

from lamina.trainers.data_adapters import get_data_adapter, pack_x_y_sample_weight

X = np.arange(10, dtype="float64").reshape(10, 1)
Y = np.arange(10)


def finite(batch_size=4):
    for start in range(0, 10, batch_size):
        yield X[start:start + batch_size], Y[start:start + batch_size]


def endless(batch_size=4):
    while True:
        yield from finite(batch_size)


@pytest.mark.parametrize("form, expect_y, expect_weight", [
    (lambda: X[:4], False, False),
    (lambda: (X[:4],), False, False),
    (lambda: (X[:4], Y[:4]), True, False),
    (lambda: [X[:4], Y[:4]], True, False),  # a list counts as a tuple, as in Keras
    (lambda: (X[:4], Y[:4], np.ones(4)), True, True),
])
def test_batch_formats(form, expect_y, expect_weight):
    x, y, sample_weight = get_data_adapter(iter([form()])).peek()
    assert x.dtype == torch.float32 and x.shape == (4, 1)  # float64 -> floatx
    assert (y is not None) == expect_y and (sample_weight is not None) == expect_weight
    if expect_y:
        assert y.dtype == torch.int64


def test_nested_inputs_keep_their_structure():
    batch = ({"a": X[:2], "b": [X[:2], X[:2] * 2]}, Y[:2])
    x, y, _ = get_data_adapter(iter([batch])).peek()
    assert set(x) == {"a", "b"} and isinstance(x["b"], list)
    np.testing.assert_array_equal(x["b"][1][:, 0].numpy(), [0, 2])


def test_a_batch_of_four_parts_is_refused():
    adapter = get_data_adapter(iter([(X, Y, Y, Y)]))
    with pytest.raises(ValueError, match=r"`\(x, y, sample_weight\)`.*tuple of length 4"):
        adapter.peek()


def test_a_finite_generator_serves_one_epoch_then_runs_out(kit):
    adapter = get_data_adapter(finite())
    assert adapter.num_batches is None and not adapter.reiterable
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]
    assert adapter.num_batches == 3 and not adapter.ran_out_of_data
    with pytest.warns(UserWarning, match="ran out of data"):
        assert kit.epoch_rows(adapter) == [[]]
    assert adapter.ran_out_of_data


def test_running_out_in_the_middle_of_an_epoch(kit):
    adapter = get_data_adapter(finite(), steps=2)
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7]]]
    with pytest.warns(UserWarning, match="ran out of data"):
        assert kit.epoch_rows(adapter) == [[[8, 9]]]
    assert adapter.ran_out_of_data


def test_an_endless_generator_with_steps_continues_across_epochs(kit):
    adapter = get_data_adapter(endless(), steps=2)
    assert kit.epoch_rows(adapter, 2) == [
        [[0, 1, 2, 3], [4, 5, 6, 7]],
        [[8, 9], [0, 1, 2, 3]],
    ]
    adapter.reset()  # a generator cannot start again: it just goes on
    assert kit.epoch_rows(adapter) == [[[4, 5, 6, 7], [8, 9]]]


def test_training_on_an_endless_generator_equals_training_on_the_arrays(kit):
    x, y, _ = kit.reference_data()

    def batches():
        for start in itertools.cycle(range(0, 10, 4)):
            yield x[start:start + 4], y[start:start + 4]

    from_generator = kit.reference_model()
    losses = kit.train_through(from_generator, get_data_adapter(batches(), steps=3), epochs=3)
    from_arrays = kit.reference_model()
    history = from_arrays.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(losses, history.history["loss"], rtol=1e-6)
    for a, b in zip(from_generator.get_weights(), from_arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_peek_does_not_use_up_a_batch(kit):
    adapter = get_data_adapter(finite())
    x, _, _ = adapter.peek()
    assert x[:, 0].tolist() == [0, 1, 2, 3]
    assert adapter.peek() is adapter.peek()
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]


def test_an_error_in_the_generator_surfaces_with_its_own_traceback():
    def broken():
        yield X[:4], Y[:4]
        raise RuntimeError("bad record 17")

    adapter = get_data_adapter(broken())
    batches = adapter.batches()
    next(batches)
    with pytest.raises(RuntimeError, match="bad record 17") as error:
        next(batches)
    frames = traceback.extract_tb(error.value.__traceback__)
    assert frames[-1].name == "broken" and "bad record 17" in frames[-1].line
    adapter.close()


def test_targets_cannot_be_passed_beside_a_generator():
    with pytest.raises(ValueError, match="`y` must not be passed separately"):
        get_data_adapter(finite(), Y)
    with pytest.raises(ValueError, match="`sample_weight` must not be passed separately"):
        get_data_adapter(finite(), sample_weight=np.ones(10))


def test_shuffle_and_batch_size_are_ignored_for_generators(kit):
    adapter = get_data_adapter(finite(), batch_size=2, shuffle=True)
    assert kit.epoch_rows(adapter) == [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]]


def test_an_empty_generator_is_an_error():
    with pytest.raises(ValueError, match="produced no batches"):
        get_data_adapter(iter([])).peek()
    adapter = get_data_adapter(iter([]))
    with pytest.raises(ValueError, match="produced no batches"):
        list(adapter.batches())


def test_pack_x_y_sample_weight_gives_what_a_custom_train_step_unpacks():
    x, y, w = torch.ones(2), torch.zeros(2), torch.ones(2)
    assert pack_x_y_sample_weight(x) is x
    assert pack_x_y_sample_weight([x, x]) == ([x, x],)
    assert pack_x_y_sample_weight(x, y) == (x, y)
    assert pack_x_y_sample_weight(x, y, w) == (x, y, w)
