"""ResNet50, ResNet101, ResNet152 (He et al., "Deep Residual Learning for Image Recognition",
CVPR 2015), and the network builder shared with ResNetV2 (`resnet_v2.py`).

Both versions are four stages ("conv2" ... "conv5") of bottleneck blocks on top of a 7x7
stem. Version 1 normalizes after each convolution and activates after the sum; version 2
("pre-activation") normalizes and activates before each block. Layer names are Keras's, so
Keras's weight files load.
"""

from lamina import config
from lamina.applications import imagenet_utils
from lamina.applications import model_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
WEIGHTS_HASHES = {  # weights name -> (hash with the top, hash without)
    "resnet50": ("2cb95161c43110f7111970584f804107", "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("f1aeb4b969a6efcfb50fad2f0c20cfc5", "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("100835be76be38e30d865e96f2aaae62", "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "resnet50v2": ("3ef43a0b657b3be2300d5770ece849e0", "fac2f116257151a9d068a22e544a4917"),
    "resnet101v2": ("6343647c601c52e1368623803854d971", "c0ed64b8031c3730f411d2eb4eea35b5"),
    "resnet152v2": ("a49b44d1979771252814e80f8ec446f9", "ed17cf2e0169df9d443503ef94b23b33"),
}
_EPSILON = 1.001e-5  # the BatchNormalization epsilon of the original Caffe/TF models


def ResNet(stack_fn, preact, use_bias, include_top=True, weights="imagenet", input_tensor=None,
           input_shape=None, pooling=None, classes=1000, classifier_activation="softmax",
           name="resnet", weights_name=None):
    """A ResNet: the stem, `stack_fn(x)` (the residual stages), then the top or pooling.

    Args:
        stack_fn: Function from the stem's output to the last stage's output.
        preact: True for ResNetV2 (pre-activation): the stem has no BatchNormalization and
            ReLU, and they come after the last stage instead ("post_bn", "post_relu").
        use_bias: Whether the stem convolution has a bias.
        weights_name: Key of `WEIGHTS_HASHES` naming the ImageNet weight files.
        The other arguments are the application arguments (see `ResNet50`).
    """
    from lamina import layers

    model_utils.check_arguments(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = model_utils.image_input(input_tensor, input_shape)
    bn_axis = model_utils.channel_axis()

    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=use_bias, name="conv1_conv")(x)
    if not preact:
        x = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name="conv1_bn")(x)
        x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)

    x = stack_fn(x)

    if preact:
        x = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name="post_bn")(x)
        x = layers.Activation("relu", name="post_relu")(x)

    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling, avg_name="avg_pool", max_name="max_pool")

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name = file_hash = None
    if weights_name in WEIGHTS_HASHES:
        suffix = "" if include_top else "_notop"
        file_name = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    model_utils.load_weights(model, weights, file_name, f"{BASE_WEIGHTS_PATH}{file_name}",
                             file_hash)
    return model


