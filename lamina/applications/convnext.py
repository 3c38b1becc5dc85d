"""ConvNeXt Tiny, Small, Base, Large, XLarge (Liu et al., 2022, "A ConvNet for the 2020s").

Stages of ConvNeXt blocks (7x7 depthwise conv, LayerNorm, two pointwise Dense layers with GELU,
a learned per-channel `LayerScale`, a residual with optional `StochasticDepth`), joined by
downsampling `Sequential`s. Preprocessing (a `Normalization` with the ImageNet statistics of
[0, 255] pixels) is part of the model unless `include_preprocessing=False`, so
`preprocess_input` passes its input through. Layer names, weight order and files are Keras's;
like Keras, the models need the `channels_last` data format.
"""

import numpy as np
import torch

from lamina import backend, config, initializers, layers, models
from lamina.applications import imagenet_utils, model_utils
from lamina.utils import naming

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
WEIGHTS_HASHES = {
    "convnext_tiny": ("8ae6e78ce2933352b1ef4008e6dd2f17bc40771563877d156bc6426c7cf503ff",
                      "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1"),
    "convnext_small": ("ce1277d8f1ee5a0ef0e171469089c18f5233860ceaf9b168049cb9263fd7483c",
                       "6fc8009faa2f00c1c1dfce59feea9b0745eb260a7dd11bee65c8e20843da6eab"),
    "convnext_base": ("52cbb006d3dadd03f6e095a8ca1aca47aecdd75acb4bc74bce1f5c695d0086e6",
                      "40a20c5548a5e9202f69735ecc06c990e6b7c9d2de39f0361e27baeb24cb7c45"),
    "convnext_large": ("070c5ed9ed289581e477741d3b34beffa920db8cf590899d6d2c67fba2a198a6",
                       "96f02b6f0753d4f543261bc9d09bed650f24dd6bc02ddde3066135b63d23a1cd"),
    "convnext_xlarge": ("c1f5ccab661354fc3a79a10fa99af82f0fbf10ec65cb894a3ae0815f17a889ee",
                        "de3f8a54174130e0cecdc71583354753d557fcf1f4487331558e2a16ba0cfe05"),
}
MODEL_CONFIGS = {
    "tiny": {"depths": [3, 3, 9, 3], "projection_dims": [96, 192, 384, 768],
             "default_size": 224},
    "small": {"depths": [3, 3, 27, 3], "projection_dims": [96, 192, 384, 768],
              "default_size": 224},
    "base": {"depths": [3, 3, 27, 3], "projection_dims": [128, 256, 512, 1024],
             "default_size": 224},
    "large": {"depths": [3, 3, 27, 3], "projection_dims": [192, 384, 768, 1536],
              "default_size": 224},
    "xlarge": {"depths": [3, 3, 27, 3], "projection_dims": [256, 512, 1024, 2048],
               "default_size": 224},
}


class StochasticDepth(layers.Layer):
    """Drops the whole residual branch of a sample with probability `drop_path_rate` during
    training (scaling the kept ones by `1 / (1 - rate)`); the identity at inference.

    Args:
        drop_path_rate: probability of dropping the branch, in [0, 1).
    """

    def __init__(self, drop_path_rate, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate

    def call(self, x, training=None):
        if not training or not self.drop_path_rate:
            return x
        keep_prob = 1 - self.drop_path_rate
        # One draw per sample, broadcast over its other axes.
        shape = (x.shape[0],) + (1,) * (x.ndim - 1)
        keep = torch.floor(keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device))
        return x / keep_prob * keep

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "drop_path_rate": self.drop_path_rate}


class LayerScale(layers.Layer):
    """Multiplies the last axis by a learned per-channel scale `gamma`, initialized to
    `init_values` (small, so each residual branch starts close to zero).

    Args:
        init_values: initial value of every scale.
        projection_dim: size of the last axis.
    """

    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        # Keras creates this weight without a name, so it is called `variable`, `variable_1`,
        # ... by a session-wide counter; the same names keep weight paths identical.
        self.gamma = self.add_weight(shape=(self.projection_dim,),
                                     initializer=initializers.Constant(self.init_values),
                                     trainable=True, name=naming.unique_name("variable"))

    def call(self, x):
        return x * self.gamma

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values,
                "projection_dim": self.projection_dim}


