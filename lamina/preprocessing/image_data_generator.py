"""Keras 2's `ImageDataGenerator`, kept so that old image tutorials run unchanged.

`ImageDataGenerator(...)` holds a recipe: random geometric and colour transforms, then
normalization. `flow(x, y)`, `flow_from_directory(directory)` and
`flow_from_dataframe(dataframe)` return iterators of batches made with that recipe; the
iterators are `lamina.utils.PyDataset`s, so `model.fit`, `evaluate` and `predict` take them,
and `next(iterator)` loops over the data forever as Keras 2's did.

Keras 3 replaced all this with preprocessing layers (`keras.layers.RandomFlip`,
`RandomRotation`, `RandomZoom`, ...) and `keras.utils.image_dataset_from_directory`.

Randomness uses NumPy's global generator, as Keras 2 did, and draws the same numbers in the same
order, so a given NumPy seed gives the same transforms and the same shuffled order as Keras 2.
The pixel transforms are in image_transforms.py (the affine warp follows
`scipy.ndimage.affine_transform(order=1)` without scipy), the iterators in image_iterators.py.
"""

import inspect
import math
import warnings

import numpy as np

from lamina import config
from lamina.preprocessing.image_iterators import (DataFrameIterator, DirectoryIterator,
                                                  NumpyArrayIterator)
from lamina.preprocessing.image_transforms import (apply_affine_transform,
                                                   apply_brightness_shift, apply_channel_shift)
from lamina.utils.arguments import user_stacklevel

FILL_MODES = ("nearest", "constant", "reflect", "wrap")
# flow_from_dataframe options that Keras 2 had already retired: accepted, with no effect.
_RETIRED_DATAFRAME_OPTIONS = {
    "has_ext": "file names in x_col must be the names on disk, extension included",
    "sort": "batches follow the DataFrame's row order when shuffle=False",
    "drop_duplicates": "drop duplicate rows with DataFrame.drop_duplicates() before the call",
}


def _warn_keras2_api():
    warnings.warn(
        "ImageDataGenerator is the Keras 2 API, kept so that old code runs. Keras 3 augments "
        "images with preprocessing layers (keras.layers.RandomFlip, RandomRotation, RandomZoom, "
        "RandomTranslation, ...) and reads folders with "
        "keras.utils.image_dataset_from_directory.",
        DeprecationWarning, stacklevel=user_stacklevel())


