"""Keras 1's name for the losses module (`from keras import objectives`;
`objectives.binary_crossentropy(x, x_decoded)` in its variational autoencoder example): every
name of `lamina.losses`, with a DeprecationWarning."""

import warnings

from lamina.utils.arguments import user_stacklevel


def __getattr__(name):
    from lamina import losses

    if name.startswith("__") or not hasattr(losses, name):
        raise AttributeError(f"module 'lamina.objectives' (Keras 1's name for lamina.losses) has "
                             f"no attribute '{name}'")
    warnings.warn(f"`keras.objectives.{name}` is Keras 1; use `keras.losses.{name}`.",
                  DeprecationWarning, stacklevel=user_stacklevel())
    return getattr(losses, name)
