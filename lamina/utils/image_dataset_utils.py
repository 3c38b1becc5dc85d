"""`image_dataset_from_directory`: a dataset of images (and labels) read from class folders.

Files are indexed as Keras does (see `lamina.utils.dataset_utils`), decoded with Pillow and
resized with `lamina.ops.image.resize` (half-pixel centres, no antialiasing, as
`tf.image.resize`): the computation of Keras's TensorFlow-free loader (`format="grain"`).
"""

import functools

import numpy as np

from lamina import config
from lamina.registry.export import keras_export
from lamina.utils import dataset_utils, image_utils

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5")
TENSORFLOW_ONLY_INTERPOLATIONS = ("area", "gaussian", "mitchellcubic")
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


@keras_export("utils.image_dataset_from_directory", "preprocessing.image_dataset_from_directory")
def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """A dataset of batches of images read from a directory.

    With the layout

    ```
    main_directory/
        class_a/
            a_image_1.jpg
            a_image_2.jpg
        class_b/
            b_image_1.jpg
    ```

    `image_dataset_from_directory(main_directory)` yields batches of images with the labels
    0 (`class_a`) and 1 (`class_b`). Files ending in .bmp, .gif (first frame), .jpeg, .jpg or
    .png are read, in sub-folders too.

    Args:
        directory: the folder holding the images (in class sub-folders when
            `labels="inferred"`).
        labels: "inferred" (a class per sub-folder, in alphanumeric order), None (images
            only) or a list of integer labels, one per image file in the order of
            `os.walk` with sorted folders and files.
        label_mode: how labels are encoded: "int" (int32 `(batch,)`, for
            `sparse_categorical_crossentropy`), "categorical" (one-hot float32
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, two classes only) or
            None (no labels).
        class_names: with `labels="inferred"`, the sub-folders to read, in label order.
        color_mode: "grayscale", "rgb" or "rgba": 1, 3 or 4 channels.
        batch_size: images per batch; None gives single images.
        image_size: `(height, width)` every image is resized to (an int means a square).
        shuffle: shuffle the files (with a new order at every pass); False keeps the
            alphanumeric order.
        seed: the seed of the shuffling and of the validation split.
        validation_split: fraction of the files kept for validation (the last ones after
            shuffling).
        subset: "training", "validation" or "both" (returns `[training, validation]`);
            only with `validation_split`.
        interpolation: "bilinear", "nearest", "bicubic", "lanczos3" or "lanczos5".
        follow_links: also read sub-folders that are symbolic links.
        crop_to_aspect_ratio: crop each image to the largest centred window with the
            aspect ratio of `image_size` before resizing, instead of stretching it.
        pad_to_aspect_ratio: pad each image (with zeros, evenly on both sides) to the
            aspect ratio of `image_size` before resizing, instead of stretching it.
        data_format: "channels_last" `(batch, height, width, channels)` or
            "channels_first"; None means `lamina.config.image_data_format()`.
        format: accepted for Keras code: "tf" and "grain" both give a `BatchedDataset`.
        verbose: print how many files and classes were found.

    Returns:
        A `lamina.utils.BatchedDataset` of `(images, labels)` (images alone without labels),
        images float32 in [0, 255]; it has `class_names` and `file_paths` (the files in
        the order Keras lists them). With `subset="both"`, a list of the training and the
        validation dataset. Pass it to `model.fit` / `evaluate` / `predict`, iterate over
        it, or call `to_dataloader()`.

    Differences from Keras: shuffling permutes the whole dataset at every pass (tf.data
    shuffles within a buffer); `pad_to_aspect_ratio` pads before resizing, as Keras's
    TensorFlow-free loader does (`tf.image.resize_with_pad` resizes first); the interpolations
    "area", "gaussian" and "mitchellcubic" exist only in TensorFlow and are not supported.
    """
    if color_mode not in CHANNELS:
        raise ValueError(
            f"`color_mode` must be one of {tuple(CHANNELS)}. Received: color_mode={color_mode!r}."
        )
    image_size = _check_image_size(image_size)
    interpolation = _check_interpolation(interpolation)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Pass at most one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`: both are "
            "True."
        )
    data_format = config.standardize_data_format(data_format)
    dataset_utils.check_format(format)
    image_utils.pil_image("image_dataset_from_directory()")  # fail early without Pillow

    load_file = functools.partial(  # picklable, for DataLoader workers
        load_image, image_size=image_size, num_channels=CHANNELS[color_mode],
        interpolation=interpolation, data_format=data_format,
        crop_to_aspect_ratio=crop_to_aspect_ratio, pad_to_aspect_ratio=pad_to_aspect_ratio)
    return dataset_utils.dataset_from_directory(
        directory, labels, label_mode, class_names, ALLOWLIST_FORMATS, batch_size, shuffle,
        seed, validation_split, subset, follow_links, verbose, load_file, collate=None,
        what="image files")


def load_image(path, image_size, num_channels, interpolation="bilinear",
               data_format="channels_last", crop_to_aspect_ratio=False,
               pad_to_aspect_ratio=False):
    """One image file -> a float32 numpy array of `image_size` with `num_channels`."""
    from lamina import ops  # lazy: ops pulls in the layer machinery

    mode = {1: "grayscale", 3: "rgb", 4: "rgba"}[num_channels]
    with image_utils.pil_image().open(path) as image:
        pixels = np.asarray(image_utils.convert_color_mode(image, mode), dtype="float32")
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if data_format == "channels_first":
        pixels = pixels.transpose(2, 0, 1)
    resized = ops.image.resize(pixels, size=image_size, interpolation=interpolation,
                               crop_to_aspect_ratio=crop_to_aspect_ratio,
                               pad_to_aspect_ratio=pad_to_aspect_ratio, data_format=data_format)
    return resized.numpy()


def _check_image_size(image_size):
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (list, tuple)) or len(image_size) != 2
            or not all(isinstance(v, int) and v > 0 for v in image_size)):
        raise ValueError(
            "`image_size` must be (height, width), two positive integers. Received: "
            f"image_size={image_size!r}."
        )
    return tuple(image_size)


def _check_interpolation(interpolation):
    name = str(interpolation).lower()
    if name in TENSORFLOW_ONLY_INTERPOLATIONS:
        raise ValueError(
            f"interpolation={interpolation!r} is a TensorFlow-only resize method; lamina "
            f"supports {INTERPOLATIONS}. Use 'bilinear' (the default) or 'bicubic'."
        )
    if name not in INTERPOLATIONS:
        raise ValueError(
            f"`interpolation` must be one of {INTERPOLATIONS}. Received: "
            f"interpolation={interpolation!r}."
        )
    return name
