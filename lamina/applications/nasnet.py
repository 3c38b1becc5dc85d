"""NASNet-A Mobile and Large (Zoph et al., 2018): cells found by architecture search.

Each normal or reduction cell combines separable-convolution and pooling branches of the current
input and of the previous cell's output (`p`), which `_adjust_block` first brings to the same
size. Layer names, the name scopes of weight paths (`normal_A_block_0/block_1/...`), weight
order and the ImageNet files are Keras's. Like Keras, NASNet needs the `channels_last` data
format.
"""

from lamina import config, layers
from lamina.applications import imagenet_utils, model_utils
from lamina.name_scoping import name_scope as _name_scope

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
NASNET_MOBILE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-mobile.h5"
NASNET_MOBILE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-mobile-no-top.h5"
NASNET_LARGE_WEIGHT_PATH = f"{BASE_WEIGHTS_PATH}NASNet-large.h5"
NASNET_LARGE_WEIGHT_PATH_NO_TOP = f"{BASE_WEIGHTS_PATH}NASNet-large-no-top.h5"

# default size: {include_top: (file name, url, md5)}
_IMAGENET_FILES = {
    224: {True: ("nasnet_mobile.h5", NASNET_MOBILE_WEIGHT_PATH,
                 "020fb642bf7360b370c678b08e0adf61"),
          False: ("nasnet_mobile_no_top.h5", NASNET_MOBILE_WEIGHT_PATH_NO_TOP,
                  "1ed92395b5b598bdda52abe5c0dbfd63")},
    331: {True: ("nasnet_large.h5", NASNET_LARGE_WEIGHT_PATH,
                 "11577c9a518f0070763c2b964a382f17"),
          False: ("nasnet_large_no_top.h5", NASNET_LARGE_WEIGHT_PATH_NO_TOP,
                  "d81d89dc07e6e56530c4e77faddd61b5")},
}

_BN = {"momentum": 0.9997, "epsilon": 1e-3}