def ConvNeXtBlock(projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6, name=None):
    """One ConvNeXt block, as a function of its input (channels-last)."""
    name = name or f"prestem{backend.get_uid('prestem')}"

    def apply(inputs):
        x = layers.Conv2D(filters=projection_dim, kernel_size=7, padding="same",
                          groups=projection_dim, name=f"{name}_depthwise_conv")(inputs)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_layernorm")(x)
        x = layers.Dense(4 * projection_dim, name=f"{name}_pointwise_conv_1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(projection_dim, name=f"{name}_pointwise_conv_2")(x)
        if layer_scale_init_value is not None:
            x = LayerScale(layer_scale_init_value, projection_dim, name=f"{name}_layer_scale")(x)
        if drop_path_rate:
            branch = StochasticDepth(drop_path_rate, name=f"{name}_stochastic_depth")
        else:
            branch = layers.Activation("linear", name=f"{name}_identity")
        return inputs + branch(x)  # an op, not an Add layer: Keras's graph

    return apply


def PreStem(name=None):
    """Normalizes [0, 255] pixels with the ImageNet mean and variance."""
    name = name or f"prestem{backend.get_uid('prestem')}"

    def apply(x):
        return layers.Normalization(
            mean=[0.485 * 255, 0.456 * 255, 0.406 * 255],
            variance=[(0.229 * 255) ** 2, (0.224 * 255) ** 2, (0.225 * 255) ** 2],
            name=f"{name}_prestem_normalization")(x)

    return apply


def Head(num_classes=1000, classifier_activation=None, name=None):
    """Global average pooling, LayerNorm, then the classifier."""
    name = name or str(backend.get_uid("head"))

    def apply(x):
        x = layers.GlobalAveragePooling2D(name=f"{name}_head_gap")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_head_layernorm")(x)
        return layers.Dense(num_classes, activation=classifier_activation,
                            name=f"{name}_head_dense")(x)

    return apply


def ConvNeXt(depths, projection_dims, drop_path_rate=0.0, layer_scale_init_value=1e-6,
             default_size=224, name="convnext", include_preprocessing=True, include_top=True,
             weights=None, input_tensor=None, input_shape=None, pooling=None, classes=1000,
             classifier_activation="softmax", weights_name=None):
    """Builds a ConvNeXt from its stage depths and widths (the Tiny-XLarge functions fix
    them)."""
    if config.image_data_format() == "channels_first":
        raise ValueError(
            "ConvNeXt needs the `channels_last` image data format (its LayerNormalization and "
            "Dense layers work on the last axis). Call "
            "`lamina.config.set_image_data_format('channels_last')` before building it.")
    model_utils.check_arguments(weights, include_top, classes, pooling)
    if weights == "imagenet":
        _check_imagenet_variant(weights_name, depths, projection_dims)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=32,
        data_format=config.image_data_format(), require_flatten=include_top, weights=weights)
    img_input = model_utils.image_input(input_tensor, input_shape)
    x = img_input
    if include_preprocessing and input_shape[-1] == 3:
        x = PreStem(name=name)(x)

    stem = models.Sequential(
        [layers.Conv2D(projection_dims[0], kernel_size=4, strides=4, name=f"{name}_stem_conv"),
         layers.LayerNormalization(epsilon=1e-6, name=f"{name}_stem_layernorm")],
        name=f"{name}_stem")
    downsample_layers = [stem]
    for i in range(3):
        downsample_layers.append(models.Sequential(
            [layers.LayerNormalization(epsilon=1e-6, name=f"{name}_downsampling_layernorm_{i}"),
             layers.Conv2D(projection_dims[i + 1], kernel_size=2, strides=2,
                           name=f"{name}_downsampling_conv_{i}")],
            name=f"{name}_downsampling_block_{i}"))

    # Stochastic depth grows linearly over all blocks, from 0 to `drop_path_rate`.
    depth_drop_rates = [float(r) for r in np.linspace(0.0, drop_path_rate, sum(depths))]
    cur = 0
    for i in range(4):
        # Built before the call: an unbuilt Sequential called on a symbolic tensor names its
        # weights `stem/stem/conv/kernel` in lamina (Keras: `stem/conv/kernel`).
        downsample_layers[i].build(tuple(x.shape))
        x = downsample_layers[i](x)
        for j in range(depths[i]):
            x = ConvNeXtBlock(projection_dim=projection_dims[i],
                              drop_path_rate=depth_drop_rates[cur + j],
                              layer_scale_init_value=layer_scale_init_value,
                              name=f"{name}_stage_{i}_block_{j}")(x)
        cur += depths[i]

    if include_top:
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = Head(num_classes=classes, classifier_activation=classifier_activation, name=name)(x)
    else:
        x = model_utils.apply_pooling(x, pooling)
        x = layers.LayerNormalization(epsilon=1e-6)(x)

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name = file_hash = None
    if weights == "imagenet":
        file_name = weights_name + (".h5" if include_top else "_notop.h5")
        file_hash = WEIGHTS_HASHES[weights_name][0 if include_top else 1]
    model_utils.load_weights(model, weights, file_name,
                             file_name and BASE_WEIGHTS_PATH + file_name, file_hash)
    return model


