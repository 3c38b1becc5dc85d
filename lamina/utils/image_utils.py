"""Image file helpers with Keras's signatures: `load_img`, `img_to_array`, `array_to_img`,
`save_img` (Pillow images <-> numpy arrays) and `smart_resize` (resize without distorting the
aspect ratio).

Pillow is an optional dependency, imported only when a function needs it.
"""

import io
import pathlib
import warnings

import numpy as np
import torch

from lamina import config
from lamina.registry.export import keras_export

PILLOW_MISSING = (
    "{what} needs Pillow, which is not installed. Install it with `pip install pillow` "
    "(or `pip install lamina[image]`)."
)
# Keras's names for Pillow's resampling filters (load_img's `interpolation`).
PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
COLOR_MODES = ("grayscale", "rgb", "rgba")


def pil_image(what="This function"):
    """The `PIL.Image` module, or an ImportError saying how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(PILLOW_MISSING.format(what=what)) from None
    return Image


@keras_export("utils.load_img", "preprocessing.image.load_img")
def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Load an image file as a Pillow image.

    Args:
        path: a path (str, bytes, `pathlib.Path`) or an `io.BytesIO` holding the file.
        color_mode: "grayscale", "rgb" or "rgba": the image is converted to that mode
            (grayscale images of 16 or 32 bits are kept as they are).
        target_size: None (keep the size) or `(height, width)` to resize to.
        interpolation: Pillow's filter for resizing: "nearest" (the default), "bilinear",
            "bicubic", "hamming", "box" or "lanczos".
        keep_aspect_ratio: resize the largest centred crop that has the target's aspect
            ratio, instead of stretching the whole image.

    Returns:
        A `PIL.Image.Image`.

    Example:

    ```python
    image = lamina.utils.load_img("cat.png", target_size=(224, 224))
    batch = np.expand_dims(lamina.utils.img_to_array(image), 0)
    predictions = model.predict(batch)
    ```
    """
    image_module = pil_image("load_img()")
    if isinstance(path, io.BytesIO):
        image = image_module.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        with open(path, "rb") as f:  # read it all, so no file stays open
            image = image_module.open(io.BytesIO(f.read()))
    else:
        raise TypeError(
            "`path` must be a path (str, bytes or pathlib.Path) or an io.BytesIO. Received: "
            f"{type(path).__name__}."
        )
    image = convert_color_mode(image, color_mode)
    if target_size is None:
        return image
    width_height = (int(target_size[1]), int(target_size[0]))
    if image.size == width_height:
        return image
    if interpolation not in PIL_INTERPOLATIONS:
        raise ValueError(
            f"`interpolation` must be one of {PIL_INTERPOLATIONS}. Received: "
            f"interpolation={interpolation!r}."
        )
    resample = getattr(image_module.Resampling, interpolation.upper())
    box = _centre_crop_box(image.size, width_height) if keep_aspect_ratio else None
    return image.resize(width_height, resample, box=box)


def convert_color_mode(image, color_mode):
    """A Pillow image in the mode of `color_mode` ("grayscale", "rgb" or "rgba")."""
    if color_mode == "grayscale":
        return image if image.mode in ("L", "I;16", "I") else image.convert("L")
    if color_mode == "rgba":
        return image if image.mode == "RGBA" else image.convert("RGBA")
    if color_mode == "rgb":
        return image if image.mode == "RGB" else image.convert("RGB")
    raise ValueError(f"`color_mode` must be one of {COLOR_MODES}. Received: {color_mode!r}.")