def NASNet(input_shape=None, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
           skip_reduction=True, filter_multiplier=2, include_top=True, weights="imagenet",
           input_tensor=None, pooling=None, classes=1000, default_size=None,
           classifier_activation="softmax", name="NASNet"):
    """Builds a NASNet-A from its cell counts and widths (NASNetMobile/NASNetLarge fix them).

    Args:
        penultimate_filters: filters of the last cells (a multiple of
            `24 * filter_multiplier ** 2`).
        num_blocks: normal cells between consecutive reductions.
        stem_block_filters: filters of the first convolution.
        skip_reduction: whether the cells after a reduction see the input of the reduction
            (True, NASNetLarge) or its output (False, NASNetMobile) as their previous input.
        filter_multiplier: how much a reduction widens the cells.
        default_size: the ImageNet size (224 Mobile, 331 Large; default 331).
        The other arguments are those of `NASNetLarge`.
    """
    if config.image_data_format() == "channels_first":
        raise ValueError(
            "NASNet needs the `channels_last` image data format. Call "
            "`lamina.config.set_image_data_format('channels_last')` before building it.")
    model_utils.check_arguments(weights, include_top, classes, pooling)
    if isinstance(input_shape, tuple) and None in input_shape and weights == "imagenet":
        raise ValueError("With ImageNet weights, NASNet's `input_shape` must be fully known "
                         f"(no None). Received: input_shape={input_shape}")
    default_size = 331 if default_size is None else default_size
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32, data_format="channels_last",
        require_flatten=include_top, weights=weights)
    if penultimate_filters % (24 * filter_multiplier**2) != 0:
        raise ValueError("NASNet-A's `penultimate_filters` must be a multiple of "
                         f"24 * filter_multiplier ** 2 = {24 * filter_multiplier**2}. "
                         f"Received: penultimate_filters={penultimate_filters}")
    img_input = model_utils.image_input(input_tensor, input_shape)

    filters = penultimate_filters // 24
    x = layers.Conv2D(stem_block_filters, (3, 3), strides=(2, 2), padding="valid",
                      use_bias=False, name="stem_conv1", kernel_initializer="he_normal")(img_input)
    x = layers.BatchNormalization(axis=-1, name="stem_bn1", **_BN)(x)
    p = None
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier**2, block_id="stem_1")
    x, p = _reduction_a_cell(x, p, filters // filter_multiplier, block_id="stem_2")
    # Three stages of `num_blocks` normal cells (ids 0.., then num_blocks + 1.., then
    # 2 * num_blocks + 1..), each later stage after a reduction cell that widens the cells.
    for stage in range(3):
        if stage:
            x, p0 = _reduction_a_cell(x, p, filters * filter_multiplier**stage,
                                      block_id=f"reduce_{stage * num_blocks}")
            p = p if skip_reduction else p0
        first_id = stage * num_blocks + 1 if stage else 0
        for i in range(num_blocks):
            x, p = _normal_a_cell(x, p, filters * filter_multiplier**stage,
                                  block_id=f"{first_id + i}")
    x = layers.Activation("relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling)

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name = url = file_hash = None
    if weights == "imagenet":
        if default_size not in _IMAGENET_FILES:
            raise ValueError("ImageNet weights exist only for NASNetMobile (default_size=224) and "
                             f"NASNetLarge (default_size=331). Received: default_size="
                             f"{default_size}")
        file_name, url, file_hash = _IMAGENET_FILES[default_size][bool(include_top)]
    model_utils.load_weights(model, weights, file_name, url, file_hash)
    return model


def NASNetMobile(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                 pooling=None, classes=1000, classifier_activation="softmax",
                 name="nasnet_mobile"):
    """Instantiates the NASNet-A Mobile (4 @ 1056) architecture.

    Args:
        input_shape: optional `(rows, cols, 3)`, at least 32x32; 224x224 with the top and
            ImageNet weights, and by default.
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"`, or the path of a weights file.
        input_tensor: optional symbolic tensor to use as the model's input.
        pooling: with `include_top=False`: `None` (4D feature map), `"avg"` or `"max"`.
        classes: number of classes of the top (1000 with ImageNet weights).
        classifier_activation: activation of the top; `None` returns logits.
        name: the model's name.

    Returns:
        A functional `Model` (channels-last). Inputs are expected in [-1, 1]: see
        `preprocess_input`.
    """
    if not include_top and input_shape is None:
        input_shape = (224, 224, 3)
    return NASNet(input_shape, penultimate_filters=1056, num_blocks=4, stem_block_filters=32,
                  skip_reduction=False, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=224, classifier_activation=classifier_activation, name=name)


def NASNetLarge(input_shape=None, include_top=True, weights="imagenet", input_tensor=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="nasnet_large"):
    """Instantiates the NASNet-A Large (6 @ 4032) architecture.

    Args:
        input_shape: optional `(rows, cols, 3)`, at least 32x32; 331x331 with the top and
            ImageNet weights, and by default.
        include_top: whether to end with the classifier.
        weights: `None` (random), `"imagenet"`, or the path of a weights file.
        input_tensor: optional symbolic tensor to use as the model's input.
        pooling: with `include_top=False`: `None` (4D feature map), `"avg"` or `"max"`.
        classes: number of classes of the top (1000 with ImageNet weights).
        classifier_activation: activation of the top; `None` returns logits.
        name: the model's name.

    Returns:
        A functional `Model` (channels-last). Inputs are expected in [-1, 1]: see
        `preprocess_input`.
    """
    return NASNet(input_shape, penultimate_filters=4032, num_blocks=6, stem_block_filters=96,
                  skip_reduction=True, filter_multiplier=2, include_top=include_top,
                  weights=weights, input_tensor=input_tensor, pooling=pooling, classes=classes,
                  default_size=331, classifier_activation=classifier_activation, name=name)


def _separable_conv_block(ip, filters, kernel_size=(3, 3), strides=(1, 1), block_id=None):
    """ReLU -> separable conv (strided ones padded explicitly) -> BN, twice."""
    with _name_scope(f"separable_conv_block_{block_id}"):
        x = layers.Activation("relu")(ip)
        conv_pad = "same"
        if strides == (2, 2):
            x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                     name=f"separable_conv_1_pad_{block_id}")(x)
            conv_pad = "valid"
        x = layers.SeparableConv2D(filters, kernel_size, strides=strides,
                                   name=f"separable_conv_1_{block_id}", padding=conv_pad,
                                   use_bias=False)(x)
        x = layers.BatchNormalization(axis=-1, name=f"separable_conv_1_bn_{block_id}", **_BN)(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(filters, kernel_size, name=f"separable_conv_2_{block_id}",
                                   padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(axis=-1, name=f"separable_conv_2_bn_{block_id}", **_BN)(x)
    return x


def _adjust_block(p, ip, filters, block_id=None):
    """Brings the previous cell's output `p` to the size and width of the current input `ip`:
    a factorized reduction (two offset 1x1 strided paths) when the spatial size halved, a 1x1
    projection when only the width differs."""
    with _name_scope("adjust_block"):
        if p is None:
            return ip
        if p.shape[-2] != ip.shape[-2]:
            with _name_scope(f"adjust_reduction_block_{block_id}"):
                p = layers.Activation("relu", name=f"adjust_relu_1_{block_id}")(p)
                p1 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                             name=f"adjust_avg_pool_1_{block_id}")(p)
                p1 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                                   name=f"adjust_conv_1_{block_id}",
                                   kernel_initializer="he_normal")(p1)
                # The second path samples the pixels offset by one (pad, then crop the start).
                p2 = layers.ZeroPadding2D(padding=((0, 1), (0, 1)))(p)
                p2 = layers.Cropping2D(cropping=((1, 0), (1, 0)))(p2)
                p2 = layers.AveragePooling2D((1, 1), strides=(2, 2), padding="valid",
                                             name=f"adjust_avg_pool_2_{block_id}")(p2)
                p2 = layers.Conv2D(filters // 2, (1, 1), padding="same", use_bias=False,
                                   name=f"adjust_conv_2_{block_id}",
                                   kernel_initializer="he_normal")(p2)
                p = layers.concatenate([p1, p2], axis=-1)
                p = layers.BatchNormalization(axis=-1, name=f"adjust_bn_{block_id}", **_BN)(p)
        elif p.shape[-1] != filters:
            with _name_scope(f"adjust_projection_block_{block_id}"):
                p = layers.Activation("relu")(p)
                p = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same",
                                  name=f"adjust_conv_projection_{block_id}", use_bias=False,
                                  kernel_initializer="he_normal")(p)
                p = layers.BatchNormalization(axis=-1, name=f"adjust_bn_{block_id}", **_BN)(p)
    return p


