"""OpLayer: one op (`x + y`, `ops.concatenate(...)`) applied to symbolic tensors in a graph."""

from lamina.layers.keras_tensor import KerasTensor
from lamina.layers.layer import Layer
from lamina.utils import naming, tree


class _Slot:
    """Marks where the i-th symbolic input goes back into the op's arguments."""

    def __init__(self, index):
        self.index = index


class OpLayer(Layer):
    def __init__(self, function, args, kwargs, name=None):
        op_name = getattr(function, "__name__", "op").strip("_")
        super().__init__(name=name or naming.unique_name(op_name))
        self.function = function
        counter = iter(range(1 << 30))
        self._template = tree.map_structure(
            lambda x: _Slot(next(counter)) if isinstance(x, KerasTensor) else x, (args, kwargs)
        )
        self.built = True

    def call(self, inputs):
        args, kwargs = tree.map_structure(
            lambda x: inputs[x.index] if isinstance(x, _Slot) else x, self._template
        )
        return self.function(*args, **kwargs)

    def get_config(self):
        raise NotImplementedError(
            f'Layer "{self.name}" applies `{self.function.__name__}` to symbolic tensors; saving '
            "such operations in a config is not supported yet. Wrap the operation in a Lambda "
            "layer or a custom layer to save the model."
        )