def _pair(value, name):
    """A (low, high) pair from a number `r` (meaning 1 - r, 1 + r) or a pair of numbers."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return [1 - value, 1 + value]
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, float, np.number)) for v in value):
        return [value[0], value[1]]
    raise ValueError(f"`{name}` must be a number r (for the range [1 - r, 1 + r]) or a pair "
                     f"(low, high) of numbers. Received: {name}={value!r}.")


class ImageDataGenerator:
    """Batches of image data with random augmentation and normalization (the Keras 2 API).

    Args:
        featurewise_center: subtract the per-channel mean of the data given to `fit()`.
        samplewise_center: subtract each image's own mean.
        featurewise_std_normalization: divide by the per-channel std of the data given to
            `fit()` (turns `featurewise_center` on).
        samplewise_std_normalization: divide each image by its own std (turns
            `samplewise_center` on).
        zca_whitening: apply ZCA whitening fitted by `fit()` (turns `featurewise_center` on).
        zca_epsilon: added to the singular values in ZCA whitening.
        rotation_range: degrees; rotations are drawn from [-rotation_range, rotation_range].
        width_shift_range, height_shift_range: a float below 1 is a fraction of the width or
            height; 1 or more, pixels. An int n draws whole pixels in (-n, n); a list draws one
            of its values, with a random sign.
        brightness_range: (low, high): brightness factors are drawn from it.
        shear_range: shear angle in degrees, drawn from [-shear_range, shear_range].
        zoom_range: r for [1 - r, 1 + r], or (low, high); x and y zoom are drawn separately.
        channel_shift_range: a value drawn from [-range, range] is added to every channel.
        fill_mode: how points outside the image are filled: "nearest", "constant" (with
            `cval`), "reflect" or "wrap".
        cval: the fill value for `fill_mode="constant"`.
        horizontal_flip, vertical_flip: flip half of the images.
        rescale: multiply the data by this factor (before any other normalization).
        preprocessing_function: a function of one image (a rank-3 array) returning an array of
            the same shape, applied after the random transforms.
        data_format: "channels_last" or "channels_first"; None means
            `lamina.config.image_data_format()`.
        validation_split: the fraction of the data that `subset="validation"` reads.
        interpolation_order: 1 (bilinear, Keras's default) or 0 (nearest pixel) for the warp.
        dtype: the dtype of the batches; None means `lamina.config.floatx()`.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0, width_shift_range=0.0,
                 height_shift_range=0.0, brightness_range=None, shear_range=0.0, zoom_range=0.0,
                 channel_shift_range=0.0, fill_mode="nearest", cval=0.0, horizontal_flip=False,
                 vertical_flip=False, rescale=None, preprocessing_function=None,
                 data_format=None, validation_split=0.0, interpolation_order=1, dtype=None):
        _warn_keras2_api()
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype or config.floatx()
        self.data_format = config.standardize_data_format(data_format)
        # Axes of a batch (sample axis 0); an image's axes are these minus one.
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if fill_mode not in FILL_MODES:
            raise ValueError(f"`fill_mode` must be one of {FILL_MODES}. Received: "
                             f"fill_mode={fill_mode!r}.")
        self.fill_mode = fill_mode
        if interpolation_order not in (0, 1):
            raise ValueError("`interpolation_order` must be 1 (bilinear) or 0 (nearest pixel); "
                             f"higher spline orders are not supported. Received: "
                             f"{interpolation_order!r}.")
        self.interpolation_order = interpolation_order
        if validation_split and not 0 < validation_split < 1:
            raise ValueError("`validation_split` must be a fraction strictly between 0 and 1, "
                             f"e.g. 0.2. Received: validation_split={validation_split!r}.")
        self._validation_split = validation_split
        self.zoom_range = _pair(zoom_range, "zoom_range")
        if brightness_range is not None and not (
                isinstance(brightness_range, (tuple, list)) and len(brightness_range) == 2):
            raise ValueError("`brightness_range` must be a pair (low, high) of factors, e.g. "
                             f"(0.8, 1.2). Received: brightness_range={brightness_range!r}.")
        self.brightness_range = brightness_range
        self.mean = self.std = self.zca_whitening_matrix = None
        self._imply_centering()

    def _imply_centering(self):
        # Dividing by a std only makes sense around the mean, so Keras 2 turned centering on
        # (and ZCA whitening replaces the featurewise std division), saying so.
        if self.zca_whitening:
            if not self.featurewise_center:
                self.featurewise_center = True
                warnings.warn("zca_whitening=True turns featurewise_center on.", stacklevel=3)
            if self.featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("zca_whitening=True turns featurewise_std_normalization off.",
                              stacklevel=3)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("featurewise_std_normalization=True turns featurewise_center on.",
                          stacklevel=3)
        if self.samplewise_std_normalization and not self.samplewise_center:
            self.samplewise_center = True
            warnings.warn("samplewise_std_normalization=True turns samplewise_center on.",
                          stacklevel=3)

    # ---- iterators -------------------------------------------------------------------------

    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", ignore_class_split=False,
             subset=None):
        """An iterator of augmented batches of the arrays `x` (and `y`, `sample_weight`)."""
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight,
            seed=seed, data_format=self.data_format, save_to_dir=save_to_dir,
            save_prefix=save_prefix, save_format=save_format,
            ignore_class_split=ignore_class_split, subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            follow_links=False, subset=None, interpolation="nearest",
                            keep_aspect_ratio=False):
        """An iterator of augmented batches read from `directory/<class name>/<image files>`."""
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, follow_links=follow_links, subset=subset,
            interpolation=interpolation, keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe, directory=None, x_col="filename", y_col="class",
                            weight_col=None, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32, shuffle=True,
                            seed=None, save_to_dir=None, save_prefix="", save_format="png",
                            subset=None, interpolation="nearest", validate_filenames=True,
                            **kwargs):
        """An iterator of augmented batches of the image files named in a pandas DataFrame.

        `dataframe[x_col]` holds the file names (relative to `directory`, or full paths when
        `directory` is None) and `y_col` the targets, read according to `class_mode`:
        "categorical" (class names, or lists of them for multi-label, one-hot/multi-hot),
        "binary" (two class names), "sparse" (class indices), "raw" (the numbers of one column
        or a list of columns), "multi_output" (a list of columns, one target each), "input"
        (the images) or None (no targets). `weight_col` names a column of sample weights.
        With `validate_filenames`, rows whose file is missing or not an image are skipped.
        `subset` reads the first `validation_split` of the rows ("validation") or the rest.
        See `DataFrameIterator`."""
        try:
            import pandas  # noqa: F401  (only checked for: the DataFrame comes from the caller)
        except ImportError:
            raise ImportError("flow_from_dataframe() reads a pandas DataFrame, and pandas is not "
                              "installed: `pip install pandas`.") from None
        unknown = sorted(set(kwargs) - set(_RETIRED_DATAFRAME_OPTIONS))
        if unknown:
            valid = [name for name in inspect.signature(self.flow_from_dataframe).parameters
                     if name != "kwargs"]
            raise TypeError(f"flow_from_dataframe() got unexpected keyword argument(s) "
                            f"{unknown}. Valid arguments: {valid}.")
        for name in kwargs:
            warnings.warn(f"flow_from_dataframe({name}=...) is deprecated since Keras 2 and has "
                          f"no effect: {_RETIRED_DATAFRAME_OPTIONS[name]}.",
                          DeprecationWarning, stacklevel=user_stacklevel())
        if class_mode == "other":  # Keras 2's old name for "raw"
            warnings.warn('class_mode="other" is deprecated: use class_mode="raw".',
                          DeprecationWarning, stacklevel=user_stacklevel())
            class_mode = "raw"
        return DataFrameIterator(
            dataframe, directory, self, x_col=x_col, y_col=y_col, weight_col=weight_col,
            target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, data_format=self.data_format, batch_size=batch_size,
            shuffle=shuffle, seed=seed, save_to_dir=save_to_dir, save_prefix=save_prefix,
            save_format=save_format, subset=subset, interpolation=interpolation,
            validate_filenames=validate_filenames, dtype=self.dtype)

    # ---- normalization ---------------------------------------------------------------------

    def standardize(self, x):
        """Normalize `x` (one image or a batch) as configured. Like Keras 2, it works in place
        on float arrays: pass `np.copy(x)` to keep `x`."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        # Keras 2 takes the mean and std over everything given, so on a batch they are the
        # batch's, not each image's; the iterators call this one image at a time.
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is None:
                self._warn_not_fitted("featurewise_center")
            else:
                x -= self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                self._warn_not_fitted("featurewise_std_normalization")
            else:
                x /= self.std + 1e-6
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                self._warn_not_fitted("zca_whitening")
            else:
                flat = x.reshape(-1, math.prod(x.shape[-3:]))
                x = np.reshape(flat @ self.zca_whitening_matrix, x.shape)
        return x

    @staticmethod
    def _warn_not_fitted(option):
        warnings.warn(f"This ImageDataGenerator has {option}=True but has not been fitted, so "
                      "that step is skipped: call `.fit(x_train)` on sample images first.",
                      stacklevel=3)

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the statistics that featurewise normalization and ZCA whitening use, from the
        images `x` (rank 4; `rescale` is applied first; `augment=True` fits on `rounds` randomly
        transformed copies)."""
        x = np.array(x, dtype=self.dtype)  # a copy: the data given stays as it is
        if x.ndim != 4:
            raise ValueError("ImageDataGenerator.fit() expects a batch of images, of rank 4 "
                             f"(samples, ...). Received shape {x.shape}: add the sample axis "
                             "(e.g. `x[None]`) or the channel axis (e.g. `x[..., None]`).")
        if seed is not None:
            np.random.seed(seed)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([np.stack([self.random_transform(image) for image in x])
                                for _ in range(rounds)]).astype(self.dtype)
        channel_shape = [1, 1, 1]
        channel_shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        image_axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=image_axes), channel_shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=image_axes), channel_shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = np.reshape(x, (len(x), -1))
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            scale = np.sqrt(len(x)) / (s + self.zca_epsilon)
            self.zca_whitening_matrix = (u * scale) @ u.T

    # ---- random transforms -----------------------------------------------------------------

    def get_random_transform(self, img_shape, seed=None):
        """Random parameters for one image of shape `img_shape`, as a dict for
        `apply_transform`. NumPy's global generator draws them (seeded with `seed` if given),
        in Keras 2's order, so the same seed gives the same transform as Keras 2."""
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        # tx goes with the height, ty with the width, as Keras 2 named them.
        tx = _random_shift(self.height_shift_range, img_shape[self.row_axis - 1])
        ty = _random_shift(self.width_shift_range, img_shape[self.col_axis - 1])
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        # Both coins are tossed even when flips are off, to keep Keras 2's random sequence.
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift = None
        if self.channel_shift_range != 0:
            channel_shift = np.random.uniform(-self.channel_shift_range,
                                              self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift, "brightness": brightness}

    def apply_transform(self, x, transform_parameters):
        """`x` (one image, rank 3) transformed with the parameters of `get_random_transform`:
        keys "theta", "tx", "ty", "shear" (degrees and pixels), "zx", "zy",
        "flip_horizontal", "flip_vertical", "channel_shift_intensity" and "brightness"; missing
        keys mean no change."""
        x = np.asarray(x)
        if x.ndim != 3:
            raise ValueError("apply_transform() expects one image, of rank 3. Received shape "
                             f"{x.shape}: transform a batch one image at a time.")
        params = transform_parameters
        channel_axis = self.channel_axis - 1
        x = apply_affine_transform(
            x, params.get("theta", 0), params.get("tx", 0), params.get("ty", 0),
            params.get("shear", 0), params.get("zx", 1), params.get("zy", 1),
            row_axis=self.row_axis - 1, col_axis=self.col_axis - 1, channel_axis=channel_axis,
            fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order)
        if params.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, params["channel_shift_intensity"])
        if params.get("flip_horizontal", False):
            x = np.flip(x, self.col_axis - 1)
        if params.get("flip_vertical", False):
            x = np.flip(x, self.row_axis - 1)
        if params.get("brightness") is not None:
            x = apply_brightness_shift(x, params["brightness"], channel_axis)
        return x

    def random_transform(self, x, seed=None):
        """`x` (one image) with a random transform drawn by `get_random_transform`."""
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))


def _random_shift(shift_range, size):
    """A shift in pixels drawn as Keras 2 drew it (same NumPy calls in the same order)."""
    if not shift_range:
        return 0
    if isinstance(shift_range, (int, np.integer)) or isinstance(shift_range, (list, tuple,
                                                                              np.ndarray)):
        # An int n: whole pixels in (-n, n); a list: one of its values. Either with a random
        # sign.
        shift = np.random.choice(shift_range) * np.random.choice([-1, 1])
    else:
        shift = np.random.uniform(-shift_range, shift_range)
    if np.max(shift_range) < 1:  # a fraction of the size
        shift *= size
    return shift
