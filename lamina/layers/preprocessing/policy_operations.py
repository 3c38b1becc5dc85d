"""The operations RandAugment and AugMix choose from: Keras's eleven image augmentations,
configured from one strength `factor`, in Keras's order and under Keras's attribute names."""

from lamina.layers.preprocessing.auto_contrast import AutoContrast
from lamina.layers.preprocessing.equalization import Equalization
from lamina.layers.preprocessing.random_brightness import RandomBrightness
from lamina.layers.preprocessing.random_color_degeneration import RandomColorDegeneration
from lamina.layers.preprocessing.random_contrast import RandomContrast
from lamina.layers.preprocessing.random_posterization import RandomPosterization
from lamina.layers.preprocessing.random_rotation import RandomRotation
from lamina.layers.preprocessing.random_sharpness import RandomSharpness
from lamina.layers.preprocessing.random_shear import RandomShear
from lamina.layers.preprocessing.random_translation import RandomTranslation
from lamina.layers.preprocessing.solarization import Solarization


def make_operation(name, factor, value_range, interpolation, seed, data_format):
    """One augmentation layer as RandAugment and AugMix configure it (`factor` a (low, high)
    pair; colour operations take `value_range`, geometric ones `interpolation`)."""
    common = {"data_format": data_format}
    if name == "random_shear":
        return RandomShear(x_factor=factor, y_factor=factor, interpolation=interpolation,
                           seed=seed, **common)
    if name == "random_translation":
        return RandomTranslation(height_factor=factor, width_factor=factor,
                                 interpolation=interpolation, seed=seed, **common)
    if name == "random_rotation":
        return RandomRotation(factor=factor, interpolation=interpolation, seed=seed, **common)
    if name == "solarization":
        return Solarization(addition_factor=factor, threshold_factor=factor,
                            value_range=value_range, seed=seed, **common)
    if name == "random_posterization":
        # The number of bits kept grows with the strength, at least 1 (as Keras).
        return RandomPosterization(factor=max(1, int(8 * factor[1])), value_range=value_range,
                                   seed=seed, **common)
    if name == "auto_contrast":
        return AutoContrast(value_range=value_range, **common)
    if name == "equalization":
        return Equalization(value_range=value_range, **common)
    colour = {"random_brightness": RandomBrightness,
              "random_color_degeneration": RandomColorDegeneration,
              "random_contrast": RandomContrast, "random_sharpness": RandomSharpness}
    return colour[name](factor=factor, value_range=value_range, seed=seed, **common)


def attach_operations(owner, names, factor, value_range, interpolation, seed, data_format):
    """Create the named operations as sublayers of `owner` (attributes of those names) that
    all draw from `owner`'s seed generator, as Keras threads its one seed through them."""
    operations = []
    for name in names:
        operation = make_operation(name, factor, value_range, interpolation, seed, data_format)
        operation.generator = owner.generator
        setattr(owner, name, operation)
        operations.append(operation)
    return operations