def residual_block_v1(x, filters, kernel_size=3, stride=1, conv_shortcut=True, name=None):
    """A bottleneck block (1x1, kxk, 1x1 with 4x filters) with post-activation.

    The shortcut is a strided 1x1 convolution when `conv_shortcut` (the first block of a
    stage), the input itself otherwise.
    """
    from lamina import layers

    bn_axis = model_utils.channel_axis()

    def batch_norm(suffix):
        return layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name=f"{name}_{suffix}")

    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x)
        shortcut = batch_norm("0_bn")(shortcut)
    else:
        shortcut = x

    x = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    x = batch_norm("1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.Conv2D(filters, kernel_size, padding="same", name=f"{name}_2_conv")(x)
    x = batch_norm("2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    x = batch_norm("3_bn")(x)

    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def stack_residual_blocks_v1(x, filters, blocks, stride1=2, name=None):
    """One stage of version-1 blocks; the first block downsamples by `stride1`."""
    x = residual_block_v1(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = residual_block_v1(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def residual_block_v2(x, filters, kernel_size=3, stride=1, conv_shortcut=False, name=None):
    """A pre-activation bottleneck block: BatchNormalization and ReLU come first, and the
    stride sits on the middle (kxk) convolution."""
    from lamina import layers

    bn_axis = model_utils.channel_axis()

    def batch_norm(suffix):
        return layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name=f"{name}_{suffix}")

    preact = batch_norm("preact_bn")(x)
    preact = layers.Activation("relu", name=f"{name}_preact_relu")(preact)

    if conv_shortcut:
        shortcut = layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(preact)
    elif stride > 1:
        # A 1x1 max pooling with a stride: subsampling the identity (unnamed, as in Keras).
        shortcut = layers.MaxPooling2D(1, strides=stride)(x)
    else:
        shortcut = x

    x = layers.Conv2D(filters, 1, strides=1, use_bias=False, name=f"{name}_1_conv")(preact)
    x = batch_norm("1_bn")(x)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name=f"{name}_2_pad")(x)
    x = layers.Conv2D(filters, kernel_size, strides=stride, use_bias=False,
                      name=f"{name}_2_conv")(x)
    x = batch_norm("2_bn")(x)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(x)
    return layers.Add(name=f"{name}_out")([shortcut, x])


def stack_residual_blocks_v2(x, filters, blocks, stride1=2, name=None):
    """One stage of version-2 blocks; the *last* block downsamples by `stride1`."""
    x = residual_block_v2(x, filters, conv_shortcut=True, name=f"{name}_block1")
    for i in range(2, blocks):
        x = residual_block_v2(x, filters, name=f"{name}_block{i}")
    return residual_block_v2(x, filters, stride=stride1, name=f"{name}_block{blocks}")


def _stages_v1(blocks):
    """The stack_fn of a version-1 ResNet with `blocks` blocks in each of its four stages."""
    def stack_fn(x):
        x = stack_residual_blocks_v1(x, 64, blocks[0], stride1=1, name="conv2")
        x = stack_residual_blocks_v1(x, 128, blocks[1], name="conv3")
        x = stack_residual_blocks_v1(x, 256, blocks[2], name="conv4")
        return stack_residual_blocks_v1(x, 512, blocks[3], name="conv5")
    return stack_fn


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="resnet50"):
    return ResNet(_stages_v1((3, 4, 6, 3)), preact=False, use_bias=True, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, input_shape=input_shape,
                  pooling=pooling, classes=classes, classifier_activation=classifier_activation,
                  name=name, weights_name="resnet50")


def ResNet101(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet101"):
    return ResNet(_stages_v1((3, 4, 23, 3)), preact=False, use_bias=True,
                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name,
                  weights_name="resnet101")


def ResNet152(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
              pooling=None, classes=1000, classifier_activation="softmax", name="resnet152"):
    return ResNet(_stages_v1((3, 8, 36, 3)), preact=False, use_bias=True,
                  include_top=include_top, weights=weights, input_tensor=input_tensor,
                  input_shape=input_shape, pooling=pooling, classes=classes,
                  classifier_activation=classifier_activation, name=name,
                  weights_name="resnet152")


_SUMMARY = """Instantiates the {name} architecture ({depth} layers, ResNet version 1).

    Default input size 224x224. Preprocess inputs with `lamina.applications.resnet.preprocess_input`
    (RGB to BGR, then each channel zero-centered on the ImageNet mean, no scaling).
"""
for _function, _depth in ((ResNet50, 50), (ResNet101, 101), (ResNet152, 152)):
    model_utils.document(_function, _SUMMARY.format(name=_function.__name__, depth=_depth))


def preprocess_input(x, data_format=None):
    """Preprocesses images for ResNet: RGB to BGR, then subtracts the ImageNet mean of each
    channel ("caffe" mode of `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
