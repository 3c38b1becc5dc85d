"""What every ImageNet model shares: input preprocessing, decoding predictions, input shapes.

`preprocess_input` turns images with pixel values in [0, 255] into what a family of pretrained
networks was trained on, in one of three conventions:

- "caffe": RGB becomes BGR, then the ImageNet mean of each channel is subtracted (VGG, ResNet).
- "tf": values are scaled to [-1, 1] (Inception, Xception, MobileNet, ResNetV2).
- "torch": values are scaled to [0, 1], then each channel is standardized with the ImageNet
  mean and standard deviation (DenseNet).

The helpers at the bottom (`obtain_input_shape`, `correct_pad`, `validate_activation`) are the
rules every architecture applies to its constructor arguments, with Keras's behaviour.
"""

import json
import warnings

import numpy as np

from lamina import config

CLASS_INDEX = None  # the ImageNet class index, read once from the downloaded JSON file
CLASS_INDEX_PATH = (
    "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
)
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_MODES = ("caffe", "tf", "torch")
# ImageNet statistics. "caffe" works in BGR order on [0, 255]; "torch" in RGB order on [0, 1].
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses a batch of images (or one image) for an ImageNet model.

    Args:
        x: A float NumPy array, a tensor or a symbolic tensor, 3D or 4D, with 3 color channels
            and values in [0, 255]. A float NumPy array is modified in place (pass
            `numpy.copy(x)` to keep it); an integer array is first converted to `floatx()`.
        data_format: "channels_last" or "channels_first"; `None` means
            `lamina.config.image_data_format()`.
        mode: "caffe" (RGB to BGR, then subtract the ImageNet mean of each channel), "tf"
            (scale to [-1, 1]) or "torch" (scale to [0, 1], then standardize each channel).

    Returns:
        The preprocessed array or tensor, of a float type.

    Example:

    >>> x = np.full((1, 2, 2, 3), 255.0)
    >>> preprocess_input(x, mode="tf")[0, 0, 0]
    array([1., 1., 1.])
    """
    if mode not in _MODES:
        raise ValueError(
            f"Expected `mode` to be one of {', '.join(repr(m) for m in _MODES)}. "
            f"Received: mode={mode!r}"
        )
    if data_format is None:
        data_format = config.image_data_format()
    elif data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            "Expected `data_format` to be 'channels_first' or 'channels_last'. "
            f"Received: data_format={data_format!r}"
        )
    if isinstance(x, (list, tuple, int, float)):
        x = np.asarray(x)
    if isinstance(x, np.ndarray):
        return _preprocess_numpy(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _channel_axis(ndim, data_format):
    # Keras's rule: channels-first images put the channels at axis 0 when unbatched (3D),
    # at axis 1 otherwise.
    if data_format == "channels_last":
        return ndim - 1
    return 0 if ndim == 3 else 1


def _statistics(mode):
    """(mean, std) per channel, in the channel order the mode works in (std None: no scaling)."""
    if mode == "torch":
        return _TORCH_MEAN, _TORCH_STD
    return _CAFFE_MEAN, None


def _preprocess_numpy(x, data_format, mode):
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(config.floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
    else:
        x = np.flip(x, axis=axis)  # RGB -> BGR, a view: the subtraction below writes through
    mean, std = _statistics(mode)
    for channel in range(3):
        index = (slice(None),) * axis + (channel,)
        x[index] -= mean[channel]
        if std is not None:
            x[index] /= std[channel]
    return x


def _preprocess_tensor(x, data_format, mode):
    # Works on torch tensors and on symbolic tensors alike: only indexing, stacking and
    # arithmetic with Python numbers, which both support. Tensors are never modified in place.
    from lamina import ops

    if not _is_floating(x):
        x = ops.cast(x, config.floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    axis = _channel_axis(len(x.shape), data_format)
    if mode == "torch":
        x = x / 255.0
        order = (0, 1, 2)
    else:
        order = (2, 1, 0)  # RGB -> BGR
    mean, std = _statistics(mode)
    channels = []
    for position, channel in enumerate(order):
        value = x[(slice(None),) * axis + (channel,)] - mean[position]
        if std is not None:
            value = value / std[position]
        channels.append(value)
    return ops.stack(channels, axis=axis)


def _is_floating(x):
    dtype = x.dtype
    if isinstance(dtype, str):  # a symbolic tensor's dtype is a name
        return "float" in dtype
    return dtype.is_floating_point


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, best first.

    Args:
        preds: A batch of predictions of shape `(samples, 1000)` (NumPy array or tensor).
        top: How many classes to return for each sample. Defaults to 5.

    Returns:
        One list per sample of `(class_id, class_name, score)` tuples, e.g.
        `("n02123045", "tabby", 0.72)`.

    The class names come from Keras's `imagenet_class_index.json`, downloaded once into
    `~/.keras/models/` (see `lamina.utils.get_file`).
    """
    global CLASS_INDEX
    from lamina import ops

    preds = ops.convert_to_numpy(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError(
            "`decode_predictions` expects a batch of ImageNet predictions: a 2D array of shape "
            f"(samples, 1000). Received an array of shape {preds.shape}. It only applies to "
            "models whose top has 1000 classes (include_top=True, classes=1000)."
        )
    if CLASS_INDEX is None:
        CLASS_INDEX = _load_class_index()
    results = []
    for pred in preds:
        best = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(i)]) + (pred[i],) for i in best]
        result.sort(key=lambda entry: entry[2], reverse=True)
        results.append(result)
    return results