def _check_imagenet_variant(weights_name, depths, projection_dims):
    if weights_name not in WEIGHTS_HASHES:
        raise ValueError(f"No ImageNet weights for {weights_name!r}; the variants with weights "
                         f"are {sorted(WEIGHTS_HASHES)}.")
    expected = MODEL_CONFIGS[weights_name.split("convnext_")[-1]]
    if list(depths) != expected["depths"] or list(projection_dims) != expected["projection_dims"]:
        raise ValueError(
            f"The ImageNet weights of {weights_name} need depths={expected['depths']} and "
            f"projection_dims={expected['projection_dims']}. Received: depths={depths}, "
            f"projection_dims={projection_dims}.")


_DOC = """Instantiates the {name} architecture.

    Args:
        include_top: whether to end with the classifier head.
        include_preprocessing: start with the `Normalization` of [0, 255] pixels the weights
            expect; without it the model takes already normalized inputs.
        weights: `None` (random), `"imagenet"`, or the path of a weights file.
        input_tensor: optional symbolic tensor to use as the model's input.
        input_shape: optional `(rows, cols, channels)`, at least 32x32 (default 224x224).
        pooling: with `include_top=False`: `None` (4D feature map), `"avg"` or `"max"`; a
            LayerNormalization follows in every case.
        classes: number of classes of the top (1000 with ImageNet weights).
        classifier_activation: activation of the top; `None` returns logits.
        name: the model's name (it prefixes every layer's name).

    Returns:
        A functional `Model` (channels-last only).
    """


def _variant(size):
    def build(include_top=True, include_preprocessing=True, weights="imagenet",
              input_tensor=None, input_shape=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=f"convnext_{size}"):
        model_config = MODEL_CONFIGS[size]
        return ConvNeXt(weights_name=f"convnext_{size}", depths=model_config["depths"],
                        projection_dims=model_config["projection_dims"], drop_path_rate=0.0,
                        layer_scale_init_value=1e-6, default_size=model_config["default_size"],
                        name=name, include_top=include_top,
                        include_preprocessing=include_preprocessing, weights=weights,
                        input_tensor=input_tensor, input_shape=input_shape, pooling=pooling,
                        classes=classes, classifier_activation=classifier_activation)

    build.__name__ = build.__qualname__ = {"xlarge": "ConvNeXtXLarge"}.get(
        size, f"ConvNeXt{size.capitalize()}")
    build.__doc__ = _DOC.format(name=build.__name__)
    return build


ConvNeXtTiny = _variant("tiny")
ConvNeXtSmall = _variant("small")
ConvNeXtBase = _variant("base")
ConvNeXtLarge = _variant("large")
ConvNeXtXLarge = _variant("xlarge")


def preprocess_input(x, data_format=None):
    """Returns `x` unchanged: ConvNeXt normalizes its inputs itself (see
    `include_preprocessing`). Kept so every application has a `preprocess_input`."""
    return x


def decode_predictions(preds, top=5):
    """Turns ImageNet class probabilities into `(class_id, class_name, score)` lists: see
    `lamina.applications.imagenet_utils.decode_predictions`."""
    return imagenet_utils.decode_predictions(preds, top=top)
