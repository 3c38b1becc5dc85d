"""MobileNet (v1): a stack of depthwise-separable convolutions (Howard et al., 2017).

Layer names, weight order and the ImageNet files are Keras's, so `weights="imagenet"` loads the
same `.h5` files Keras downloads. The width multiplier `alpha` scales every block's filters;
`depth_multiplier` is the depthwise convolutions' channel multiplier.
"""

import warnings

from lamina import config, layers
from lamina.applications import imagenet_utils, model_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"

# (pointwise filters, stride) of the 13 depthwise-separable blocks, before `alpha`.
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
           (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
_IMAGENET_SIZES = (128, 160, 192, 224)
_IMAGENET_ALPHAS = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0", 0.25: "2_5"}


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """Instantiates the MobileNet architecture.

    Args:
        input_shape: optional `(rows, cols, 3)` (channels-last) or `(3, rows, cols)`; at least
            32x32. Only needed with `include_top=False` (the top works at any fixed size here, as
            in Keras, but ImageNet weights with the top need 224x224 or another square size of
            128, 160 or 192).
        alpha: width multiplier: every layer gets `alpha` times the paper's filters.
        depth_multiplier: channel multiplier of the depthwise convolutions.
        dropout: dropout rate before the classifier.
        include_top: whether to end with the 1000-way (or `classes`-way) classifier.
        weights: `None` (random), `"imagenet"`, or the path of a weights file.
        input_tensor: optional symbolic tensor to use as the model's input.
        pooling: with `include_top=False`: `None` (4D feature map), `"avg"` or `"max"`.
        classes: number of classes of the top (1000 with ImageNet weights).
        classifier_activation: activation of the top; `None` returns logits.
        name: the model's name (default `mobilenet_{alpha:.2f}_{rows}`).

    Returns:
        A functional `Model`. Inputs are expected in [-1, 1]: see `preprocess_input`.
    """
    model_utils.check_arguments(weights, include_top, classes, pooling)
    data_format = config.image_data_format()
    rows_axis = 1 if data_format == "channels_first" else 0
    default_size = _square_size(input_shape, rows_axis, _IMAGENET_SIZES, 224)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format=data_format,
        require_flatten=include_top, weights=weights)
    rows, cols = input_shape[rows_axis], input_shape[rows_axis + 1]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("ImageNet weights exist only for depth_multiplier=1. "
                             f"Received: depth_multiplier={depth_multiplier}")
        if alpha not in _IMAGENET_ALPHAS:
            raise ValueError("ImageNet weights exist only for alpha in 0.25, 0.5, 0.75, 1.0. "
                             f"Received: alpha={alpha}")
        if rows != cols or rows not in _IMAGENET_SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined, not square, or its size is not one of "
                          "128, 160, 192, 224: the weights for 224x224 inputs are loaded.",
                          stacklevel=2)
    img_input = model_utils.image_input(input_tensor, input_shape)

    x = _conv_block(img_input, int(32 * alpha), strides=(2, 2))
    for block_id, (filters, stride) in enumerate(_BLOCKS, start=1):
        x = _depthwise_conv_block(x, int(filters * alpha), depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling)

    model = model_utils.functional_model(input_tensor, img_input, x,
                                         name or f"mobilenet_{alpha:0.2f}_{rows}")
    file_name = None
    if weights == "imagenet":
        suffix = "" if include_top else "_no_top"
        file_name = f"mobilenet_{_IMAGENET_ALPHAS[alpha]}_{rows}_tf{suffix}.h5"
    model_utils.load_weights(model, weights, file_name,
                             file_name and BASE_WEIGHT_PATH + file_name)
    return model


def _square_size(input_shape, rows_axis, sizes, default):
    """The input's size when it is square and one of `sizes` (the ImageNet files), else
    `default`."""
    if input_shape is None:
        return default
    rows, cols = input_shape[rows_axis], input_shape[rows_axis + 1]
    return rows if rows == cols and rows in sizes else default


def _channel_axis():
    return 1 if config.image_data_format() == "channels_first" else -1


def _conv_block(inputs, filters, kernel=(3, 3), strides=(1, 1)):
    """The stem: full convolution, batch norm, ReLU6."""
    x = layers.Conv2D(filters, kernel, padding="same", use_bias=False, strides=strides,
                      name="conv1")(inputs)
    x = layers.BatchNormalization(axis=_channel_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_filters, depth_multiplier=1, strides=(1, 1),
                          block_id=1):
    """Depthwise 3x3 conv + BN + ReLU6, then pointwise 1x1 conv + BN + ReLU6.

    Strided blocks pad explicitly by one at the bottom and right and convolve "valid": the
    layout the TensorFlow-trained weights expect (a symmetric "same" would shift the grid).
    """
    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(pointwise_filters, (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_channel_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def preprocess_input(x, data_format=None):
    """Scales pixels from [0, 255] to [-1, 1] (sample-wise), the range MobileNet was trained on.

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
