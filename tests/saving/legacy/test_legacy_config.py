"""The translation tables of lamina/saving/legacy_config.py: Keras 1/2 configs -> Keras 3."""

import warnings

import pytest

from lamina.saving import legacy_config


def layer(class_name, **config):
    return legacy_config.translate_model_config({"class_name": class_name, "config": config})


def test_keras1_convolution_arguments():
    entry = layer("Convolution2D", name="c", nb_filter=8, nb_row=3, nb_col=5, init="he_normal",
                  border_mode="same", subsample=[2, 2], dim_ordering="tf", W_regularizer=None,
                  b_constraint=None, bias=False, activation="relu")
    assert entry["class_name"] == "Conv2D"
    assert entry["config"] == {
        "name": "c", "filters": 8, "kernel_size": [3, 5], "kernel_initializer": "he_normal",
        "padding": "same", "strides": [2, 2], "data_format": "channels_last",
        "kernel_regularizer": None, "bias_constraint": None, "use_bias": False, "activation": "relu"}
    assert layer("AtrousConvolution1D", filter_length=3, atrous_rate=2, dim_ordering="th")["config"] == {
        "kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"}
    assert layer("Deconvolution2D")["class_name"] == "Conv2DTranspose"


def test_keras1_recurrent_embedding_normalization_pooling():
    lstm = layer("LSTM", output_dim=7, init="glorot_uniform", inner_init="orthogonal",
                 inner_activation="hard_sigmoid", U_regularizer=None, dropout_W=0.1,
                 dropout_U=0.2, forget_bias_init="one")["config"]
    assert lstm == {"units": 7, "kernel_initializer": "glorot_uniform",
                    "recurrent_initializer": "orthogonal", "recurrent_activation": "hard_sigmoid",
                    "recurrent_regularizer": None, "dropout": 0.1, "recurrent_dropout": 0.2,
                    "unit_forget_bias": True}
    # output_dim is Embedding's own Keras 3 argument: it must not become `units`.
    assert layer("Embedding", input_dim=5, output_dim=3, init="uniform", W_regularizer=None)["config"] == {
        "input_dim": 5, "output_dim": 3, "embeddings_initializer": "uniform",
        "embeddings_regularizer": None}
    assert layer("BatchNormalization", beta_init="zero", gamma_init="one", axis=[3])["config"] == {
        "beta_initializer": "zero", "gamma_initializer": "one", "axis": 3}
    assert layer("MaxPooling1D", pool_length=2, stride=1, border_mode="valid")["config"] == {
        "pool_size": 2, "strides": 1, "padding": "valid"}
    assert layer("Dropout", p=0.3)["config"] == {"rate": 0.3}
    assert layer("Dense", output_dim=4, bias=True)["config"] == {"units": 4, "use_bias": True}


def test_meaningless_arguments_are_dropped_only_when_harmless():
    assert layer("Dense", units=2, input_dtype="float32")["config"] == {"units": 2}
    assert layer("Dropout", rate=0.1, time_major=False)["config"] == {"rate": 0.1}
    # A value that would change behaviour is kept, so the layer rejects it loudly.
    assert layer("Dropout", rate=0.1, time_major=True)["config"]["time_major"] is True
    # Arguments the class accepts are never dropped (Embedding has its own input_dim/weights).
    assert layer("Embedding", input_dim=5, output_dim=2)["config"]["input_dim"] == 5


def test_lambda_triples_and_initializer_values():
    config = layer("Lambda", function=["Y29kZQ==\n", None, None], function_type="lambda",
                   module="__main__", output_shape=None, output_shape_type="raw",
                   output_shape_module=None, arguments={})["config"]
    assert config == {"function": {"class_name": "__lambda__", "config": {
        "code": "Y29kZQ==\n", "defaults": None, "closure": None}}, "output_shape": None,
        "arguments": {}}
    vs = {"class_name": "VarianceScaling", "config": {"scale": 1.0, "mode": "fan_avg",
                                                      "distribution": "normal", "seed": None}}
    translated = layer("Dense", units=1, kernel_initializer=vs)["config"]["kernel_initializer"]
    assert translated["config"]["distribution"] == "truncated_normal"
    assert vs["config"]["distribution"] == "normal"  # the input is not modified


