"""`draw_segmentation_masks`: paint each class of a segmentation mask in its own color over
the images."""

import numpy as np

from lamina.registry.object_registry import keras_export
from lamina.visualization import _arrays


@keras_export("visualization.draw_segmentation_masks", package=False)
def draw_segmentation_masks(images, segmentation_masks, num_classes=None, color_mapping=None,
                            alpha=0.8, blend=True, ignore_index=-1, data_format=None):
    """Overlay segmentation masks on a batch of images.

    Pixels of class `k` (for `0 <= k < num_classes`) take color `k`, blended with the image;
    pixels whose class is `ignore_index`, or outside `[0, num_classes)`, keep the image's
    value. As in Keras, class 0 is painted too (black in the default palette) unless it is
    the `ignore_index`.

    Args:
        images: A batch of images, numpy array or torch tensor, `(batch, height, width,
            channels)` (or channels first, see `data_format`), values in [0, 255].
        segmentation_masks: Integer class ids, `(batch, height, width)` or
            `(batch, height, width, 1)`.
        num_classes: How many classes get a color. Defaults to the largest class id in the
            masks (so, as in Keras, that largest id itself is not painted unless you pass
            `num_classes`).
        color_mapping: Optional dict from class id (`0` to `num_classes - 1`) to an RGB
            color; by default a fixed palette.
        alpha: Opacity of the colors, in [0, 1]. Defaults to 0.8.
        blend: If `False`, pixels are replaced by their class color (no blending) and the
            result is float32. Defaults to `True`.
        ignore_index: The class id that is never painted. Defaults to -1.
        data_format: `"channels_last"` or `"channels_first"` (images and masks); defaults to
            `lamina.config.image_data_format()`.

    Returns:
        A numpy array in the images' layout: uint8 when blending, float32 otherwise.
    """
    images = _arrays.batched_images(images, "draw_segmentation_masks")
    masks = _arrays.to_numpy(segmentation_masks)
    if masks.dtype.kind not in "iu":
        raise TypeError(
            "`segmentation_masks` must hold integer class ids. Received: "
            f"segmentation_masks.dtype={masks.dtype}. Convert them, e.g. with "
            "masks.astype('int32') (or argmax over a model's class scores)."
        )
    images, transposed = _arrays.channels_last(images, data_format)
    if masks.ndim == 4:
        masks, _ = _arrays.channels_last(masks, data_format)
        masks = masks[..., 0]
    if masks.shape != images.shape[:3]:
        raise ValueError(
            "Each segmentation mask must have its image's height and width: expected masks "
            f"of shape {images.shape[:3]} (or with a last axis of 1), received "
            f"{_arrays.to_numpy(segmentation_masks).shape}."
        )
    images = images.astype("float32")
    if num_classes is None:
        num_classes = int(masks.max())
    colors = _colors(num_classes, color_mapping)
    painted = images.copy()
    for class_id, color in enumerate(colors):
        painted[masks == class_id] = np.asarray(color, dtype="float32")
    if not blend:
        outputs = painted
    else:
        blended = images * (1 - alpha) + painted * alpha
        outputs = np.where((masks != ignore_index)[..., None], blended, images).astype("uint8")
    return np.transpose(outputs, (0, 3, 1, 2)) if transposed else outputs


def default_palette(num_classes):
    """Keras's palette: class i gets (i * (2**25 - 1, 2**15 - 1, 2**21 - 1)) mod 255."""
    multipliers = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * multipliers) % 255).tolist() for i in range(num_classes)]


def _colors(num_classes, color_mapping):
    if color_mapping is None:
        return default_palette(num_classes)
    missing = [i for i in range(num_classes) if i not in color_mapping]
    if missing:
        raise ValueError(
            f"`color_mapping` needs a color for every class id from 0 to {num_classes - 1}; "
            f"it has none for {missing}."
        )
    return [color_mapping[i] for i in range(num_classes)]
