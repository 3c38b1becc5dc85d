"""Embedding: integer indices -> dense vectors, looked up in an (input_dim, output_dim) table."""

import torch
import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.layer import Layer
from lamina.registry.export import keras_export
from lamina.registry.serialization import serialize_keras_object
from lamina.utils.arguments import rename_legacy_kwargs, warn_deprecated


@keras_export("layers.Embedding")
class Embedding(Layer):
    _accepts_integers = True  # ids: never cast to floats

    def __init__(self, input_dim=None, output_dim=None, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, **kwargs):
        rename_legacy_kwargs(kwargs, {"init": "embeddings_initializer",
                                      "W_regularizer": "embeddings_regularizer",
                                      "W_constraint": "embeddings_constraint"}, "Embedding()")
        embeddings_initializer = kwargs.pop("embeddings_initializer", embeddings_initializer)
        embeddings_regularizer = kwargs.pop("embeddings_regularizer", embeddings_regularizer)
        embeddings_constraint = kwargs.pop("embeddings_constraint", embeddings_constraint)
        input_length = kwargs.pop("input_length", None)
        if input_length is not None:
            warn_deprecated("input_length=", "an Input(shape=(input_length,)) layer", "Embedding()")
            kwargs.setdefault("input_shape", (input_length,))
        super().__init__(**kwargs)
        if lora_rank is not None:
            raise NotImplementedError("Embedding(lora_rank=...) is not supported by lamina yet.")
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"Embedding() needs a positive integer `{arg}`. Received: {arg}={value!r}"
                )
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights
        self._input_length = input_length

    def build(self, input_shape=None):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer,
            name="embeddings", regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs):
        if inputs.is_floating_point():
            inputs = inputs.long()
        elif inputs.dtype != torch.int64 and inputs.dtype != torch.int32:
            inputs = inputs.long()
        if inputs.device.type not in ("cpu", "meta") and self._device_checks_left > 0:
            # A bad id on a GPU is a device-side assert that kills the CUDA context; checking
            # costs a synchronisation, so only the first calls pay it (where a wrong vocabulary
            # size shows up).
            self._device_checks_left -= 1
            if inputs.numel() and bool(((inputs < 0) | (inputs >= self.input_dim)).any()):
                self._raise_out_of_range(inputs)
        try:
            return F.embedding(inputs, self.embeddings)
        except IndexError:  # CPU: checked by torch for free
            self._raise_out_of_range(inputs)

    _device_checks_left = 10

    def _raise_out_of_range(self, inputs):
        bad = inputs[(inputs < 0) | (inputs >= self.input_dim)]
        raise ValueError(
            f'Layer "{self.name}" (Embedding) received the id {int(bad[0])}, outside '
            f"[0, input_dim={self.input_dim}) ({bad.numel()} such ids in this batch, largest "
            f"{int(inputs.max())}). Set `input_dim` to the vocabulary size (largest id + 1), or "
            "map unknown tokens to an id the vocabulary has (an out-of-vocabulary id)."
        ) from None

    def _autocast(self, x):
        return x  # indices stay integers

    def compute_mask(self, inputs, mask=None):
        return None if not self.mask_zero else inputs != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": serialize_keras_object(self.embeddings_initializer),
            "embeddings_regularizer": serialize_keras_object(self.embeddings_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "embeddings_constraint": serialize_keras_object(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "quantization_config": None,  # Keras 3 writes it; lamina does not quantize
        }
        return config
