"""The checks of trainers/argument_checks.py on their own, whatever calls them (issue 14)."""

import numpy as np
import pytest

from lamina.trainers import argument_checks


def test_compile_arguments():
    argument_checks.check_compile_arguments(None, False, True)
    argument_checks.check_compile_arguments({"a": 1.0, "b": [0.5, np.float32(2)]}, True, False)
    with pytest.raises(TypeError, match=r"`loss_weights`.*loss_weights='x'"):
        argument_checks.check_compile_arguments("x", False, True)
    with pytest.raises(TypeError, match=r"`run_eagerly` must be True or False.*'yes'"):
        argument_checks.check_compile_arguments(None, "yes", True)


def test_single_batch_methods_list_their_own_keywords():
    argument_checks.check_batch_arguments("train_on_batch", {}, True, {0: 1.0})
    with pytest.raises(TypeError, match=r"'sample_weights'.*Did you mean 'sample_weight'\?.*"
                                        r"Valid keywords: class_weight, return_dict, "
                                        r"sample_weight, x, y\."):
        argument_checks.check_batch_arguments("train_on_batch", {"sample_weights": 1})
    with pytest.raises(TypeError, match=r"test_on_batch.*'class_weight'.*Valid keywords: "
                                        r"return_dict, sample_weight, x, y\."):
        argument_checks.check_batch_arguments("test_on_batch", {"class_weight": {}})
    with pytest.raises(TypeError, match=r"predict_on_batch.*Valid keywords: x\."):
        argument_checks.check_batch_arguments("predict_on_batch", {"verbose": 0})
    with pytest.raises(TypeError, match=r"`return_dict`.*return_dict='yes'"):
        argument_checks.check_batch_arguments("test_on_batch", {}, "yes")


@pytest.mark.parametrize("class_weight, error, words", [
    ([1, 2], TypeError, "class_weight=[1, 2]"),
    ({"a": 1.0}, TypeError, "'a'"),
    ({0: "x"}, ValueError, "class_weight[0]='x'"),
    ({0: float("nan")}, ValueError, "class_weight[0]=nan"),
    ({0: -1.0}, ValueError, "class_weight[0]=-1.0"),
])
def test_class_weight(class_weight, error, words):
    argument_checks.check_class_weight({0: 1.0, np.int64(1): np.float32(2.0)}, "fit()")
    with pytest.raises(error) as caught:
        argument_checks.check_class_weight(class_weight, "Model.fit()")
    assert words in str(caught.value) and "Model.fit()" in str(caught.value)


def test_validation_split_must_be_a_number():
    arguments = dict(batch_size=None, epochs=1, verbose=0, shuffle=True, initial_epoch=0,
                     steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
                     validation_freq=1)
    argument_checks.check_fit_arguments(**arguments, validation_split=0.2)
    with pytest.raises(TypeError, match="validation_split='half'"):
        argument_checks.check_fit_arguments(**arguments, validation_split="half")


def test_targets_are_asked_for_only_when_arrays_come_without_them():
    x = np.ones((4, 2), "float32")
    argument_checks.check_targets_given(x, x, "mse", "Model.fit()")
    argument_checks.check_targets_given(x, None, None, "Model.fit()")  # no compiled loss
    argument_checks.check_targets_given(iter([]), None, "mse", "Model.fit()")  # yields its own
    argument_checks.check_targets_given("data.csv", None, "mse", "Model.fit()")  # adapter says
    with pytest.raises(ValueError, match=r"Model.evaluate\(\) received `x` but no targets `y`.*"
                                         r"loss='mse'.*evaluate\(x, y, \.\.\.\)"):
        argument_checks.check_targets_given(x, None, "mse", "Model.evaluate()")
