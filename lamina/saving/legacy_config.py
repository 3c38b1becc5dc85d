"""Model and training configs written by Keras 1, Keras 2 (tf.keras) and Keras 3's legacy `.h5`
saver, rewritten into the Keras 3 form that lamina's `from_config` methods read.

The differences are mostly spelling, so they live in tables below rather than in code:

* old layer class names (`Convolution2D`, `AtrousConvolution2D`, `Deconvolution2D`, ...);
* Keras 1 argument names (`output_dim`, `init`, `W_regularizer`, `border_mode`, `subsample`,
  `nb_filter`, `nb_row`/`nb_col`, `dim_ordering`, `p`, `inner_init`, ...), per layer family;
* Keras 1/2 argument *values* (`dim_ordering="th"`, 1-element `axis` lists, Lambda function
  triples, `VarianceScaling(distribution="normal")`);
* arguments that no longer mean anything (`consume_less`, `input_dtype`, `time_major=False`, ...),
  dropped only when the target class does not accept them;
* Sequential configs that are a bare list of layers (Keras <= 2.2);
* optimizer configs (`Custom>Adam`, `lr`, `jit_compile`, `is_legacy_optimizer`, `decay=0.0`) and
  loss/metric configs (`reduction="auto"`, per-output metric lists for a single output).

Every function returns a new config; the input is never modified.
"""

import copy
import re

# --------------------------------------------------------------------------- layer classes

# Keras 1/2 class names that Keras 3 no longer has, or spells differently.
CLASS_RENAMES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "AtrousConvolution1D": "Conv1D",
    "AtrousConvolution2D": "Conv2D",
    "AtrousConv1D": "Conv1D",
    "AtrousConv2D": "Conv2D",
    "Deconvolution2D": "Conv2DTranspose",
    "Deconvolution3D": "Conv3DTranspose",
    "Deconv2D": "Conv2DTranspose",
    "Deconv3D": "Conv3DTranspose",
    "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
    "DepthwiseConvolution2D": "DepthwiseConv2D",
}

# Class names that cannot be rebuilt outside the framework that wrote them, with the reason.
UNSUPPORTED_CLASSES = {
    "Merge": "the Keras 1 `Merge` layer was replaced by `Add`, `Concatenate`, `Multiply`, ... "
             "Rebuild the model with those layers and load the weights with load_weights().",
    "TFOpLambda": "it wraps a TensorFlow operation (written by tf.keras for a `tf.*` call in a "
                  "functional model), which cannot run outside TensorFlow. Rebuild the model "
                  "with a Lambda or a lamina layer and load the weights with load_weights().",
    "SlicingOpLambda": "it wraps TensorFlow tensor slicing (tf.keras), which cannot run outside "
                       "TensorFlow. Rebuild the model with a Lambda layer and load the weights "
                       "with load_weights().",
    "CuDNNLSTM": "its weights use cuDNN's layout. Load the model in Keras 2, convert the layer "
                 "to LSTM, and save again.",
    "CuDNNGRU": "its weights use cuDNN's layout. Load the model in Keras 2, convert the layer "
                "to GRU(reset_after=True), and save again.",
}

_MODEL_CLASSES = {"Sequential", "Functional", "Model"}

# --------------------------------------------------------------------------- layer arguments

