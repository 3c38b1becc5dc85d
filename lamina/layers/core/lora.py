"""LoRA (low-rank adaptation) for Dense, EinsumDense and Embedding, as in Keras 3.

`layer.enable_lora(rank)` freezes the layer's matrix and adds two float32 factors, `A` (he_uniform)
and `B` (zeros), so the layer computes with `matrix + (lora_alpha / rank) * A @ B` and only the
factors train. Files hold the merged matrix under the matrix's own name and no factors (Keras's
layout: any Keras or lamina model reads them); loading into a layer with LoRA enabled sets the
matrix and zeroes the factors. `Dense(lora_rank=4)` enables it at build time, and a layer's config
carries `lora_rank` and `lora_alpha`.
"""

import torch

from lamina import initializers


class LoraMixin:
    """What the three layers share; each names its matrix and the factors' shapes."""

    _lora_target = "kernel"  # the attribute holding the adapted matrix
    _lora_factors = ("lora_kernel_a", "lora_kernel_b")
    lora_enabled = False
    lora_rank = lora_alpha = None
    _lora_quantized_modes = ()  # quantization modes the layer's LoRA also works with (QLoRA)

    def _init_lora(self, lora_rank, lora_alpha):
        if lora_rank is not None and (not isinstance(lora_rank, int) or lora_rank <= 0):
            raise ValueError(
                f"`lora_rank` must be a positive integer. Received: lora_rank={lora_rank!r}")
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _lora_shapes(self, rank):
        """(shape of A, shape of B) for the matrix of this layer."""
        shape = tuple(getattr(self, self._lora_target).shape)
        return shape[:-1] + (rank,), (rank, shape[-1])

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freeze the matrix and train a rank-`rank` update of it instead (see module doc)."""
        constraint = getattr(self, f"{self._lora_target}_constraint", None)
        if constraint:
            raise ValueError(
                "Lora is incompatible with kernel constraints. In order to enable lora on this "
                f"layer, remove the `{self._lora_target}_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        if self.quantization_mode not in (None,) + self._lora_quantized_modes:
            allowed = " / ".join(("float",) + self._lora_quantized_modes)
            raise NotImplementedError(
                f"lamina enables LoRA on {type(self).__name__} layers that are {allowed}; "
                f"layer '{self.name}' is quantized ({self.dtype_policy.name}). Fine-tune the "
                "float model and quantize the result.")
        if not isinstance(rank, int) or rank <= 0:
            raise ValueError(f"`rank` must be a positive integer. Received: rank={rank!r}")
        a_shape, b_shape = self._lora_shapes(rank)
        regularizer = getattr(self, f"{self._lora_target}_regularizer", None)
        # float32 factors (no underflow while fine-tuning a 16-bit model), as in Keras.
        for name, shape, initializer in zip(self._lora_factors, (a_shape, b_shape),
                                            (a_initializer, b_initializer)):
            setattr(self, name, self.add_weight(
                name=name, shape=shape, initializer=initializers.get(initializer),
                dtype="float32", regularizer=regularizer))
        getattr(self, self._lora_target).trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _merged_matrix(self):
        """The matrix the layer computes with: frozen matrix plus the scaled low-rank update,
        in the compute dtype (Keras's `kernel` property under LoRA)."""
        a, b = (getattr(self, name) for name in self._lora_factors)
        matrix = getattr(self, self._lora_target)
        merged = matrix + (self.lora_alpha / self.lora_rank) * torch.matmul(a, b)
        return merged.to(self._torch_dtype) if merged.is_floating_point() else merged

    def _lora_update(self, inputs):
        """`(lora_alpha / rank) * inputs @ A @ B`: the update's share of a quantized layer's
        output (its frozen matrix is used as is, in its quantized form)."""
        a, b = (getattr(self, name) for name in self._lora_factors)
        update = torch.matmul(torch.matmul(inputs.to(a.dtype), a), b)
        return ((self.lora_alpha / self.lora_rank) * update).to(inputs.dtype)

    def _lora_saved_values(self):
        """What the files hold instead of the matrix (and, quantized, its scales): the
        merged result (Keras's `_get_kernel_with_merged_lora`). Name -> value."""
        with torch.no_grad():
            target = getattr(self, self._lora_target)
            return {self._lora_target: self._merged_matrix().to(target.dtype)}

    def _lora_config(self, config):
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config

    def _build_lora(self):
        """At the end of build: `lora_rank` given to the constructor (or read from a config)."""
        if self.lora_rank and not self.lora_enabled:
            self.enable_lora(self.lora_rank, self.lora_alpha)
