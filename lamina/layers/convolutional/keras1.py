"""Keras 1/2 spellings of the convolution layers, accepted with a DeprecationWarning.

Two kinds of old code still circulate in tutorials:

* Keras 1 keywords: `Convolution2D(64, 3, 3, border_mode="same", subsample=(2, 2), init=...,
  W_regularizer=..., dim_ordering="th")`. `translate_conv_kwargs` maps them to Keras 3 names.
* Keras 1 positional kernel sizes: `Convolution2D(64, 3, 3)` meant a 3x3 kernel. In Keras 3 the
  third positional argument is `strides`, so the two readings differ silently. Only the *old
  names* (`Convolution2D`, `Convolution3D`, `SeparableConvolution2D`, `Deconvolution2D`) read
  the Keras 1 form, and say so; `Conv2D(64, 3, 3)` keeps its Keras 3 meaning (strides=3).
"""

import warnings

from lamina.utils.arguments import warn_deprecated, user_stacklevel

_DIM_ORDERING = {"th": "channels_first", "tf": "channels_last", "default": None}

# Keras 1 keyword -> Keras 3 keyword; "{weight}" is the layer's main kernel prefix.
_RENAMES = {
    "nb_filter": "filters",
    "border_mode": "padding",
    "subsample": "strides",
    "subsample_length": "strides",
    "atrous_rate": "dilation_rate",
    "dim_ordering": "data_format",
    "bias": "use_bias",
    "b_regularizer": "bias_regularizer",
    "b_constraint": "bias_constraint",
    "init": "{weight}_initializer",
    "W_regularizer": "{weight}_regularizer",
    "W_constraint": "{weight}_constraint",
}

# Keras 1 spelled the kernel size as one keyword per axis.
_KERNEL_KEYWORDS = {
    1: ("filter_length",),
    2: ("nb_row", "nb_col"),
    3: ("kernel_dim1", "kernel_dim2", "kernel_dim3"),
}


def translate_conv_kwargs(kwargs, rank, where, weight="kernel"):
    """Pop Keras 1 keywords out of `kwargs`; return them as {Keras 3 name: value}, warning once
    per keyword. `weight` is the kernel prefix ("kernel", "depthwise"; for separable layers
    `init` sets both "depthwise" and "pointwise")."""
    modern = {}
    for old in [k for k in kwargs if k in _RENAMES]:
        template = _RENAMES[old]
        if "{weight}" not in template:
            new_names = [template]
        elif weight:
            new_names = [template.format(weight=weight)]
        elif old == "init":  # Keras 1 separable layers used one initializer for both kernels
            new_names = ["depthwise_initializer", "pointwise_initializer"]
        else:
            continue  # not a keyword of this layer: the unknown-keyword check reports it
        value = kwargs.pop(old)
        warn_deprecated(old, " and ".join(f"`{name}`" for name in new_names), where,
                        stacklevel=4)
        modern.update(dict.fromkeys(new_names, value))
    if "data_format" in modern:
        modern["data_format"] = _DIM_ORDERING.get(modern["data_format"], modern["data_format"])
    kernel_keywords = _KERNEL_KEYWORDS[rank]
    if any(k in kwargs for k in kernel_keywords):
        missing = [k for k in kernel_keywords if k not in kwargs]
        if missing:
            raise TypeError(f"{where}: the Keras 1 kernel size needs {list(kernel_keywords)}; "
                            f"{missing} missing. Use kernel_size=... instead.")
        sizes = tuple(kwargs.pop(k) for k in kernel_keywords)
        warn_deprecated("/".join(kernel_keywords), "kernel_size", where, stacklevel=4)
        modern["kernel_size"] = sizes[0] if rank == 1 else sizes
    if rank == 1 and "input_length" in kwargs:
        # Keras 1 Convolution1D(input_dim=..., input_length=...) described (steps, features).
        length, features = kwargs.pop("input_length"), kwargs.pop("input_dim", None)
        warn_deprecated("input_length/input_dim", "input_shape=(steps, features)", where, 4)
        kwargs["input_shape"] = (length, features)
    return modern


def split_positional_kernel(args, kwargs, rank, where):
    """`(filters, nb_row, nb_col, ...)` -> `(filters, (nb_row, nb_col))` for the Keras 1 names.

    Returns `args` unchanged when they already have the Keras 3 shape
    `(filters, kernel_size, strides, ...)`.
    """
    sizes = args[1:rank + 1]
    if len(sizes) < rank or not all(isinstance(s, int) and not isinstance(s, bool) for s in sizes):
        return args
    if "kernel_size" in kwargs:
        raise TypeError(f"{where}: got the kernel size both positionally (Keras 1 form) and as "
                        "kernel_size=. Pass it once.")
    extra = args[rank + 1:]
    if extra:
        raise TypeError(
            f"{where}: with the Keras 1 form (filters, {', '.join(_KERNEL_KEYWORDS[rank])}) the "
            f"other arguments must be keywords, but {len(extra)} more positional arguments were "
            "given. Use the Keras 3 form, e.g. Conv2D(filters, kernel_size, strides=..., "
            "padding=...)."
        )
    warnings.warn(
        f"{where}: the Keras 1 form {where[:-2]}(filters, {', '.join(_KERNEL_KEYWORDS[rank])}) "
        f"is deprecated; write kernel_size={tuple(sizes)} (in Keras 3 the third positional "
        "argument is `strides`).",
        DeprecationWarning,
        stacklevel=user_stacklevel(),
    )
    return (args[0], tuple(sizes))


def warn_ignored(keyword, where):
    warnings.warn(f"{where}: `{keyword}` is a Keras 1 argument that is no longer needed (the "
                  "output shape follows from the other arguments); it is ignored.",
                  DeprecationWarning, stacklevel=user_stacklevel())
