"""`TorchModuleWrapper`: any `torch.nn.Module` used as a Keras layer.

A lamina layer already is an `nn.Module`, and a torch module assigned to a lamina layer already
trains with it; the wrapper is what lets a bare torch module stand where Keras expects a *layer*:
in `Sequential([...])` (which wraps bare modules itself), in the functional API
(`TorchModuleWrapper(nn.Linear(4, 2))(inputs)`), and in Keras code written for Keras 3's torch
backend. Its weights are the module's parameters, it follows the model's train/eval mode like
every lamina layer, and it saves the module's whole `state_dict` (buffers such as BatchNorm's
running statistics included) under the `state_dict` keys, as Keras does.

Symbolic output shapes come from running the module on the meta device, unless `output_shape=`
is given (useful for modules that do data-dependent work).
"""

import base64
import io

import torch

from lamina.layers.layer import Layer, _meta_output_spec
from lamina.registry.export import keras_export
from lamina.registry.safe_mode import in_safe_mode


@keras_export("layers.TorchModuleWrapper")
class TorchModuleWrapper(Layer):
    """Wrap `module` (a `torch.nn.Module`) as a layer.

    Args:
        module: the torch module. A lazy module (`nn.LazyLinear`, ...) must be initialized
            first, by calling it once on an example input.
        name: the layer's name.
        output_shape: the full output shape, batch axis included (`(None, 3)`), as in Keras; used
            for symbolic inputs instead of running the module on the meta device.
    """

    def __init__(self, module, name=None, output_shape=None, **kwargs):
        super().__init__(name=name, **kwargs)
        if not isinstance(module, torch.nn.Module):
            raise TypeError(
                f"TorchModuleWrapper wraps a torch.nn.Module; received {module!r} of type "
                f"{type(module).__name__}. A lamina layer needs no wrapper."
            )
        if isinstance(module, torch.nn.modules.lazy.LazyModuleMixin) and \
                module.has_uninitialized_params():
            raise ValueError(
                f"TorchModuleWrapper got a lazy module whose parameters are not initialized yet "
                f"({type(module).__name__}). Call it once on an example input first, e.g. "
                f"`module(torch.zeros(1, n_features))`, or use the non-lazy module."
            )
        self.module = module
        self._output_shape = None if output_shape is None else tuple(output_shape)
        self.built = True

    def call(self, *args, **kwargs):
        kwargs.pop("training", None)  # the mode is the module's own (`module.training`)
        return self.module(*args, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return _meta_output_spec(self, args, kwargs)
        from lamina.symbolic.keras_tensor import KerasTensor

        return KerasTensor(self._output_shape, self.dtype)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        return self._output_shape

    # Keras stores the module's state_dict (parameters *and* buffers) under its keys.
    def save_own_variables(self, store):
        for key, value in self.module.state_dict().items():
            store[key] = value.detach().cpu().numpy()

    def load_own_variables(self, store):
        state = {}
        for key in store.keys():
            name = key.decode() if isinstance(key, bytes) else key
            state[name] = torch.as_tensor(store[key])
        missing, unexpected = self.module.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(
                f'Layer "{self.name}" (TorchModuleWrapper of {type(self.module).__name__}) cannot '
                f"load the stored state: missing keys {missing}, unexpected keys {unexpected}. "
                "Was the file saved from a model wrapping a different module?"
            )

    def get_config(self):
        # The module itself can only travel as a pickle (torch.save), as in Keras; loading it
        # back executes code from the file, so from_config refuses it in safe mode.
        buffer = io.BytesIO()
        torch.save(self.module, buffer)
        return {**super().get_config(),
                "module": base64.b64encode(buffer.getvalue()).decode("ascii"),
                "output_shape": None if self._output_shape is None else list(self._output_shape)}

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        config = dict(config)
        if isinstance(config.get("module"), str):
            if (in_safe_mode() if safe_mode is None else safe_mode) is not False:
                raise ValueError(
                    "This file holds a TorchModuleWrapper whose torch module is stored as a "
                    "pickle; unpickling can run arbitrary code, so it was refused for safety and "
                    "nothing was executed. If you trust the file, load it with "
                    "`safe_mode=False` (or `lamina.config.enable_unsafe_deserialization()`); "
                    "the module will then be rebuilt with `torch.load(weights_only=False)`."
                )
            buffer = io.BytesIO(base64.b64decode(config["module"].encode("ascii")))
            config["module"] = torch.load(buffer, weights_only=False)
        return cls(**config)

