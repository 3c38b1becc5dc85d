"""Model: a Layer that can be trained (compile / fit / evaluate / predict) and inspected.

`Model(inputs, outputs)` builds a functional model (`Functional`); subclassing `Model` and
defining `call()` gives a subclassed model. Both are `torch.nn.Module`s.
"""

import torch

from lamina.layers.layer import DEFAULT_GET_CONFIGS, Layer
from lamina.models.state_tree import StateTreeMixin
from lamina.registry.export import keras_export
from lamina.trainers.trainer import Trainer


@keras_export("models.Model", "Model")
class Model(StateTreeMixin, Trainer, Layer):
    _passes_strings = True

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from lamina.models.functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, name=None, trainable=True, dtype=None, **kwargs):
        from lamina.models.functional import Functional

        if _functional_arguments(args, kwargs) and not isinstance(self, Functional):
            # `class MyModel(Model)` built as `MyModel(inputs, outputs)`: a functional model with
            # the subclass's methods (custom train_step, ...). Keras does the same class surgery.
            _inject_functional(type(self))
            Functional.__init__(self, *args, name=name, trainable=trainable, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only (or `inputs, outputs` for "
                f"a functional model); received {len(args)} positional argument(s)."
            )
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype, **kwargs)
        Trainer.__init__(self)

    def _track_layer(self, layer):
        """Children of Sequential and functional models are registered by position, as
        `nn.Sequential` does (`0.kernel`, `1.kernel`), not by their auto-generated names: the
        same architecture has the same `state_dict` keys whatever was built before it."""
        self.add_module(str(len(self._positional_layers())), layer)

    def _positional_layers(self):
        return [module for name, module in self._modules.items() if name.isdigit()]

    @property
    def layers(self):
        return [m for m in self._sublayers()]

    @property
    def metrics_variables(self):
        """The variables of `self.metrics`, in that order."""
        return [variable for metric in self.metrics for variable in metric.variables]

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training=True):
        """`compute_loss` with the given variable values and no side effects. Returns
        `loss, (trainable_variables, non_trainable_variables, metrics_variables)`, the last
        two with the values that computing the loss assigned."""
        from lamina.stateless import stateless_compute_loss

        return stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                                      metrics_variables, x, y, y_pred, sample_weight, training)

    def get_layer(self, name=None, index=None):
        if index is not None and name is not None:
            raise ValueError("Provide only one of `name` or `index` to get_layer(), not both.")
        if name is None and index is None:
            raise ValueError("get_layer() needs a layer `name` (a string) or an `index` (its "
                             "position in model.layers).")
        layers = self.layers
        if isinstance(name, int) and not isinstance(name, bool):  # get_layer(2): a position
            name, index = None, name
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError("get_layer(): `index` must be an integer. "
                                f"Received: index={index!r}")
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
        )

    def reset_states(self):
        """Keras 2: clear the state of every stateful layer (RNNs with stateful=True)."""
        for layer in self._flatten_layers():
            if layer is not self and hasattr(layer, "reset_state"):
                layer.reset_state()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        from lamina.utils.summary_utils import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    def get_config(self):
        from lamina.layers.layer import _with_auto_config

        return _with_auto_config(self, {"name": self.name, "trainable": self.trainable})

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if cls is Model and "layers" in config and "input_layers" in config:
            from lamina.models.functional import Functional

            return Functional.from_config(config, custom_objects)
        return cls(**config)

    def build_from_config(self, build_config):
        shape = build_config.get("input_shape") if build_config else None
        if shape is None or self.built or type(self).build is not Layer.build:
            return super().build_from_config(build_config)
        # A subclassed model without build() creates its weights in its first call (as in Keras,
        # which runs call() on symbolic inputs): run it once on zeros of the recorded shape.
        from lamina.layers.layer import _shapes_to_tuples

        shapes = _shapes_to_tuples(shape)
        with torch.no_grad():
            self(_zeros_like_shapes(shapes), training=False)
        self._build_shapes = shapes

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save architecture, weights and compile state: `.keras` (Keras 3) or `.h5` (legacy)."""
        from lamina.saving import saving_api

        saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        from lamina.saving import saving_api

        saving_api.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        from lamina.saving import saving_api

        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        import json

        from lamina.registry.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantize the weights of this built model's Dense, EinsumDense and Embedding layers
        in place (Keras's `Model.quantize`).

        Args:
            mode: "int8" (int8 weights, inputs quantized per row at call time unless the
                config's activation_quantizer is None) or "int4" (packed int4 weights, one
                scale and zero point per group of `block_size` rows, weight-only). Optional
                when `config` is given.
            config: A `lamina.quantizers.QuantizationConfig` (Int8QuantizationConfig,
                Int4QuantizationConfig) choosing the quantizers.
            filters: Only quantize layers whose name matches this regex (or one of a list of
                them), or for which this callable returns True.
        """
        from lamina.quantizers.layer_quantization import quantize_model

        quantize_model(self, mode, config=config, filters=filters, **kwargs)

    # ------------------------------------------------------------------ export (lamina/saving/export.py)
    def export(self, filepath, format=None, verbose=None, input_signature=None, **kwargs):
        """Write an inference artifact: `format="onnx"` or `"torch_export"` (`.pt2`)."""
        from lamina.saving import export as export_lib

        export_lib.export(self, filepath, format=format, verbose=verbose,
                          input_signature=input_signature, **kwargs)


DEFAULT_GET_CONFIGS.add(Model.get_config)


def _functional_arguments(args, kwargs):
    return len(args) >= 2 or bool({"inputs", "outputs", "input", "output"} & set(kwargs)) or (
        len(args) == 1 and "outputs" in kwargs)


def _inject_functional(cls):
    """Put Functional between a Model subclass and Model in its bases (once)."""
    from lamina.models.functional import Functional

    if cls is Model:
        return Functional
    if cls in (object, Functional) or not issubclass(cls, Model):
        return cls
    cls.__bases__ = tuple(_inject_functional(base) for base in cls.__bases__)
    return cls


def _zeros_like_shapes(shapes):
    """Zero tensors for a (nested) structure of shapes; unknown dimensions become 1."""
    if isinstance(shapes, dict):
        return {key: _zeros_like_shapes(value) for key, value in shapes.items()}
    if isinstance(shapes, list):
        return [_zeros_like_shapes(shape) for shape in shapes]
    return torch.zeros(tuple(1 if d is None else d for d in shapes))
