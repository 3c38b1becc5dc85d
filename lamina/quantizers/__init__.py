"""`lamina.quantizers` (Keras's `keras.quantizers`): int8 / int4 / float8 quantization
functions on torch tensors, quantizers and quantization configs."""

from lamina.quantizers.calibrated_configs import AWQConfig as AWQConfig
from lamina.quantizers.calibrated_configs import GPTQConfig as GPTQConfig
from lamina.quantizers.fake_quant import (
    fake_quant_with_min_max_vars as fake_quant_with_min_max_vars)
from lamina.quantizers.float8 import compute_float8_amax_history as compute_float8_amax_history
from lamina.quantizers.float8 import compute_float8_scale as compute_float8_scale
from lamina.quantizers.float8 import quantize_and_dequantize as quantize_and_dequantize
from lamina.quantizers.int4_packing import pack_int4 as pack_int4
from lamina.quantizers.int4_packing import unpack_int4 as unpack_int4
from lamina.quantizers.quantization_config import (
    Float8QuantizationConfig as Float8QuantizationConfig)
from lamina.quantizers.quantization_config import (
    Int4QuantizationConfig as Int4QuantizationConfig)
from lamina.quantizers.quantization_config import (
    Int8QuantizationConfig as Int8QuantizationConfig)
from lamina.quantizers.quantization_config import QuantizationConfig as QuantizationConfig
from lamina.quantizers.quantizer import AbsMaxQuantizer as AbsMaxQuantizer
from lamina.quantizers.quantizer import Quantizer as Quantizer
from lamina.quantizers.quantizer import abs_max_quantize as abs_max_quantize
from lamina.quantizers.quantizer import (
    abs_max_quantize_grouped_with_zero_point as abs_max_quantize_grouped_with_zero_point)
from lamina.quantizers.serialization import deserialize as deserialize
from lamina.quantizers.serialization import get as get
from lamina.quantizers.serialization import serialize as serialize
