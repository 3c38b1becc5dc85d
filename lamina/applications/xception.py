"""Xception (Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions",
CVPR 2017), with Keras's layer names and order.

Entry flow (strided blocks with 1x1-convolution shortcuts), a middle flow of eight residual
blocks of three separable convolutions, and an exit flow. The shortcut convolutions, their
BatchNormalization and the `add` layers are unnamed, as in Keras.
"""

from lamina import config
from lamina.applications import imagenet_utils
from lamina.applications import model_utils

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
WEIGHTS = (  # (file, hash) with the top, then without
    ("xception_weights_tf_dim_ordering_tf_kernels.h5", "0a58e3b7378bc2990ea3b43d5981f1f6"),
    ("xception_weights_tf_dim_ordering_tf_kernels_notop.h5", "b0042744bf5b25fce3cb969f33bebb97"),
)


def _channel_axis():
    # Keras's Xception normalizes along -1 (not 3) in channels_last: the same axis, but it is
    # what its configs say.
    return 1 if config.image_data_format() == "channels_first" else -1


def _sepconv_bn(x, filters, name):
    """`{name}` (3x3 separable convolution without bias) then `{name}_bn`."""
    from lamina import layers

    x = layers.SeparableConv2D(filters, (3, 3), padding="same", use_bias=False, name=name)(x)
    return layers.BatchNormalization(axis=_channel_axis(), name=f"{name}_bn")(x)


def _relu(x, name):
    from lamina import layers

    return layers.Activation("relu", name=name)(x)


def _shortcut(x, filters):
    """The strided 1x1 convolution + BatchNormalization shortcut of a downsampling block."""
    from lamina import layers

    x = layers.Conv2D(filters, (1, 1), strides=(2, 2), padding="same", use_bias=False)(x)
    return layers.BatchNormalization(axis=_channel_axis())(x)


def _downsampling_block(x, filters, block, first_relu=True):
    """relu, sepconv, relu, sepconv, 3x3/2 max pooling, plus the convolution shortcut.

    `filters` is (first sepconv, second sepconv); the shortcut has the second's filters.
    """
    from lamina import layers

    residual = _shortcut(x, filters[1])
    if first_relu:
        x = _relu(x, f"block{block}_sepconv1_act")
    x = _sepconv_bn(x, filters[0], f"block{block}_sepconv1")
    x = _relu(x, f"block{block}_sepconv2_act")
    x = _sepconv_bn(x, filters[1], f"block{block}_sepconv2")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same", name=f"block{block}_pool")(x)
    return layers.add([x, residual])


def Xception(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="xception"):
    from lamina import layers

    model_utils.check_arguments(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=71, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = model_utils.image_input(input_tensor, input_shape)
    axis = _channel_axis()

    # Entry flow.
    x = layers.Conv2D(32, (3, 3), strides=(2, 2), use_bias=False, name="block1_conv1")(img_input)
    x = layers.BatchNormalization(axis=axis, name="block1_conv1_bn")(x)
    x = _relu(x, "block1_conv1_act")
    x = layers.Conv2D(64, (3, 3), use_bias=False, name="block1_conv2")(x)
    x = layers.BatchNormalization(axis=axis, name="block1_conv2_bn")(x)
    x = _relu(x, "block1_conv2_act")

    # Block 2 has no ReLU before its first separable convolution (block1 ends with one).
    x = _downsampling_block(x, (128, 128), 2, first_relu=False)
    x = _downsampling_block(x, (256, 256), 3)
    x = _downsampling_block(x, (728, 728), 4)

    # Middle flow: blocks 5 to 12, identity shortcuts.
    for block in range(5, 13):
        residual = x
        for conv in (1, 2, 3):
            x = _relu(x, f"block{block}_sepconv{conv}_act")
            x = _sepconv_bn(x, 728, f"block{block}_sepconv{conv}")
        x = layers.add([x, residual])

    # Exit flow.
    x = _downsampling_block(x, (728, 1024), 13)
    x = _sepconv_bn(x, 1536, "block14_sepconv1")
    x = _relu(x, "block14_sepconv1_act")
    x = _sepconv_bn(x, 2048, "block14_sepconv2")
    x = _relu(x, "block14_sepconv2_act")

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling)

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[0 if include_top else 1]
    model_utils.load_weights(model, weights, file_name, _BASE_URL + file_name, file_hash)
    return model


model_utils.document(Xception, """Instantiates the Xception architecture.

    Default input size 299x299. Preprocess inputs with
    `lamina.applications.xception.preprocess_input` (scales pixels to [-1, 1]).
""", min_size=71)


def preprocess_input(x, data_format=None):
    """Preprocesses images for Xception: scales pixels from [0, 255] to [-1, 1] ("tf" mode of
    `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
