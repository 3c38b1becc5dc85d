"""Keras 2 module paths that old tutorials import from resolve to the modern objects, each
with a DeprecationWarning naming the modern path (lamina/utils/keras2_paths.py)."""

import importlib

import pytest

import lamina

PATHS = [
    ("lamina.layers.advanced_activations", "LeakyReLU", lamina.layers.LeakyReLU),
    ("lamina.layers.advanced_activations", "PReLU", lamina.layers.PReLU),
    ("lamina.layers.normalization", "BatchNormalization", lamina.layers.BatchNormalization),
    ("lamina.layers.embeddings", "Embedding", lamina.layers.Embedding),
    ("lamina.layers.wrappers", "TimeDistributed", lamina.layers.TimeDistributed),
    ("lamina.layers.wrappers", "Bidirectional", lamina.layers.Bidirectional),
    ("lamina.layers.merge", "concatenate", lamina.layers.concatenate),
    ("lamina.layers.merge", "Add", lamina.layers.Add),
    ("lamina.layers.noise", "GaussianNoise", lamina.layers.GaussianNoise),
    ("lamina.layers.cudnn_recurrent", "CuDNNLSTM", lamina.layers.CuDNNLSTM),
    ("lamina.engine", "Layer", lamina.layers.Layer),
    ("lamina.engine.topology", "Layer", lamina.layers.Layer),
    ("lamina.engine.training", "Model", lamina.Model),
    ("lamina.engine.input_layer", "Input", lamina.Input),
    ("lamina.engine.base_layer", "InputSpec", lamina.InputSpec),
    ("lamina.utils.data_utils", "Sequence", lamina.utils.Sequence),
    ("lamina.utils.data_utils", "get_file", lamina.utils.get_file),
    ("lamina.utils.generic_utils", "get_custom_objects", lamina.utils.get_custom_objects),
    ("lamina.utils.generic_utils", "CustomObjectScope", lamina.utils.CustomObjectScope),
    ("lamina.utils.generic_utils", "Progbar", lamina.utils.Progbar),
    ("lamina.utils.np_utils", "to_categorical", lamina.utils.to_categorical),
    ("lamina.constraints", "maxnorm", lamina.constraints.MaxNorm),
    ("lamina.constraints", "nonneg", lamina.constraints.NonNeg),
]


@pytest.mark.parametrize("module, name, modern", PATHS, ids=lambda v: str(v).rsplit(".", 1)[-1]
                         if isinstance(v, str) else None)
def test_keras2_path_gives_the_modern_object_with_a_warning(module, name, modern):
    with pytest.warns(DeprecationWarning, match="Keras 1/2|Keras 2"):
        found = getattr(importlib.import_module(module), name)
    assert found is modern


def test_a_keras2_dropout_tutorial_runs_with_the_keras_alias():
    """Brownlee-style Keras 2 code, `keras` bound to lamina."""
    import numpy as np

    from lamina.testing import keras_alias

    keras_alias.install()
    try:
        with pytest.warns(DeprecationWarning):
            from keras.constraints import maxnorm
            from keras.layers.advanced_activations import LeakyReLU
            from keras.layers.normalization import BatchNormalization
            from keras.models import Sequential
            from keras.layers import Dense, Dropout

            model = Sequential()
            model.add(Dense(8, input_dim=4, kernel_constraint=maxnorm(3)))
            model.add(LeakyReLU(alpha=0.2))
            model.add(BatchNormalization())
            model.add(Dropout(0.2))
            model.add(Dense(1, activation="sigmoid"))
            model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
            x = np.random.RandomState(0).rand(16, 4).astype("float32")
            model.fit(x, (x[:, :1] > 0.5).astype("float32"), epochs=1, batch_size=8, verbose=0)
    finally:
        keras_alias.uninstall()
    assert model.layers[0].kernel_constraint.max_value == 3
    assert model.layers[1].negative_slope == pytest.approx(0.2)


def test_unknown_names_in_a_keras2_path_list_what_it_has():
    from lamina.layers import wrappers

    with pytest.raises(AttributeError, match="Bidirectional, TimeDistributed, Wrapper"):
        wrappers.Dense