def _load_class_index():
    from lamina.utils import file_utils

    path = file_utils.get_file(
        "imagenet_class_index.json",
        CLASS_INDEX_PATH,
        cache_subdir="models",
        file_hash=CLASS_INDEX_HASH,
    )
    with open(path) as f:
        return json.load(f)


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The model's input shape (may contain None), checked against what the network allows.

    Args:
        input_shape: The user's `input_shape`, or None for the network's default.
        default_size: The width and height the network was designed for (e.g. 224).
        min_size: The smallest width and height the network accepts.
        data_format: "channels_last" or "channels_first".
        require_flatten: True when the classifier top is included, which needs a static shape.
        weights: None, "imagenet" or a file path. ImageNet weights need 3 channels, and with
            the top included, exactly the default shape.
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn(
                "This model usually expects 1 or 3 input channels. However, it was passed an "
                f"input_shape with {channels} input channels.",
                stacklevel=3,
            )
        if channels_first:
            default_shape = (input_shape[0], default_size, default_size)
        else:
            default_shape = (default_size, default_size, input_shape[-1])
    elif channels_first:
        default_shape = (3, default_size, default_size)
    else:
        default_shape = (default_size, default_size, 3)

    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting `include_top=True` and loading 'imagenet' weights, `input_shape` "
                f"should be {default_shape}. Received: input_shape={input_shape}. Pass "
                "include_top=False to use another input size."
            )
        return default_shape

    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(
                "`input_shape` must be a tuple of three integers (height, width, channels), or "
                "(channels, height, width) with channels_first. Received: "
                f"input_shape={input_shape}"
            )
        channels = input_shape[0] if channels_first else input_shape[-1]
        spatial = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(
                "The input must have 3 channels to load 'imagenet' weights. Received: "
                f"input_shape={input_shape}"
            )
        if any(size is not None and size < min_size for size in spatial):
            raise ValueError(
                f"Input size must be at least {min_size}x{min_size}. Received: "
                f"input_shape={input_shape}"
            )
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)

    if require_flatten and None in input_shape:
        raise ValueError(
            "If `include_top` is True, you should specify a static `input_shape`. Received: "
            f"input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ZeroPadding2D padding that makes a strided 'valid' convolution match TF's 'same'.

    Args:
        inputs: The (symbolic) image tensor about to be convolved.
        kernel_size: An int or a tuple of 2 ints.

    Returns:
        `((top, bottom), (left, right))`.
    """
    first = 2 if config.image_data_format() == "channels_first" else 1
    size = inputs.shape[first:first + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    # An even size needs one row/column less on the top/left side; unknown sizes count as even.
    adjust = (1, 1) if size[0] is None else (1 - size[0] % 2, 1 - size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def validate_activation(classifier_activation, weights):
    """Pretrained weights allow only `None` or "softmax" as `classifier_activation`."""
    if weights is None:
        return
    from lamina import activations

    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only `None` and 'softmax' activations are allowed for the `classifier_activation` "
            "argument when using pretrained weights, with `include_top=True`. Received: "
            f"classifier_activation={classifier_activation!r}. Pass weights=None to train a "
            "top with another activation."
        )

