"""InceptionV3 (Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
CVPR 2016).

As in Keras, only the "mixed" concatenations and the top are named; every other layer takes
its default name (`conv2d_12`, `batch_normalization_12`, ...). Keras's weight files are read
by position, so the layers are created in exactly Keras's order.
"""

from lamina import config
from lamina.applications import imagenet_utils
from lamina.applications import model_utils

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
WEIGHTS = (  # (file, hash) with the top, then without
    ("inception_v3_weights_tf_dim_ordering_tf_kernels.h5", "9a0d58056eeedaa3f26cb7ebd46da564"),
    ("inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
     "bcbd6486424b2319ff4ef7d526e38f63"),
)


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """Convolution without bias, BatchNormalization without scale (ReLU follows), ReLU.

    With a `name`, the three layers are `{name}_conv`, `{name}_bn` and `{name}`.
    """
    from lamina import layers

    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=model_utils.channel_axis(), scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def _average_pool_3x3(x):
    from lamina import layers

    return layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)


def _max_pool_3x3(x):
    from lamina import layers

    return layers.MaxPooling2D((3, 3), strides=(2, 2))(x)


def _concatenate(branches, name=None):
    from lamina import layers

    return layers.concatenate(branches, axis=model_utils.channel_axis(), name=name)


def _block_35(x, pool_filters, name):
    """A 35x35 module (mixed0-2): 1x1, 5x5, double 3x3 and pooled branches."""
    branch1x1 = conv2d_bn(x, 64, 1, 1)
    branch5x5 = conv2d_bn(x, 48, 1, 1)
    branch5x5 = conv2d_bn(branch5x5, 64, 5, 5)
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch_pool = conv2d_bn(_average_pool_3x3(x), pool_filters, 1, 1)
    return _concatenate([branch1x1, branch5x5, branch3x3dbl, branch_pool], name)


def _block_17(x, filters_7x7, name):
    """A 17x17 module (mixed4-7): factorized 7x7 convolutions (1x7 then 7x1)."""
    branch1x1 = conv2d_bn(x, 192, 1, 1)
    branch7x7 = conv2d_bn(x, filters_7x7, 1, 1)
    branch7x7 = conv2d_bn(branch7x7, filters_7x7, 1, 7)
    branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
    branch7x7dbl = conv2d_bn(x, filters_7x7, 1, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters_7x7, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters_7x7, 1, 7)
    branch7x7dbl = conv2d_bn(branch7x7dbl, filters_7x7, 7, 1)
    branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
    branch_pool = conv2d_bn(_average_pool_3x3(x), 192, 1, 1)
    return _concatenate([branch1x1, branch7x7, branch7x7dbl, branch_pool], name)


def _block_8(x, index):
    """An 8x8 module (mixed9, mixed10): 3x3 convolutions split into parallel 1x3 and 3x1."""
    branch1x1 = conv2d_bn(x, 320, 1, 1)
    branch3x3 = conv2d_bn(x, 384, 1, 1)
    branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
    branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
    branch3x3 = _concatenate([branch3x3_1, branch3x3_2], name=f"mixed9_{index}")
    branch3x3dbl = conv2d_bn(x, 448, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 384, 3, 3)
    branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
    branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
    branch3x3dbl = _concatenate([branch3x3dbl_1, branch3x3dbl_2])
    branch_pool = conv2d_bn(_average_pool_3x3(x), 192, 1, 1)
    return _concatenate([branch1x1, branch3x3, branch3x3dbl, branch_pool], f"mixed{9 + index}")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    from lamina import layers

    model_utils.check_arguments(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=299, min_size=75, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = model_utils.image_input(input_tensor, input_shape)

    # Stem: 299x299x3 -> 35x35x192.
    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = _max_pool_3x3(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = _max_pool_3x3(x)

    x = _block_35(x, 32, "mixed0")
    x = _block_35(x, 64, "mixed1")
    x = _block_35(x, 64, "mixed2")

    # mixed3: reduction to 17x17.
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(x, 64, 1, 1)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    x = _concatenate([branch3x3, branch3x3dbl, _max_pool_3x3(x)], "mixed3")

    x = _block_17(x, 128, "mixed4")
    x = _block_17(x, 160, "mixed5")
    x = _block_17(x, 160, "mixed6")
    x = _block_17(x, 192, "mixed7")

    # mixed8: reduction to 8x8.
    branch3x3 = conv2d_bn(x, 192, 1, 1)
    branch3x3 = conv2d_bn(branch3x3, 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    x = _concatenate([branch3x3, branch7x7x3, _max_pool_3x3(x)], "mixed8")

    x = _block_8(x, 0)
    x = _block_8(x, 1)

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


model_utils.document(InceptionV3, """Instantiates the InceptionV3 architecture.

    Default input size 299x299. Preprocess inputs with
    `lamina.applications.inception_v3.preprocess_input` (scales pixels to [-1, 1]).
""", min_size=75)


def preprocess_input(x, data_format=None):
    """Preprocesses images for InceptionV3: scales pixels from [0, 255] to [-1, 1] ("tf" mode
    of `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
