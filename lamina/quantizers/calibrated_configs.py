"""`GPTQConfig` and `AWQConfig`: the settings of the two calibration-based post-training
quantization methods (weights quantized with the help of activations on sample data).

lamina keeps, validates and (de)serializes these settings, so Keras configs that carry them
load and save; it does not run GPTQ or AWQ itself.
"""

from lamina.quantizers.quantization_config import QuantizationConfig
from lamina.registry.object_registry import keras_export


def _check_common(num_samples, sequence_length, group_size, group_meaning):
    if num_samples <= 0:
        raise ValueError(f"num_samples must be a positive integer. Received: {num_samples}")
    if sequence_length <= 0:
        raise ValueError(
            f"sequence_length must be a positive integer. Received: {sequence_length}")
    if group_size < -1 or group_size == 0:
        raise ValueError(
            f"group_size must be a positive integer or -1 ({group_meaning}). Received: "
            f"group_size={group_size}"
        )


@keras_export("quantizers.GPTQConfig", package="quantizers", aliases=("gptq_config",))
class GPTQConfig(QuantizationConfig):
    """Settings of GPTQ, which quantizes each layer's weights column by column and corrects
    the remaining columns for the error, using the Hessian of the layer's outputs on
    calibration data (Frantar et al., 2022).

    Args:
        dataset: Calibration data (strings, or token arrays). Not saved in the config.
        tokenizer: Callable that turns `dataset` strings into tokens. Not saved.
        weight_bits: Bits per weight: 2, 3, 4 or 8. Defaults to 4.
        num_samples: Calibration samples to use. Defaults to 128.
        per_channel: One scale per output channel (else per tensor). Defaults to `True`.
        sequence_length: Tokens per calibration sample. Defaults to 512.
        hessian_damping: Fraction of the Hessian's mean diagonal added for stability, in
            [0, 1]. Defaults to 0.01.
        group_size: Weights per scale; -1 for one group. Defaults to 128.
        symmetric: Symmetric (no zero point) quantization. Defaults to `False`.
        activation_order: Quantize columns in order of decreasing activation size.
            Defaults to `False`.
        quantization_layer_structure: Optional dict with "pre_block_layers" and
            "sequential_blocks" describing how to walk the model.
    """

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, per_channel=True,
                 sequence_length=512, hessian_damping=0.01, group_size=128, symmetric=False,
                 activation_order=False, quantization_layer_structure=None):
        super().__init__()
        if weight_bits not in (2, 3, 4, 8):
            raise ValueError(
                f"GPTQ supports weight_bits 2, 3, 4 and 8. Received: weight_bits={weight_bits}")
        _check_common(num_samples, sequence_length, group_size, "the whole tensor")
        if not 0 <= hessian_damping <= 1:
            raise ValueError(
                f"hessian_damping must be between 0 and 1. Received: {hessian_damping}")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        """The dtype policy name for these settings, e.g. "gptq/4/128"."""
        return f"gptq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        # The calibration data and tokenizer serve once and are not saved.
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length,
                "hessian_damping": self.hessian_damping, "group_size": self.group_size,
                "symmetric": self.symmetric, "activation_order": self.activation_order,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config.pop("dataset", None), config.pop("tokenizer", None), **config)


@keras_export("quantizers.AWQConfig", package="quantizers", aliases=("awq_config",))
class AWQConfig(QuantizationConfig):
    """Settings of AWQ (activation-aware weight quantization, Lin et al., 2023), which
    protects the weights that meet large activations by scaling channels before 4-bit
    quantization, the scales chosen by a grid search on calibration data.

    Args:
        dataset: Calibration data (strings, or token arrays). Not saved in the config.
        tokenizer: Callable that turns `dataset` strings into tokens. Not saved.
        weight_bits: Bits per weight; AWQ supports 4 only. Defaults to 4.
        num_samples: Calibration samples to use. Defaults to 128.
        sequence_length: Tokens per calibration sample. Defaults to 512.
        group_size: Weights per scale; -1 for one scale per channel. Defaults to 128.
        num_grid_points: Candidate scales tried per channel. Defaults to 20.
        quantization_layer_structure: Optional dict with "pre_block_layers" and
            "sequential_blocks" describing how to walk the model.
    """

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128,
                 sequence_length=512, group_size=128, num_grid_points=20,
                 quantization_layer_structure=None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError(
                f"AWQ supports 4-bit weights only. Received: weight_bits={weight_bits}")
        _check_common(num_samples, sequence_length, group_size, "per channel")
        if num_grid_points <= 0:
            raise ValueError(
                f"num_grid_points must be a positive integer. Received: {num_grid_points}")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        """The dtype policy name for these settings, e.g. "awq/4/128"."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": self.quantization_layer_structure}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(config.pop("dataset", None), config.pop("tokenizer", None), **config)