# Keras 1 argument -> Keras 3 argument, by layer family. A family is a regular expression on the
# (renamed) class name; "." matches every layer. The first family whose table has a key wins,
# so specific tables come before the general one.
_CONV = r"^(Conv|SeparableConv|DepthwiseConv|LocallyConnected)\dD(Transpose)?$"
_RNN = r"^(SimpleRNN|LSTM|GRU|ConvLSTM\dD)(Cell)?$"
ARGUMENT_RENAMES = [
    (r"^(Reversible)?Embedding$", {"output_dim": "output_dim", "init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                      "W_constraint": "embeddings_constraint"}),
    (r"^DepthwiseConv\dD$", {"init": "depthwise_initializer", "W_regularizer": "depthwise_regularizer",
                             "W_constraint": "depthwise_constraint"}),
    (r"^SeparableConv\dD$", {"init": ("depthwise_initializer", "pointwise_initializer")}),
    (_RNN, {"output_dim": "units", "init": "kernel_initializer", "inner_init": "recurrent_initializer",
            "inner_activation": "recurrent_activation", "U_regularizer": "recurrent_regularizer",
            "U_constraint": "recurrent_constraint", "dropout_W": "dropout",
            "dropout_U": "recurrent_dropout", "forget_bias_init": "unit_forget_bias"}),
    (r"^BatchNormalization$", {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"}),
    (r"Dropout(\dD)?$", {"p": "rate"}),
    (r"^(Max|Average)Pooling1D$", {"pool_length": "pool_size", "stride": "strides"}),
    (r"Pool", {"border_mode": "padding", "dim_ordering": "data_format"}),
    (_CONV, {"nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
             "subsample_length": "strides", "atrous_rate": "dilation_rate",
             "dim_ordering": "data_format"}),
    (r"^(UpSampling|ZeroPadding|Cropping)\dD$", {"dim_ordering": "data_format"}),
    (r".", {"output_dim": "units", "init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
            "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
            "b_constraint": "bias_constraint", "bias": "use_bias"}),
]

# Keras 1 gave a kernel size as one argument per axis.
_KERNEL_SIZE_PARTS = [("nb_row", "nb_col"), ("kernel_dim1", "kernel_dim2", "kernel_dim3"),
                      ("filter_length",)]

# Arguments with no Keras 3 meaning, dropped when the class does not accept them, if their value
# is one of the listed harmless ones (None: any value). Anything else is left for the class to
# reject, so a setting that would change behaviour is never lost silently.
DROPPABLE_ARGUMENTS = {
    "consume_less": None,       # Keras 1 RNN speed hint
    "implementation": None,     # Keras 2 RNN kernel choice; same numbers either way
    "time_major": (False,),
    "mode": (0,),               # Keras 1 BatchNormalization: mode 0 is the only mode left
    "dropout": (0, 0.0),        # Keras 1 Embedding dropout
    "input_length": None,       # Keras 2 Embedding; the input layer carries the shape
    "weights": (None,),
    "dynamic": (False,),
    "input_dtype": None,        # Keras 1: the dtype of the input created for the layer
}

_DATA_FORMATS = {"th": "channels_first", "tf": "channels_last", "default": None}
_LAMBDA_ONLY_KEYS = ("module", "function_type", "output_shape_type", "output_shape_module")


def translate_model_config(config):
    """The top-level `model_config` of a legacy file -> `{"class_name", "config"}` in Keras 3 form."""
    return _translate_layer(copy.deepcopy(config))


def _translate_layer(entry):
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ValueError(
            f"Expected a layer config with a 'class_name' key; found {str(entry)[:200]!r}."
        )
    class_name = entry["class_name"]
    if class_name in UNSUPPORTED_CLASSES:
        name = (entry.get("config") or {}).get("name") if isinstance(entry.get("config"), dict) else None
        raise ValueError(
            f"Layer '{name or class_name}' ({class_name}) cannot be loaded by lamina: "
            f"{UNSUPPORTED_CLASSES[class_name]}"
        )
    class_name = CLASS_RENAMES.get(class_name, class_name)
    entry["class_name"] = class_name
    for key in ("module", "registered_name", "build_config", "compile_config"):
        if entry.get(key) is None:
            entry.pop(key, None)  # legacy entries have none; null values add nothing
    config = entry.get("config")
    if class_name in _MODEL_CLASSES:
        entry["config"] = _translate_model(class_name, config)
    elif isinstance(config, dict):
        entry["config"] = translate_layer_arguments(class_name, config)
    return entry


def _translate_model(class_name, config):
    if isinstance(config, list):  # Keras <= 2.2 Sequential: a bare list of layer configs
        config = {"name": None, "layers": config}
    config = dict(config)
    config["layers"] = [_translate_layer(layer) for layer in config.get("layers", [])]
    if class_name != "Sequential":
        _renumber_nested_model_nodes(config)
        for key in ("input_layers", "output_layers"):
            spec = config.get(key)
            # Keras 2 wrote one input or output as a list holding one [name, node, tensor]
            # triple; Keras 3 rebuilds such a model with a single (unwrapped) input or output.
            if isinstance(spec, list) and len(spec) == 1 and isinstance(spec[0], list):
                config[key] = spec[0]
    return config


def _renumber_nested_model_nodes(config):
    """Keras 2 counted a nested model's own construction as its node 0, so calls of a nested
    model that starts with an InputLayer are numbered from 1 in list-style nodes. lamina (like
    Keras 3) numbers only the calls made inside this model, from 0."""
    shifted = set()
    for layer in config["layers"]:
        inner = layer.get("config")
        if layer.get("class_name") in _MODEL_CLASSES and isinstance(inner, dict) and \
                inner.get("layers") and inner["layers"][0].get("class_name") == "InputLayer":
            shifted.add(layer.get("name") or inner.get("name"))
    if not shifted:
        return

    def renumber(entry):
        if isinstance(entry, list) and len(entry) >= 3 and entry[0] in shifted and \
                isinstance(entry[1], int) and entry[1] > 0:
            return [entry[0], entry[1] - 1, *entry[2:]]
        return entry

    for layer in config["layers"]:
        nodes = layer.get("inbound_nodes") or []
        if any(not isinstance(node, list) for node in nodes):
            return  # Keras 3 dict nodes are numbered from 0 already
        layer["inbound_nodes"] = [[renumber(entry) for entry in node] for node in nodes]
    for key in ("input_layers", "output_layers"):
        spec = config.get(key)
        if isinstance(spec, list) and spec and isinstance(spec[0], str):
            config[key] = renumber(spec)
        elif isinstance(spec, list):
            config[key] = [renumber(entry) for entry in spec]


def translate_layer_arguments(class_name, config):
    """One layer's config: Keras 1/2 argument names and values -> Keras 3."""
    config = dict(config)
    if class_name == "InputLayer" and "input_dtype" in config:
        config["dtype"] = config.pop("input_dtype")
    for old in [key for key in config if _rename_for(class_name, key) not in (None, key)]:
        new = _rename_for(class_name, old)
        value = config.pop(old)
        for target in (new if isinstance(new, tuple) else (new,)):
            if target == "unit_forget_bias":  # Keras 1 gave an initializer; "one" is the default
                value = value in ("one", "ones")
            config.setdefault(target, value)
    for parts in _KERNEL_SIZE_PARTS:
        if all(part in config for part in parts):
            sizes = [config.pop(part) for part in parts]
            config.setdefault("kernel_size", sizes[0] if len(sizes) == 1 else sizes)
    if "data_format" in config and config["data_format"] in _DATA_FORMATS:
        config["data_format"] = _DATA_FORMATS[config["data_format"]]
        if config["data_format"] is None:
            del config["data_format"]
    axis = config.get("axis")
    if isinstance(axis, list) and len(axis) == 1:
        config["axis"] = int(axis[0])
    if "input_dim" in config and not _own_argument(class_name, "input_dim"):
        # Keras 1 wrote the input size of a first layer as input_dim (and usually also as
        # batch_input_shape); as a shape it needs no deprecated keyword.
        input_dim = config.pop("input_dim")
        if input_dim is not None:
            config.setdefault("batch_input_shape", [None, input_dim])
    if class_name == "Lambda":
        _translate_lambda(config)
    for key, value in config.items():
        if key.endswith("_initializer"):
            config[key] = _translate_initializer(value)
    _drop_meaningless_arguments(class_name, config)
    return config


def _rename_for(class_name, key):
    for pattern, table in ARGUMENT_RENAMES:
        if key in table and re.search(pattern, class_name):
            if pattern == "." and not _is_builtin_layer(class_name):
                return None  # a user's layer keeps its own arguments (keras.io's `output_dim`)
            return table[key]
    return None


def _is_builtin_layer(class_name):
    from lamina import layers

    try:
        return isinstance(getattr(layers, class_name, None), type)
    except Exception:  # noqa: BLE001 - a lazy import of an optional part failed: not built in
        return False


def _translate_lambda(config):
    function_type = config.get("function_type")
    function = config.get("function")
    if isinstance(function, (list, tuple)) and function_type in (None, "lambda"):
        code, defaults, closure = (list(function) + [None, None])[:3]
        config["function"] = {"class_name": "__lambda__",
                              "config": {"code": code, "defaults": defaults, "closure": closure}}
    output_shape = config.get("output_shape")
    if config.get("output_shape_type") == "lambda" and isinstance(output_shape, (list, tuple)):
        code, defaults, closure = (list(output_shape) + [None, None])[:3]
        config["output_shape"] = {"class_name": "__lambda__",
                                  "config": {"code": code, "defaults": defaults, "closure": closure}}
    for key in _LAMBDA_ONLY_KEYS:
        config.pop(key, None)


def _translate_initializer(value):
    if isinstance(value, dict) and value.get("class_name") == "VarianceScaling":
        inner = dict(value.get("config") or {})
        if inner.get("distribution") == "normal":  # Keras 2.0-2.2: a truncated normal
            inner["distribution"] = "truncated_normal"
        return {**value, "config": inner}
    return value


def _drop_meaningless_arguments(class_name, config):
    accepted = _accepted_arguments(class_name)
    if accepted is None:
        return
    for key in list(config):
        harmless = DROPPABLE_ARGUMENTS.get(key, ())
        if key in DROPPABLE_ARGUMENTS and key not in accepted and (
            harmless is None or config[key] in harmless
        ):
            del config[key]


def _own_argument(class_name, name):
    """Whether the lamina class's constructor names `name` itself (Embedding's input_dim)."""
    from lamina.layers.layer import _init_parameters
    from lamina.registry import object_registry

    cls = object_registry.get_registered_object(class_name, package="layers")
    return isinstance(cls, type) and name in _init_parameters(cls)


def _accepted_arguments(class_name):
    """Keywords the lamina class of that name accepts, or None if the class is not known."""
    from lamina.layers.layer import _LAYER_KWARGS, _init_parameters
    from lamina.registry import object_registry

    cls = object_registry.get_registered_object(class_name, package="layers")
    if not isinstance(cls, type):
        return None
    return _init_parameters(cls) | _LAYER_KWARGS


# --------------------------------------------------------------------------- training config

_LOSS_REDUCTIONS = {"auto": "sum_over_batch_size", "sum_over_batch_size": "sum_over_batch_size"}

# Optimizer config keys written by Keras 2 that Keras 3 optimizers do not take.
_OPTIMIZER_KEYS_TO_DROP = ("jit_compile", "is_legacy_optimizer", "schedule_decay")


def translate_training_config(training_config, output_count):
    """A legacy `training_config` -> the `compile_config` that `compile_from_config` reads."""
    config = copy.deepcopy(training_config)
    optimizer = config.pop("optimizer_config", None)
    config.pop("sample_weight_mode", None)
    config["optimizer"] = translate_optimizer_config(optimizer) if optimizer else None
    config["loss"] = _map_objects(_translate_loss, config.get("loss"))
    for key in ("metrics", "weighted_metrics"):
        metrics = config.get(key)
        # Keras 2 wrote metrics per output: [[m1, m2]] for a model with one output.
        if output_count == 1 and isinstance(metrics, list) and len(metrics) == 1 and \
                isinstance(metrics[0], list):
            config[key] = metrics[0]
    return config


def translate_optimizer_config(optimizer):
    """`{"class_name": "Custom>Adam", "config": {"lr": ..., "jit_compile": ...}}` -> Keras 3."""
    from lamina.registry import object_registry

    optimizer = dict(optimizer)
    class_name = optimizer.get("class_name", "")
    if ">" in class_name and object_registry.get_registered_object(class_name) is None:
        # tf.keras 2.11+ registered its own optimizers as "Custom>Adam".
        short = class_name.split(">", 1)[1]
        if object_registry.get_registered_object(short, package="optimizers") is not None:
            class_name = short
    optimizer["class_name"] = class_name
    if optimizer.get("registered_name") == optimizer.get("class_name") or \
            optimizer.get("registered_name") is None:
        optimizer.pop("registered_name", None)
    inner = dict(optimizer.get("config") or {})
    for key in _OPTIMIZER_KEYS_TO_DROP:
        inner.pop(key, None)
    if "lr" in inner:
        inner.setdefault("learning_rate", inner.pop("lr"))
        inner.pop("lr", None)
    if not inner.get("decay"):
        inner.pop("decay", None)  # Keras 2 always wrote decay=0.0
    optimizer["config"] = inner
    return optimizer


def _translate_loss(loss):
    if isinstance(loss, dict) and "class_name" in loss:
        inner = dict(loss.get("config") or {})
        if inner.get("reduction") in _LOSS_REDUCTIONS:
            inner["reduction"] = _LOSS_REDUCTIONS[inner["reduction"]]
        return {**loss, "config": inner}
    return loss


def _map_objects(fn, spec):
    """Apply `fn` to each object config in a loss spec (one, a list, or a dict by output)."""
    if isinstance(spec, dict) and "class_name" not in spec:
        return {key: _map_objects(fn, value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [_map_objects(fn, value) for value in spec]
    return fn(spec)
