"""Quantization configs: which quantizers a layer's weights and activations use, per mode.

They are what Keras's `model.quantize(mode, config=...)` takes and what Keras files record in
a layer's `quantization_config`. lamina reads, writes and validates them; it does not quantize
layers yet.
"""

from lamina.registry.object_registry import keras_export


def _serialize(obj):
    from lamina.registry.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _deserialize(config):
    from lamina.quantizers import deserialize

    return None if config is None else deserialize(config)


@keras_export("quantizers.QuantizationConfig", package="quantizers",
              aliases=("quantization_config",))
class QuantizationConfig:
    """Base class of quantization configs: a weight quantizer, an activation quantizer and a
    `mode` (defined by each subclass)."""

    def __init__(self, weight_quantizer=None, activation_quantizer=None):
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self):
        raise NotImplementedError(
            "QuantizationConfig is a base class with no mode: use Int8QuantizationConfig, "
            "Int4QuantizationConfig, Float8QuantizationConfig, GPTQConfig or AWQConfig."
        )

    def get_config(self):
        return {"weight_quantizer": _serialize(self.weight_quantizer),
                "activation_quantizer": _serialize(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config):
        return cls(weight_quantizer=_deserialize(config.get("weight_quantizer")),
                   activation_quantizer=_deserialize(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config, default):
        """`config`'s weight quantizer, or `default` when there is none."""
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config, default):
        """`config`'s activation quantizer (even `None`: no activation quantization), or
        `default` when there is no config."""
        return config.activation_quantizer if config is not None else default


def _check_output_dtype(config_name, quantizer):
    if quantizer is not None and quantizer.output_dtype != "int8":
        raise ValueError(
            f"{config_name} needs a weight_quantizer with output_dtype='int8'. Received: "
            f"output_dtype={quantizer.output_dtype!r}"
        )


@keras_export("quantizers.Int8QuantizationConfig", package="quantizers",
              aliases=("int8_quantization_config",))
class Int8QuantizationConfig(QuantizationConfig):
    """Int8 weights, and by default int8 activations (`AbsMaxQuantizer` along the last axis;
    pass `activation_quantizer=None` for weight-only quantization)."""

    def __init__(self, weight_quantizer=None, activation_quantizer="default"):
        from lamina.quantizers.quantizer import AbsMaxQuantizer

        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        _check_output_dtype("Int8QuantizationConfig", self.weight_quantizer)

    @property
    def mode(self):
        return "int8"


@keras_export("quantizers.Int4QuantizationConfig", package="quantizers",
              aliases=("int4_quantization_config",))
class Int4QuantizationConfig(QuantizationConfig):
    """Int4 weights (weight-only by default).

    Args:
        weight_quantizer: Optional quantizer for the weights; it must produce int8 values in
            `value_range=(-8, 7)`. Only with per-channel quantization (`block_size=None`).
        activation_quantizer: Optional quantizer for the activations; `"default"` means none.
        block_size: Rows of the weight per scale (sub-channel quantization), or `None` / -1
            for one scale per output channel. Defaults to 128.
    """

    def __init__(self, weight_quantizer=None, activation_quantizer="default", block_size=128):
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(
                "block_size must be a positive number of rows, or None / -1 for per-channel "
                f"quantization. Received: block_size={block_size}"
            )
        self.block_size = block_size
        custom = self.weight_quantizer is not None or self.activation_quantizer is not None
        if block_size is not None and block_size > 0 and custom:
            raise ValueError(
                "Int4 sub-channel quantization (block_size > 0) uses its own quantizer: remove "
                "weight_quantizer / activation_quantizer, or pass block_size=None (or -1) for "
                f"per-channel quantization with them. Received: block_size={block_size}"
            )
        if self.weight_quantizer is not None:
            value_range = tuple(getattr(self.weight_quantizer, "value_range", ()))
            if value_range != (-8, 7):
                raise ValueError(
                    "Int4QuantizationConfig needs a weight_quantizer with value_range=(-8, 7). "
                    f"Received: value_range={value_range}"
                )
        _check_output_dtype("Int4QuantizationConfig", self.weight_quantizer)

    @property
    def mode(self):
        return "int4"

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}

    @classmethod
    def from_config(cls, config):
        # Configs written before block_size existed meant per-channel quantization.
        return cls(weight_quantizer=_deserialize(config.get("weight_quantizer")),
                   activation_quantizer=_deserialize(config.get("activation_quantizer")),
                   block_size=config.get("block_size"))


@keras_export("quantizers.Float8QuantizationConfig", package="quantizers",
              aliases=("float8_quantization_config",))
class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed-scaling float8 matmuls). It takes no quantizers: it only
    selects the mode."""

    def __init__(self):
        super().__init__(None, None)

    @property
    def mode(self):
        return "float8"

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls()