def test_sequential_list_config_and_functional_endpoints():
    sequential = legacy_config.translate_model_config(
        {"class_name": "Sequential", "config": [{"class_name": "Dense", "config": {"output_dim": 2}}]})
    assert sequential["config"] == {"name": None, "layers": [
        {"class_name": "Dense", "config": {"units": 2}}]}
    functional = legacy_config.translate_model_config({"class_name": "Model", "config": {
        "name": "m", "layers": [], "input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}})
    assert functional["config"]["input_layers"] == ["in", 0, 0]
    assert functional["config"]["output_layers"] == ["d", 0, 0]


def test_keras2_nested_model_node_numbers_start_at_zero():
    nested = {"class_name": "Sequential", "name": "inner", "inbound_nodes": [[["x", 0, 0, {}]]],
              "config": {"name": "inner", "layers": [{"class_name": "InputLayer", "config": {}}]}}
    after = {"class_name": "Dense", "name": "d", "config": {}, "inbound_nodes": [[["inner", 1, 0, {}]]]}
    config = legacy_config.translate_model_config({"class_name": "Functional", "config": {
        "name": "m", "layers": [nested, after], "input_layers": [["x", 0, 0]],
        "output_layers": [["inner", 1, 0]]}})["config"]
    assert config["layers"][1]["inbound_nodes"] == [[["inner", 0, 0, {}]]]
    assert config["output_layers"] == ["inner", 0, 0]


def test_unsupported_classes_say_why():
    with pytest.raises(ValueError, match="'merge_1' \\(Merge\\).*Concatenate"):
        layer("Merge", name="merge_1", mode="concat")
    with pytest.raises(ValueError, match="CuDNNLSTM.*cuDNN"):
        layer("CuDNNLSTM", units=3)


def test_optimizer_configs():
    keras2 = {"class_name": "Custom>Adam", "config": {
        "name": "Adam", "learning_rate": 0.01, "jit_compile": True, "is_legacy_optimizer": False,
        "beta_1": 0.9}}
    assert legacy_config.translate_optimizer_config(keras2) == {
        "class_name": "Adam", "config": {"name": "Adam", "learning_rate": 0.01, "beta_1": 0.9}}
    keras1 = {"class_name": "SGD", "config": {"lr": 0.1, "momentum": 0.9, "decay": 0.0}}
    assert legacy_config.translate_optimizer_config(keras1)["config"] == {
        "learning_rate": 0.1, "momentum": 0.9}
    # A nonzero decay is kept: the optimizer implements Keras 2's time-based decay.
    assert legacy_config.translate_optimizer_config(
        {"class_name": "SGD", "config": {"lr": 0.1, "decay": 0.01}})["config"]["decay"] == 0.01


def test_training_config_losses_and_metrics():
    training = {"loss": {"class_name": "MeanSquaredError", "config": {"reduction": "auto",
                                                                      "name": "mse"}},
                "metrics": [["mae", "accuracy"]], "weighted_metrics": None, "loss_weights": None,
                "sample_weight_mode": None,
                "optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.1}}}
    config = legacy_config.translate_training_config(training, output_count=1)
    assert config["loss"]["config"]["reduction"] == "sum_over_batch_size"
    assert config["metrics"] == ["mae", "accuracy"]
    assert "sample_weight_mode" not in config and config["optimizer"]["class_name"] == "Adam"
    two = legacy_config.translate_training_config({**training, "metrics": [["mae"], ["mse"]]}, 2)
    assert two["metrics"] == [["mae"], ["mse"]]


def test_translated_keras1_configs_build_without_warnings():
    from lamina.registry.serialization import deserialize_layer

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dense = deserialize_layer(layer("Dense", name="d", output_dim=3, init="zero",
                                        W_regularizer=None, bias=True, input_dim=4,
                                        batch_input_shape=[None, 4]))
    assert dense.units == 3 and dense.use_bias