def _centre_crop_box(size, target):
    """(left, top, right, bottom) of the largest centred box with the target's aspect ratio."""
    (width, height), (target_width, target_height) = size, target
    crop_height = min(height, (width * target_height) // target_width)
    crop_width = min(width, (height * target_width) // target_height)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return (left, top, left + crop_width, top + crop_height)


@keras_export("utils.img_to_array", "preprocessing.image.img_to_array")
def img_to_array(img, data_format=None, dtype=None):
    """A Pillow image (or anything numpy can read) -> a 3D numpy array.

    Args:
        img: the image.
        data_format: "channels_last" `(height, width, channels)` or "channels_first"; None
            means `lamina.config.image_data_format()`.
        dtype: the array's dtype; None means `lamina.config.floatx()`.
    """
    data_format = config.standardize_data_format(data_format)
    array = np.asarray(img, dtype=dtype or config.floatx())
    if array.ndim == 2:  # one channel
        array = array[:, :, None]
    elif array.ndim != 3:
        raise ValueError(
            "img_to_array() expects an image of rank 2 (grayscale) or 3. Received shape "
            f"{array.shape}."
        )
    return array.transpose(2, 0, 1) if data_format == "channels_first" else array


@keras_export("utils.array_to_img", "preprocessing.image.array_to_img")
def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array (one image) -> a Pillow image.

    Args:
        x: the image, `(height, width, channels)` (or channels first), with 1, 3 or 4
            channels; a tensor or anything numpy can read.
        data_format: the layout of `x`; None means `lamina.config.image_data_format()`.
        scale: stretch the values to span [0, 255] (minimum -> 0, maximum -> 255). Without
            it, values are cast to 8 bits as they are.
        dtype: the float type used for the arithmetic; None means `lamina.config.floatx()`.

    Returns:
        A `PIL.Image.Image` of mode "L" (or "I" for one channel above 255), "RGB" or "RGBA".
    """
    data_format = config.standardize_data_format(data_format)
    image_module = pil_image("array_to_img()")
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=dtype or config.floatx())
    if x.ndim != 3:
        raise ValueError(
            f"array_to_img() expects one image, of rank 3. Received an array of shape {x.shape}."
        )
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        peak = np.max(x)
        if peak != 0:
            x = x / peak
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return image_module.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    if channels == 1:
        if np.max(x) > 255:  # keep more than 8 bits: 32-bit integer grayscale
            return image_module.fromarray(x[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(
        f"array_to_img() supports 1, 3 or 4 channels. Received an image with {channels} "
        f"channels (shape {x.shape}, data_format={data_format!r})."
    )


@keras_export("utils.save_img", "preprocessing.image.save_img")
def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an image array to a file (or a file object).

    Args:
        path: where to write: a path or a file object.
        x: the image array (see `array_to_img`).
        data_format: the layout of `x`; None means `lamina.config.image_data_format()`.
        file_format: "png", "jpeg", ...; None takes it from the path's extension (pass it
            when writing to a file object).
        scale: stretch the values to span [0, 255] (see `array_to_img`).
        **kwargs: passed to `PIL.Image.Image.save` (e.g. `quality=90`).
    """
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"  # Pillow's name for it
    image = array_to_img(x, data_format=data_format, scale=scale)
    if image.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("JPEG has no alpha channel: the RGBA image is saved as RGB.",
                      UserWarning, stacklevel=2)
        image = image.convert("RGB")
    image.save(path, format=file_format, **kwargs)


@keras_export("preprocessing.image.smart_resize")
def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", **kwargs):
    """Resize images to `size` without distorting them: crop, then resize.

    The largest centred window of the image with the aspect ratio of `size` is kept, then
    resized to `size`: e.g. a (340, 500) image resized to (200, 200) is cropped to its central
    (340, 340) square first.

    Args:
        x: one image `(height, width, channels)` or a batch `(batch, height, width,
            channels)` (channels first with `data_format="channels_first"`), as a numpy
            array or a tensor.
        size: `(height, width)`.
        interpolation: "bilinear", "nearest", "bicubic", "lanczos3" or "lanczos5".
        data_format: "channels_last" (the default) or "channels_first".

    Returns:
        The resized image(s): a numpy array for a numpy input, a tensor for a tensor.
    """
    if kwargs:
        raise TypeError(f"smart_resize() got unexpected keyword arguments: {sorted(kwargs)}.")
    if len(size) != 2:
        raise ValueError(f"`size` must be (height, width). Received: size={size!r}.")
    from lamina import ops  # lazy: ops pulls in the layer machinery

    images = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if images.ndim not in (3, 4):
        raise ValueError(
            "smart_resize() expects an image (height, width, channels) or a batch (batch, "
            f"height, width, channels). Received shape {tuple(images.shape)}."
        )
    data_format = config.standardize_data_format(data_format)
    h_axis = images.ndim - (3 if data_format == "channels_last" else 2)
    height, width = images.shape[h_axis], images.shape[h_axis + 1]
    target_height, target_width = size
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top, left = int((height - crop_height) / 2), int((width - crop_width) / 2)
    images = images.narrow(h_axis, top, crop_height).narrow(h_axis + 1, left, crop_width)
    resized = ops.image.resize(images, size=tuple(size), interpolation=interpolation,
                               data_format=data_format)
    return resized if isinstance(x, torch.Tensor) else resized.cpu().numpy()