def _cell_input(ip, filters, kind, block_id):
    """ReLU -> 1x1 conv -> BN of the current input: the `h` every branch of a cell starts
    from."""
    h = layers.Activation("relu")(ip)
    h = layers.Conv2D(filters, (1, 1), strides=(1, 1), padding="same",
                      name=f"{kind}_conv_1_{block_id}", use_bias=False,
                      kernel_initializer="he_normal")(h)
    return layers.BatchNormalization(axis=-1, name=f"{kind}_bn_1_{block_id}", **_BN)(h)


def _normal_a_cell(ip, p, filters, block_id=None):
    """A normal cell: five branch pairs at the input's resolution, concatenated with `p`.
    Returns the cell's output and its input (the next cell's `p`)."""
    with _name_scope(f"normal_A_block_{block_id}"):
        p = _adjust_block(p, ip, filters, block_id)
        h = _cell_input(ip, filters, "normal", block_id)
        with _name_scope("block_1"):
            x1_1 = _separable_conv_block(h, filters, kernel_size=(5, 5),
                                         block_id=f"normal_left1_{block_id}")
            x1_2 = _separable_conv_block(p, filters, block_id=f"normal_right1_{block_id}")
            x1 = layers.add([x1_1, x1_2], name=f"normal_add_1_{block_id}")
        with _name_scope("block_2"):
            x2_1 = _separable_conv_block(p, filters, (5, 5), block_id=f"normal_left2_{block_id}")
            x2_2 = _separable_conv_block(p, filters, (3, 3),
                                         block_id=f"normal_right2_{block_id}")
            x2 = layers.add([x2_1, x2_2], name=f"normal_add_2_{block_id}")
        with _name_scope("block_3"):
            x3 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                         name=f"normal_left3_{block_id}")(h)
            x3 = layers.add([x3, p], name=f"normal_add_3_{block_id}")
        with _name_scope("block_4"):
            x4_1 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                           name=f"normal_left4_{block_id}")(p)
            x4_2 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                           name=f"normal_right4_{block_id}")(p)
            x4 = layers.add([x4_1, x4_2], name=f"normal_add_4_{block_id}")
        with _name_scope("block_5"):
            x5 = _separable_conv_block(h, filters, block_id=f"normal_left5_{block_id}")
            x5 = layers.add([x5, h], name=f"normal_add_5_{block_id}")
        x = layers.concatenate([p, x1, x2, x3, x4, x5], axis=-1,
                               name=f"normal_concat_{block_id}")
    return x, ip


