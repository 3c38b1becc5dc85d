"""How `compile(loss=...)` turns what the user wrote into a `Loss`, as Keras does.

`"crossentropy"` / `"ce"` pick binary, sparse or categorical crossentropy from the shapes of
the targets and the model output; a function is wrapped in `LossFunctionWrapper` named by the
string the user gave (so logs read `"mse"`, not `"mean_squared_error"`).
"""

from lamina.losses import crossentropy
from lamina.losses.loss import Loss
from lamina.losses.wrapper import LossFunctionWrapper


def is_binary_or_sparse_categorical(y_true_shape, y_pred_shape):
    """`(is_binary, is_sparse)`: one output unit; integer labels against several units."""
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    is_binary = y_pred_shape[-1] == 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (
        y_true_shape[-1] == 1 and y_pred_shape[-1] != 1
    )
    return is_binary, is_sparse


def crossentropy_for_shapes(y_true_shape, y_pred_shape):
    """The crossentropy function `"crossentropy"` means for these shapes."""
    is_binary, is_sparse = is_binary_or_sparse_categorical(y_true_shape, y_pred_shape)
    if is_binary:
        return crossentropy.binary_crossentropy
    if is_sparse:
        return crossentropy.sparse_categorical_crossentropy
    return crossentropy.categorical_crossentropy


def resolve_compile_loss(identifier, y_true_shape, y_pred_shape):
    """The `Loss` object for one output; None stays None (an output without a loss)."""
    if identifier is None:
        return None
    from lamina import losses

    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        loss = crossentropy_for_shapes(y_true_shape, y_pred_shape)
    else:
        try:
            loss = losses.get(identifier)
        except TypeError:
            raise TypeError(
                f"compile(loss=...): could not interpret {identifier!r} as a loss. Pass a loss "
                "name such as 'mse', a Loss instance such as keras.losses.MeanSquaredError(), "
                "or a function(y_true, y_pred); one per output (a list or a dict keyed by "
                "output name) for a model with several outputs."
            ) from None
    if isinstance(loss, Loss):
        return loss
    name = identifier if isinstance(identifier, str) else getattr(loss, "__name__", None)
    return LossFunctionWrapper(loss, name=name)
