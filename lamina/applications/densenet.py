"""DenseNet121, DenseNet169, DenseNet201 (Huang et al., "Densely Connected Convolutional
Networks", CVPR 2017), with Keras's layer names so Keras's weight files load.

Each dense block appends 32 new channels per building block to everything before it
(concatenation); transition blocks halve the channels and the resolution in between.
"""

from lamina import config
from lamina.applications import imagenet_utils
from lamina.applications import model_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
WEIGHTS = {  # blocks per dense block -> (weights name, hash with the top, hash without)
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
                      "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b",
                      "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                      "c13680b51ded0fb44dff2d8f86ac8bb1"),
}
_EPSILON = 1.001e-5
_GROWTH_RATE = 32


def _batch_norm(name):
    from lamina import layers

    return layers.BatchNormalization(axis=model_utils.channel_axis(), epsilon=_EPSILON,
                                     name=name)


def conv_block(x, growth_rate, name):
    """One building block: BN-ReLU-1x1 conv (4 x growth_rate), BN-ReLU-3x3 conv (growth_rate),
    concatenated to its input."""
    from lamina import layers

    x1 = _batch_norm(f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = _batch_norm(f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False,
                       name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=model_utils.channel_axis(), name=f"{name}_concat")([x, x1])


def dense_block(x, blocks, name):
    """`blocks` building blocks, named `{name}_block1` ... `{name}_block{blocks}`."""
    for i in range(1, blocks + 1):
        x = conv_block(x, _GROWTH_RATE, name=f"{name}_block{i}")
    return x


def transition_block(x, reduction, name):
    """BN-ReLU-1x1 conv keeping `reduction` of the channels, then 2x2 average pooling."""
    from lamina import layers

    x = _batch_norm(f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    channels = x.shape[model_utils.channel_axis()]
    x = layers.Conv2D(int(channels * reduction), 1, use_bias=False, name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with `blocks` building blocks in each of its four dense blocks.

    Unlike Keras, which refuses it, channels_first works too.
    """
    from lamina import layers

    model_utils.check_arguments(weights, include_top, classes, pooling)
    if weights == "imagenet" and tuple(blocks) not in WEIGHTS:
        raise ValueError(
            "ImageNet weights exist only for DenseNet121, 169 and 201: blocks (6, 12, 24, 16), "
            f"(6, 12, 32, 32) or (6, 12, 48, 32). Received: blocks={blocks}. "
            "Pass weights=None."
        )
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = model_utils.image_input(input_tensor, input_shape)

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = _batch_norm("conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)

    x = dense_block(x, blocks[0], name="conv2")
    x = transition_block(x, 0.5, name="pool2")
    x = dense_block(x, blocks[1], name="conv3")
    x = transition_block(x, 0.5, name="pool3")
    x = dense_block(x, blocks[2], name="conv4")
    x = transition_block(x, 0.5, name="pool4")
    x = dense_block(x, blocks[3], name="conv5")
    x = _batch_norm("bn")(x)
    x = layers.Activation("relu", name="relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling, avg_name="avg_pool", max_name="max_pool")

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name = file_hash = None
    if weights == "imagenet":
        weights_name, top_hash, notop_hash = WEIGHTS[tuple(blocks)]
        suffix = "" if include_top else "_notop"
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = top_hash if include_top else notop_hash
    model_utils.load_weights(model, weights, file_name, f"{BASE_WEIGHTS_PATH}{file_name}",
                             file_hash)
    return model


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


_SUMMARY = """Instantiates the {name} architecture.

    Default input size 224x224. Preprocess inputs with
    `lamina.applications.densenet.preprocess_input` (scales pixels to [0, 1], then standardizes
    each channel with the ImageNet mean and standard deviation).
"""
for _function in (DenseNet121, DenseNet169, DenseNet201):
    model_utils.document(_function, _SUMMARY.format(name=_function.__name__))


def preprocess_input(x, data_format=None):
    """Preprocesses images for DenseNet: scales pixels to [0, 1], then standardizes each channel
    with the ImageNet statistics ("torch" mode of
    `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