def _reduction_a_cell(ip, p, filters, block_id=None):
    """A reduction cell: branch pairs at stride 2, concatenated. Returns the cell's output and
    its input (the next cell's `p`)."""
    with _name_scope(f"reduction_A_block_{block_id}"):
        p = _adjust_block(p, ip, filters, block_id)
        h = _cell_input(ip, filters, "reduction", block_id)
        h3 = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(h, 3),
                                  name=f"reduction_pad_1_{block_id}")(h)
        with _name_scope("block_1"):
            x1_1 = _separable_conv_block(h, filters, (5, 5), strides=(2, 2),
                                         block_id=f"reduction_left1_{block_id}")
            x1_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                         block_id=f"reduction_right1_{block_id}")
            x1 = layers.add([x1_1, x1_2], name=f"reduction_add_1_{block_id}")
        with _name_scope("block_2"):
            x2_1 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                       name=f"reduction_left2_{block_id}")(h3)
            x2_2 = _separable_conv_block(p, filters, (7, 7), strides=(2, 2),
                                         block_id=f"reduction_right2_{block_id}")
            x2 = layers.add([x2_1, x2_2], name=f"reduction_add_2_{block_id}")
        with _name_scope("block_3"):
            x3_1 = layers.AveragePooling2D((3, 3), strides=(2, 2), padding="valid",
                                           name=f"reduction_left3_{block_id}")(h3)
            x3_2 = _separable_conv_block(p, filters, (5, 5), strides=(2, 2),
                                         block_id=f"reduction_right3_{block_id}")
            x3 = layers.add([x3_1, x3_2], name=f"reduction_add3_{block_id}")
        with _name_scope("block_4"):
            x4 = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same",
                                         name=f"reduction_left4_{block_id}")(x1)
            x4 = layers.add([x2, x4])
        with _name_scope("block_5"):
            x5_1 = _separable_conv_block(x1, filters, (3, 3),
                                         block_id=f"reduction_left4_{block_id}")
            x5_2 = layers.MaxPooling2D((3, 3), strides=(2, 2), padding="valid",
                                       name=f"reduction_right5_{block_id}")(h3)
            x5 = layers.add([x5_1, x5_2], name=f"reduction_add4_{block_id}")
        x = layers.concatenate([x2, x3, x4, x5], axis=-1, name=f"reduction_concat_{block_id}")
    return x, ip


def preprocess_input(x, data_format=None):
    """Scales pixels from [0, 255] to [-1, 1], the range NASNet was trained on.

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
