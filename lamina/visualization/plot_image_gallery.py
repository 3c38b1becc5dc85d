"""`plot_image_gallery`: a grid of images in one matplotlib figure, with optional labels."""

import math

import numpy as np

from lamina.registry.object_registry import keras_export
from lamina.visualization import _arrays


def require_pyplot(function_name):
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(
            f"{function_name}() needs matplotlib: install it with `pip install matplotlib`."
        ) from error
    return plt


def to_pixel_range(images, value_range):
    """`images` linearly mapped from `value_range` to [0, 255] (float32, clipped)."""
    low, high = value_range
    images = images.astype("float32")
    if (low, high) != (0, 255):
        images = (images - low) * (255.0 / (high - low))
    return np.clip(images, 0, 255)


@keras_export("visualization.plot_image_gallery", package=False)
def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """Show a batch of images as a grid, titled with their true and/or predicted labels.

    Args:
        images: A batch of images, numpy array or torch tensor, `(batch, height, width,
            channels)` (or channels first, see `data_format`).
        y_true: Optional true class ids, one per image; titles read `label_map[id]`.
        y_pred: Optional predicted class ids, one per image.
        label_map: Dict from class id to name; required with `y_true` or `y_pred`.
        rows: Rows of the grid. Defaults to `ceil(sqrt(batch))`.
        cols: Columns of the grid. Defaults to enough columns for the whole batch with
            `rows` rows.
        value_range: The images' value range, e.g. `(0, 255)` or `(0, 1)`.
        scale: Size of each image in inches. Defaults to 2.
        path: Save the figure to this file (then close it) instead of showing it.
        show: Call `plt.show()`. Defaults to `True` when `path` is `None`; pass `False` to
            keep the figure open (`plt.gcf()`) for further editing.
        transparent: Save with a transparent background. Defaults to `True`.
        dpi: Resolution of the saved file. Defaults to 60.
        legend_handles: Optional matplotlib handles (e.g. `Patch`es) for a figure legend.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `lamina.config.image_data_format()`.
    """
    plt = require_pyplot("plot_image_gallery")
    if path is not None and show:
        raise ValueError(
            "plot_image_gallery() either saves the figure (`path`) or shows it (`show=True`), "
            f"not both. Received: path={path!r}, show={show!r}."
        )
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "plot_image_gallery() needs `label_map` (class id -> name) to title images with "
            "`y_true` or `y_pred`."
        )
    images = _arrays.batched_images(images, "plot_image_gallery")
    images, _ = _arrays.channels_last(images, data_format)
    batch_size = images.shape[0]
    rows = rows or math.ceil(math.sqrt(batch_size))
    cols = cols or math.ceil(batch_size / rows)
    images = to_pixel_range(images[:rows * cols], value_range).astype("uint8")
    if images.shape[-1] == 1:
        images = images[..., 0]  # matplotlib shows (height, width) arrays, not (h, w, 1)
    titles = _titles(len(images), y_true, y_pred, label_map)

    figure, axes = plt.subplots(nrows=rows, ncols=cols, figsize=(cols * scale, rows * scale),
                                frameon=False, layout="tight", squeeze=False, sharex="row",
                                sharey="col")
    figure.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        figure.legend(handles=legend_handles, loc="lower center")
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index >= len(images):
            continue  # the grid has more cells than images
        axis.imshow(images[index], cmap="gray" if images.ndim == 3 else None)
        axis.margins(x=0, y=0)
        if titles[index]:
            axis.set_title(titles[index], fontsize=8)
    if path is not None:
        plt.savefig(fname=path, pad_inches=0, bbox_inches="tight", transparent=transparent,
                    dpi=dpi)
        plt.close()
    elif show if show is not None else True:
        plt.show()
        plt.close()


def _titles(count, y_true, y_pred, label_map):
    parts = [[] for _ in range(count)]
    for prefix, ids in (("Label", y_true), ("Pred", y_pred)):
        if ids is None:
            continue
        ids = _arrays.to_numpy(ids).reshape(-1)
        for index in range(min(count, len(ids))):
            parts[index].append(f"{prefix}: {label_map.get(ids[index].item(), 'Unknown')}")
    return ["  ".join(p) for p in parts]
