"""MobileNetV3 Small and Large (Howard et al., 2019, "Searching for MobileNetV3").

Inverted residual blocks with optional squeeze-and-excite and hard-swish. Preprocessing is part
of the model (a `Rescaling` from [0, 255] to [-1, 1]) unless `include_preprocessing=False`, so
`preprocess_input` passes its input through. The graph is Keras's, down to the ops in the
hard-sigmoid (`relu6(x + 3) * (1/6)`, ops rather than layers), so the ImageNet files load.
"""

import warnings

from lamina import config, layers
from lamina.applications import imagenet_utils, model_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}

# Blocks as (expansion, filters, kernel, stride, squeeze-excite?, activation), where kernel
# "k" and activation "act" are the model's (5 and hard-swish; 3 and ReLU when minimalistic).
_SMALL_BLOCKS = [
    (1, 16, 3, 2, True, "relu"),
    (72.0 / 16, 24, 3, 2, False, "relu"),
    (88.0 / 24, 24, 3, 1, False, "relu"),
    (4, 40, "k", 2, True, "act"),
    (6, 40, "k", 1, True, "act"),
    (6, 40, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"),
    (3, 48, "k", 1, True, "act"),
    (6, 96, "k", 2, True, "act"),
    (6, 96, "k", 1, True, "act"),
    (6, 96, "k", 1, True, "act"),
]
_LARGE_BLOCKS = [
    (1, 16, 3, 1, False, "relu"),
    (4, 24, 3, 2, False, "relu"),
    (3, 24, 3, 1, False, "relu"),
    (3, 40, "k", 2, True, "relu"),
    (3, 40, "k", 1, True, "relu"),
    (3, 40, "k", 1, True, "relu"),
    (6, 80, 3, 2, False, "act"),
    (2.5, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"),
    (2.3, 80, 3, 1, False, "act"),
    (6, 112, 3, 1, True, "act"),
    (6, 112, 3, 1, True, "act"),
    (6, 160, "k", 2, True, "act"),
    (6, 160, "k", 1, True, "act"),
    (6, 160, "k", 1, True, "act"),
]

_DOC = """Instantiates the {name} architecture.

    Args:
        input_shape: optional `(rows, cols, 3)` (channels-last) or `(3, rows, cols)`, at least
            32x32; taken from `input_tensor` when omitted, else `(None, None, 3)`.
        alpha: width multiplier (ImageNet weights: 0.75 or 1.0; 1.0 when minimalistic).
        minimalistic: drop squeeze-and-excite, hard-swish and 5x5 kernels (faster on GPUs).
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"`, or the path of a weights file.
        input_tensor: optional symbolic tensor to use as the model's input.
        classes: number of classes of the top (1000 with ImageNet weights).
        pooling: with `include_top=False`: `None` (4D feature map), `"avg"` or `"max"`.
        dropout_rate: dropout before the last layer.
        classifier_activation: activation of the top; `None` returns logits.
        include_preprocessing: start with `Rescaling` from [0, 255] to [-1, 1]; without it the
            model expects inputs in [-1, 1].
        name: the model's name.

    Returns:
        A functional `Model`.
    """


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    return _mobilenet_v3(_SMALL_BLOCKS, 1024, input_shape, alpha, "small", minimalistic,
                         include_top, weights, input_tensor, classes, pooling, dropout_rate,
                         classifier_activation, include_preprocessing, name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    return _mobilenet_v3(_LARGE_BLOCKS, 1280, input_shape, alpha, "large", minimalistic,
                         include_top, weights, input_tensor, classes, pooling, dropout_rate,
                         classifier_activation, include_preprocessing, name)


MobileNetV3Small.__doc__ = _DOC.format(name="MobileNetV3Small")
MobileNetV3Large.__doc__ = _DOC.format(name="MobileNetV3Large")


def _mobilenet_v3(blocks, last_point_ch, input_shape, alpha, model_type, minimalistic,
                  include_top, weights, input_tensor, classes, pooling, dropout_rate,
                  classifier_activation, include_preprocessing, name):
    model_utils.check_arguments(weights, include_top, classes, pooling)
    data_format = config.image_data_format()
    input_shape = _resolve_input_shape(input_shape, input_tensor, data_format)
    rows_axis = 1 if data_format == "channels_first" else 0
    rows, cols = input_shape[rows_axis], input_shape[rows_axis + 1]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32. Received: input_shape={input_shape}")
    if weights == "imagenet":
        if alpha not in ((1.0,) if minimalistic else (0.75, 1.0)):
            raise ValueError("ImageNet weights exist only for alpha 0.75 or 1.0 (1.0 when "
                             f"minimalistic). Received: alpha={alpha}, "
                             f"minimalistic={minimalistic}")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined, not square, or not 224x224: the weights "
                          "for 224x224 inputs are loaded.", stacklevel=3)
    img_input = model_utils.image_input(input_tensor, input_shape)

    channel_axis = _channel_axis()
    if minimalistic:
        kernel, activation, se_ratio = 3, _relu, None
    else:
        kernel, activation, se_ratio = 5, _hard_swish, 0.25
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name="conv_bn")(x)
    x = activation(x)
    for block_id, (expansion, filters, block_kernel, stride, se, act) in enumerate(blocks):
        x = _inverted_res_block(
            x, expansion, _depth(filters * alpha), kernel if block_kernel == "k" else block_kernel,
            stride, se_ratio if se else None, activation if act == "act" else _relu, block_id)

    last_conv_ch = _depth(x.shape[channel_axis] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling, avg_name="avg_pool", max_name="max_pool")

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name = file_hash = None
    if weights == "imagenet":
        model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        if include_top:
            file_name, file_hash = (f"weights_mobilenet_v3_{model_name}.h5",
                                    WEIGHTS_HASHES[model_name][0])
        else:
            file_name, file_hash = (f"weights_mobilenet_v3_{model_name}_no_top_v2.h5",
                                    WEIGHTS_HASHES[model_name][1])
    model_utils.load_weights(model, weights, file_name,
                             file_name and BASE_WEIGHT_PATH + file_name, file_hash)
    return model


def _resolve_input_shape(input_shape, input_tensor, data_format):
    """`input_shape`, else the shape of `input_tensor`, else any size with 3 channels."""
    if input_tensor is not None:
        if not model_utils.is_keras_tensor(input_tensor):
            raise ValueError("`input_tensor` must be a symbolic tensor (the output of "
                             f"`lamina.Input()` or of a layer). Received: {input_tensor!r}")
        tensor_axis = 1 if data_format == "channels_first" else 2
        if input_shape is not None and input_tensor.shape[tensor_axis] != input_shape[1]:
            raise ValueError(
                f"`input_shape` and `input_tensor` disagree: input_tensor.shape[{tensor_axis}] "
                f"must equal input_shape[1]. Received: input_shape={input_shape}, "
                f"input_tensor.shape={tuple(input_tensor.shape)}")
        if input_shape is None:
            input_shape = tuple(input_tensor.shape[1:])
    if input_shape is None:
        input_shape = (3, None, None) if data_format == "channels_first" else (None, None, 3)
    return tuple(input_shape)


def _channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def _relu(x):
    return layers.ReLU()(x)


def _hard_sigmoid(x):
    # Written with ops, as in Keras: the two arithmetic steps are graph ops, not layers.
    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def _hard_swish(x):
    return layers.Activation("hard_swish")(x)


def _depth(value, divisor=8, min_value=None):
    """`value` rounded to the nearest multiple of `divisor` (at least `min_value`), never more
    than 10% below `value`."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _se_block(inputs, filters, se_ratio, prefix):
    """Squeeze-and-excite: channel weights from the global average, through a bottleneck."""
    x = layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}squeeze_excite_avg_pool")(
        inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = _hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    """Expand (1x1) -> depthwise -> [squeeze-excite] -> project (1x1, linear) [+ residual].
    Block 0 has no expansion and is named `expanded_conv_`."""
    channel_axis = _channel_axis()
    shortcut = x
    infilters = x.shape[channel_axis]
    prefix = "expanded_conv_"
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: MobileNetV3 rescales its inputs itself (see
    `include_preprocessing`). Kept so every application has a `preprocess_input`."""
    return x


def decode_predictions(preds, top=5):
    """Turns ImageNet class probabilities into `(class_id, class_name, score)` lists: see
    `lamina.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
