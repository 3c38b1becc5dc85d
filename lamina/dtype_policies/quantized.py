"""Quantized dtype policies (Keras's int8 / int4 / float8 / GPTQ / AWQ policies).

Dense, EinsumDense and Embedding use the int8 and int4 policies (`layer.quantize(mode)` sets
them; a layer built with one creates quantized variables: lamina/quantizers/
layer_quantization.py). The float8, GPTQ and AWQ policies can be created, compared and
serialized, but no lamina layer computes with them yet.
"""

from lamina.mixed_precision.policy import DTypePolicy, global_policy
from lamina.registry.export import keras_export

QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")


def _unsupported(policy):
    return NotImplementedError(
        f"lamina does not implement quantized layers: the dtype policy {policy.name!r} "
        f"({type(policy).__name__}) can be created and serialized but not used by a layer."
    )


@keras_export("dtype_policies.QuantizedDTypePolicy")
class QuantizedDTypePolicy(DTypePolicy):
    """`<mode>_from_<source policy>`: weights quantized with `mode`, computing as the source."""

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = global_policy().name
        compute, variable = DTypePolicy._parse_name(source_name)
        self._check_mode(mode, compute)
        self._name = f"{mode}_from_{source_name}"
        self._source_name = source_name
        self._mode = mode
        self._compute, self._variable = compute, variable

    def _check_mode(self, mode, compute_dtype):
        base = str(mode).split("/")[0]
        if base not in QUANTIZATION_MODES:
            raise ValueError(
                f"Invalid quantization mode {mode!r}: expected one of {list(QUANTIZATION_MODES)}."
            )
        if compute_dtype == "float16" and mode == "int8":
            raise ValueError("Quantization mode 'int8' does not work with compute dtype 'float16'.")

    @property
    def quantization_mode(self):
        return self._mode

    @property
    def is_mixed(self):
        return False

    def convert_input(self, *args, **kwargs):
        raise _unsupported(self)

    def get_config(self):
        return {"mode": self._mode, "source_name": self._source_name}

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'


@keras_export("dtype_policies.QuantizedFloat8DTypePolicy")
class QuantizedFloat8DTypePolicy(QuantizedDTypePolicy):
    """float8 training policy; `amax_history_length` is the scaling history Keras keeps."""

    def __init__(self, mode, source_name=None, amax_history_length=1024):
        super().__init__(mode, source_name)
        if not isinstance(amax_history_length, int):
            raise TypeError(
                f"amax_history_length must be an integer; got {amax_history_length!r}."
            )
        self._amax_history_length = amax_history_length

    @property
    def amax_history_length(self):
        return self._amax_history_length

    def get_config(self):
        return {**super().get_config(), "amax_history_length": self._amax_history_length}


def _split_mode(mode, algorithm, fields):
    parts = str(mode).split("/")
    expected = "/".join([f"'{algorithm}"] + [f"<{f}>" for f in fields]) + "'"
    if len(parts) != len(fields) + 1 or parts[0] != algorithm:
        raise ValueError(f"Invalid mode {mode!r} for a {algorithm} policy: expected {expected}.")
    try:
        return [int(p) for p in parts[1:]]
    except ValueError:
        raise ValueError(f"Invalid mode {mode!r}: the fields of {expected} must be integers.") from None


@keras_export("dtype_policies.Int4DTypePolicy")
class Int4DTypePolicy(QuantizedDTypePolicy):
    """int4 weights; mode `"int4/<block_size>"` (-1: per channel)."""

    def __init__(self, mode, source_name=None):
        (self.block_size,) = _split_mode(mode, "int4", ["block_size"])
        if self.block_size < -1 or self.block_size == 0:
            raise ValueError(f"int4 block_size must be -1 or positive; got {self.block_size}.")
        super().__init__("int4", source_name)
        self._full_mode = mode
        self._name = f"{mode}_from_{self._source_name}"

    def get_config(self):
        return {"mode": self._full_mode, "source_name": self._source_name}


class _BitsGroupPolicy(QuantizedDTypePolicy):
    _algorithm = None

    def __init__(self, mode, source_name=None):
        self.weight_bits, self.group_size = _split_mode(
            mode, self._algorithm, ["weight_bits", "group_size"])
        if self.weight_bits not in (2, 3, 4, 8) and self._algorithm == "gptq":
            raise ValueError(f"GPTQ weight_bits must be one of 2, 3, 4, 8; got {self.weight_bits}.")
        if self.group_size < -1 or self.group_size == 0:
            raise ValueError(f"group_size must be -1 or positive; got {self.group_size}.")
        super().__init__(self._algorithm, source_name)
        self.mode = self._algorithm
        self._name = f"{mode}_from_{self._source_name}"

    def get_config(self):
        return {"mode": f"{self.mode}/{self.weight_bits}/{self.group_size}",
                "source_name": self._source_name}


@keras_export("dtype_policies.GPTQDTypePolicy")
class GPTQDTypePolicy(_BitsGroupPolicy):
    """GPTQ-quantized weights; mode `"gptq/<weight_bits>/<group_size>"`."""

    _algorithm = "gptq"


@keras_export("dtype_policies.AWQDTypePolicy")
class AWQDTypePolicy(_BitsGroupPolicy):
    """AWQ-quantized weights; mode `"awq/<weight_bits>/<group_size>"`."""

    _algorithm = "awq"


def policy_from_name(name):
    """`"int8_from_float32"` and friends -> the matching quantized policy."""
    if not isinstance(name, str):
        raise TypeError(f"A quantized policy name must be a string; got {name!r}.")
    parts = name.split("_from_")
    if len(parts) != 2:
        raise ValueError(
            f"Cannot read {name!r} as '<mode>_from_<source policy>' (e.g. 'int8_from_float32')."
        )
    mode, source = parts
    if mode.startswith("int4") and "/" in mode:
        return Int4DTypePolicy(mode, source)
    if mode.startswith("gptq"):
        return GPTQDTypePolicy(mode, source)
    if mode.startswith("awq"):
        return AWQDTypePolicy(mode, source)
    if mode.startswith("float8"):
        return QuantizedFloat8DTypePolicy(mode, source)
    return QuantizedDTypePolicy(mode, source)
