"""MobileNetV2: inverted residual blocks with linear bottlenecks (Sandler et al., 2018).

Layer names, weight order and the ImageNet files are Keras's, so `weights="imagenet"` loads the
`.h5` files Keras downloads.
"""

import warnings

from lamina import config, layers
from lamina.applications import imagenet_utils, model_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"

# (filters, stride, expansion) of the 17 inverted residual blocks, before `alpha`.
_BLOCKS = [(16, 1, 1),
           (24, 2, 6), (24, 1, 6),
           (32, 2, 6), (32, 1, 6), (32, 1, 6),
           (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
           (96, 1, 6), (96, 1, 6), (96, 1, 6),
           (160, 2, 6), (160, 1, 6), (160, 1, 6),
           (320, 1, 6)]
_IMAGENET_SIZES = (96, 128, 160, 192, 224)
_IMAGENET_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                name=None):
    """Instantiates the MobileNetV2 architecture.

    Args:
        input_shape: optional `(rows, cols, 3)` (channels-last) or `(3, rows, cols)`, at least
            32x32; taken from `input_tensor` when omitted. ImageNet weights exist for the square
            sizes 96, 128, 160, 192 and 224.
        alpha: width multiplier (ImageNet weights: 0.35, 0.5, 0.75, 1.0, 1.3 or 1.4).
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"`, or the path of a weights file.
        input_tensor: optional symbolic tensor to use as the model's input.
        pooling: with `include_top=False`: `None` (4D feature map), `"avg"` or `"max"`.
        classes: number of classes of the top (1000 with ImageNet weights).
        classifier_activation: activation of the top; `None` returns logits.
        name: the model's name (default `mobilenetv2_{alpha:.2f}_{rows}`).

    Returns:
        A functional `Model`. Inputs are expected in [-1, 1]: see `preprocess_input`.
    """
    model_utils.check_arguments(weights, include_top, classes, pooling)
    data_format = config.image_data_format()
    rows_axis = 1 if data_format == "channels_first" else 0
    _check_input_tensor(input_shape, input_tensor, data_format)
    size_source = input_shape
    if size_source is None and model_utils.is_keras_tensor(input_tensor):
        size_source = tuple(input_tensor.shape[1:])
    default_size = 224
    if size_source is not None:
        rows, cols = size_source[rows_axis], size_source[rows_axis + 1]
        if rows == cols and rows in _IMAGENET_SIZES:
            default_size = rows
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=data_format,
        require_flatten=include_top, weights=weights)
    rows, cols = input_shape[rows_axis], input_shape[rows_axis + 1]
    if weights == "imagenet":
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError("ImageNet weights exist only for alpha in 0.35, 0.5, 0.75, 1.0, "
                             f"1.3, 1.4. Received: alpha={alpha}")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined, not square, or its size is not one of "
                          "96, 128, 160, 192, 224: the weights for 224x224 inputs are loaded.",
                          stacklevel=2)
    img_input = model_utils.image_input(input_tensor, input_shape)

    channel_axis = _channel_axis()
    x = layers.Conv2D(_make_divisible(32 * alpha, 8), kernel_size=3, strides=(2, 2),
                      padding="same", use_bias=False, name="Conv1")(img_input)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name="bn_Conv1")(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(x)
    for block_id, (filters, stride, expansion) in enumerate(_BLOCKS):
        x = _inverted_res_block(x, expansion=expansion, stride=stride, alpha=alpha,
                                filters=filters, block_id=block_id)
    # A wider network widens its last layer too; a narrower one keeps 1280 features.
    last_block_filters = _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280
    x = layers.Conv2D(last_block_filters, kernel_size=1, use_bias=False, name="Conv_1")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name="Conv_1_bn")(x)
    x = layers.ReLU(6.0, name="out_relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling)

    model = model_utils.functional_model(input_tensor, img_input, x,
                                         name or f"mobilenetv2_{alpha:0.2f}_{rows}")
    file_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                     f"{suffix}.h5")
    model_utils.load_weights(model, weights, file_name,
                             file_name and BASE_WEIGHT_PATH + file_name)
    return model


def _check_input_tensor(input_shape, input_tensor, data_format):
    """With both `input_shape` and `input_tensor`, their widths must agree (Keras's check)."""
    if input_tensor is None:
        return
    if not model_utils.is_keras_tensor(input_tensor):
        raise ValueError("`input_tensor` must be a symbolic tensor (the output of "
                         f"`lamina.Input()` or of a layer). Received: {input_tensor!r}")
    if input_shape is None:
        return
    tensor_axis = 1 if data_format == "channels_first" else 2
    if input_tensor.shape[tensor_axis] != input_shape[1]:
        raise ValueError(
            f"`input_shape` and `input_tensor` disagree: input_tensor.shape[{tensor_axis}] must "
            f"equal input_shape[1]. Received: input_tensor.shape={tuple(input_tensor.shape)}, "
            f"input_shape={input_shape}")


def _channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def _make_divisible(value, divisor, min_value=None):
    """`value` rounded to the nearest multiple of `divisor` (at least `min_value`), never more
    than 10% below `value`."""
    min_value = divisor if min_value is None else min_value
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def _inverted_res_block(inputs, expansion, stride, alpha, filters, block_id):
    """Expand (1x1) -> depthwise 3x3 -> project (1x1, linear), with a residual connection when
    the shape is kept. Block 0 has no expansion and is named `expanded_conv_`."""
    channel_axis = _channel_axis()
    in_channels = inputs.shape[channel_axis]
    pointwise_filters = _make_divisible(int(filters * alpha), 8)
    x = inputs
    prefix = f"block_{block_id}_"
    if block_id:
        x = layers.Conv2D(expansion * in_channels, kernel_size=1, padding="same", use_bias=False,
                          activation=None, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_BN")(x)
        x = layers.ReLU(6.0, name=f"{prefix}expand_relu")(x)
    else:
        prefix = "expanded_conv_"
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, 3), name=f"{prefix}pad")(x)
    x = layers.DepthwiseConv2D(kernel_size=3, strides=stride, activation=None, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_BN")(x)
    x = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(x)
    x = layers.Conv2D(pointwise_filters, kernel_size=1, padding="same", use_bias=False,
                      activation=None, name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=channel_axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_BN")(x)
    if in_channels == pointwise_filters and stride == 1:
        return layers.Add(name=f"{prefix}add")([inputs, x])
    return x


def preprocess_input(x, data_format=None):
    """Scales pixels from [0, 255] to [-1, 1], the range MobileNetV2 was trained on.

    Args:
        x: a float numpy array or tensor of 3D or 4D images with 3 color channels.
        data_format: optional image data format (default: the global setting).

    Returns:
        The scaled images, same type and shape as `x`.
    """
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """Turns ImageNet class probabilities into `(class_id, class_name, score)` lists: see
    `lamina.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
