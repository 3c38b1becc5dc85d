"""Bad arguments and misuse give errors that say what was wrong and how to fix it."""

import contextlib

import pytest
import torch

from lamina import optimizers


def test_only_one_clipping_option_may_be_set():
    message = "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set"
    with pytest.raises(ValueError, match=message):
        optimizers.Adam(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match="global_clipnorm=2.0"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=2.0)


def test_misspelt_keyword_suggests_the_right_one():
    message = r"Adam got an unexpected keyword argument 'beta1'\. Did you mean 'beta_1'\?"
    with pytest.raises(TypeError, match=message):
        optimizers.Adam(beta1=0.8)
    with pytest.raises(TypeError, match=r"'learnig_rate'\. Did you mean 'learning_rate'\?"):
        optimizers.SGD(learnig_rate=0.1)
    with pytest.raises(TypeError, match=r"Did you mean 'clipnorm'\?"):
        optimizers.RMSprop(clip_norm=1.0)


def test_lr_and_learning_rate_together_are_rejected():
    with pytest.raises(TypeError, match="pass either `lr` or `learning_rate`, not both"):
        optimizers.Adam(lr=0.1, learning_rate=0.2)


@pytest.mark.parametrize("value", ["0.1", None, [0.1], True])
def test_learning_rate_must_be_a_number_schedule_or_callable(value):
    with pytest.raises(ValueError, match="Argument `learning_rate` should be a float"):
        optimizers.Adam(learning_rate=value)


def test_integer_learning_rate_is_accepted():
    assert float(optimizers.SGD(learning_rate=1).learning_rate) == 1.0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: optimizers.SGD(momentum=1.5), r"`momentum` must be a float between \[0, 1\]"),
        (lambda: optimizers.AdamW(weight_decay=None), "AdamW needs a float `weight_decay`"),
        (lambda: optimizers.Lion(beta_1=0.0), r"`beta_1` must be in the \(0, 1\] range"),
        (lambda: optimizers.Adam(gradient_accumulation_steps=1), "must be an integer >= 2"),
        (
            lambda: optimizers.Adam(use_ema=True, ema_momentum=2.0),
            r"`ema_momentum` must be in the range \[0, 1\]",
        ),
        (lambda: optimizers.Adam(use_ema=True, ema_overwrite_frequency=0), "integer >= 1 or None"),
        (lambda: optimizers.SGD(decay=-1.0), "`decay` must be a float >= 0"),
    ],
)
def test_invalid_hyperparameters(make, message):
    with pytest.warns(DeprecationWarning) if "`decay`" in message else contextlib.nullcontext():
        with pytest.raises(ValueError, match=message):
            make()


def test_apply_before_build_needs_the_variables():
    with pytest.raises(ValueError, match=r"before it was built\. Pass the variables too"):
        optimizers.Adam().apply([torch.ones(2)])


def test_gradient_count_must_match_the_built_variables():
    optimizer = optimizers.Adam()
    optimizer.build([torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match="received 2 gradients but was built with 1 variables"):
        optimizer.apply([torch.ones(2), torch.ones(2)])


def test_unknown_variables_are_rejected():
    optimizer = optimizers.SGD()
    optimizer.build([torch.nn.Parameter(torch.ones(2))])
    with pytest.raises(ValueError, match="a variable it was not built with"):
        optimizer.apply([torch.ones(2)], [torch.nn.Parameter(torch.ones(2))])


def test_all_gradients_none_is_an_error():
    with pytest.raises(ValueError, match="no gradient for any variable"):
        optimizers.SGD().apply([None], [torch.nn.Parameter(torch.ones(2))])
