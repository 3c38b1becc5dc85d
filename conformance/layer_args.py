"""How to build each public Keras layer for the symbolic check: `Input(shape) -> layer -> output`.

LAYERS[name] = {
    "args":   constructor keyword arguments (plain data; a nested layer is {"__layer__": name,
              **its args}, a function is {"__function__": "python expression"}),
    "inputs": the shapes (batch dimension left out) of the model's inputs; default [(8,)],
    "dtype":  the inputs' dtype; default "float32",
    "call":   how the layer takes its inputs: "single" (layer(x), the default), "list"
              (layer([a, b]), merge layers), "positional" (layer(a, b)), or "cell"
              (layer(x, [states...]), RNN cells).
}
A layer missing from the table is built with no arguments on one (8,) float input.
"""

SEQ = [(6, 4)]            # (steps, features)
IMAGE = [(8, 8, 3)]       # (height, width, channels)
VOLUME = [(6, 6, 6, 2)]   # (depth, height, width, channels)
SEQ_OF_IMAGES = [(3, 8, 8, 2)]


def _layer(name, **args):
    return {"__layer__": name, **args}


_CONV = {"filters": 2, "kernel_size": 3}

LAYERS = {
    # core
    "Dense": {"args": {"units": 4}},
    "EinsumDense": {"args": {"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}},
    "Activation": {"args": {"activation": "relu"}},
    "Embedding": {"args": {"input_dim": 10, "output_dim": 3}, "inputs": [(5,)], "dtype": "int32"},
    "ReversibleEmbedding": {"args": {"input_dim": 10, "output_dim": 3}, "inputs": [(5,)],
                            "dtype": "int32"},
    "Lambda": {"args": {"function": {"__function__": "lambda x: x * 2.0"}}},
    "Masking": {"args": {"mask_value": 0.0}, "inputs": SEQ},
    "Identity": {},
    "InputLayer": {"args": {"shape": (8,)}},
    # activations
    "ReLU": {}, "LeakyReLU": {}, "PReLU": {}, "ELU": {}, "Softmax": {},
    # regularization
    "Dropout": {"args": {"rate": 0.5}},
    "AlphaDropout": {"args": {"rate": 0.5}},
    "GaussianDropout": {"args": {"rate": 0.5}},
    "GaussianNoise": {"args": {"stddev": 0.1}},
    "SpatialDropout1D": {"args": {"rate": 0.5}, "inputs": SEQ},
    "SpatialDropout2D": {"args": {"rate": 0.5}, "inputs": IMAGE},
    "SpatialDropout3D": {"args": {"rate": 0.5}, "inputs": VOLUME},
    "ActivityRegularization": {"args": {"l1": 0.01}},
    # reshaping
    "Flatten": {"inputs": [(4, 2)]},
    "Reshape": {"args": {"target_shape": (4, 2)}},
    "Permute": {"args": {"dims": (2, 1)}, "inputs": SEQ},
    "RepeatVector": {"args": {"n": 3}},
    "Cropping1D": {"args": {"cropping": 1}, "inputs": SEQ},
    "Cropping2D": {"args": {"cropping": 1}, "inputs": IMAGE},
    "Cropping3D": {"args": {"cropping": 1}, "inputs": VOLUME},
    "UpSampling1D": {"inputs": SEQ},
    "UpSampling2D": {"inputs": IMAGE},
    "UpSampling3D": {"inputs": VOLUME},
    "ZeroPadding1D": {"inputs": SEQ},
    "ZeroPadding2D": {"inputs": IMAGE},
    "ZeroPadding3D": {"inputs": VOLUME},
    # merging
    **{name: {"inputs": [(4,), (4,)], "call": "list"}
       for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                    "Concatenate")},
    "Dot": {"args": {"axes": 1}, "inputs": [(4,), (4,)], "call": "list"},
    # convolution
    **{name: {"args": _CONV, "inputs": SEQ}
       for name in ("Conv1D", "Convolution1D", "Conv1DTranspose", "Convolution1DTranspose",
                    "SeparableConv1D", "SeparableConvolution1D")},
    **{name: {"args": _CONV, "inputs": IMAGE}
       for name in ("Conv2D", "Convolution2D", "Conv2DTranspose", "Convolution2DTranspose",
                    "SeparableConv2D", "SeparableConvolution2D")},
    **{name: {"args": _CONV, "inputs": VOLUME}
       for name in ("Conv3D", "Convolution3D", "Conv3DTranspose", "Convolution3DTranspose")},
    "DepthwiseConv1D": {"args": {"kernel_size": 3}, "inputs": SEQ},
    "DepthwiseConv2D": {"args": {"kernel_size": 3}, "inputs": IMAGE},
    # pooling
    **{f"{kind}{d}D": {"args": {"pool_size": 2}, "inputs": shape}
       for kind in ("MaxPooling", "AveragePooling", "MaxPool", "AvgPool")
       for d, shape in ((1, SEQ), (2, IMAGE), (3, VOLUME))},
    **{f"{kind}{d}D": {"inputs": shape}
       for kind in ("GlobalMaxPooling", "GlobalAveragePooling", "GlobalMaxPool", "GlobalAvgPool")
       for d, shape in ((1, SEQ), (2, IMAGE), (3, VOLUME))},
    **{f"Adaptive{kind}Pooling{d}D": {"args": {"output_size": 2}, "inputs": shape}
       for kind in ("Max", "Average") for d, shape in ((1, SEQ), (2, IMAGE), (3, VOLUME))},
    # normalization
    "BatchNormalization": {}, "LayerNormalization": {}, "UnitNormalization": {},
    "RMSNormalization": {},
    "GroupNormalization": {"args": {"groups": 2}},
    "SpectralNormalization": {"args": {"layer": _layer("Dense", units=4)}},
    # recurrent
    "SimpleRNN": {"args": {"units": 3}, "inputs": SEQ},
    "LSTM": {"args": {"units": 3}, "inputs": SEQ},
    "GRU": {"args": {"units": 3}, "inputs": SEQ},
    "RNN": {"args": {"cell": _layer("SimpleRNNCell", units=3)}, "inputs": SEQ},
    "Bidirectional": {"args": {"layer": _layer("LSTM", units=3)}, "inputs": SEQ},
    "TimeDistributed": {"args": {"layer": _layer("Dense", units=2)}, "inputs": SEQ},
    "SimpleRNNCell": {"args": {"units": 3}, "inputs": [(4,), (3,)], "call": "cell"},
    "GRUCell": {"args": {"units": 3}, "inputs": [(4,), (3,)], "call": "cell"},
    "LSTMCell": {"args": {"units": 3}, "inputs": [(4,), (3,), (3,)], "call": "cell"},
    "StackedRNNCells": {"args": {"cells": [_layer("SimpleRNNCell", units=3),
                                           _layer("SimpleRNNCell", units=3)]},
                        "inputs": [(4,), (3,), (3,)], "call": "cell"},
    "ConvLSTM1D": {"args": _CONV, "inputs": [(3, 8, 2)]},
    "ConvLSTM2D": {"args": _CONV, "inputs": SEQ_OF_IMAGES},
    "ConvLSTM3D": {"args": _CONV, "inputs": [(3, 5, 5, 5, 2)]},
    # attention
    "Attention": {"inputs": [(5, 4), (6, 4)], "call": "list"},
    "AdditiveAttention": {"inputs": [(5, 4), (6, 4)], "call": "list"},
    "MultiHeadAttention": {"args": {"num_heads": 2, "key_dim": 3}, "inputs": [(5, 4), (6, 4)],
                           "call": "positional"},
    "GroupQueryAttention": {"args": {"head_dim": 3, "num_query_heads": 2,
                                     "num_key_value_heads": 1},
                            "inputs": [(5, 4), (6, 4)], "call": "positional"},
    # preprocessing: numbers and categories
    "Normalization": {"args": {"mean": 0.0, "variance": 1.0}},
    "Discretization": {"args": {"bin_boundaries": [0.0, 1.0]}},
    "Rescaling": {"args": {"scale": 0.5}},
    "CategoryEncoding": {"args": {"num_tokens": 5, "output_mode": "multi_hot"},
                         "inputs": [(3,)], "dtype": "int32"},
    "Hashing": {"args": {"num_bins": 4}, "inputs": [(3,)], "dtype": "int32"},
    "HashedCrossing": {"args": {"num_bins": 4}, "inputs": [(1,), (1,)], "dtype": "int32",
                       "call": "list"},
    "IntegerLookup": {"args": {"vocabulary": [1, 2, 3]}, "inputs": [(3,)], "dtype": "int32"},
    "StringLookup": {"args": {"vocabulary": ["a", "b", "c"]}, "inputs": [(3,)],
                     "dtype": "string"},
    "TextVectorization": {"args": {"vocabulary": ["a", "b", "c"], "output_sequence_length": 4},
                          "inputs": [(1,)], "dtype": "string"},
    # preprocessing: images
    "Resizing": {"args": {"height": 4, "width": 4}, "inputs": IMAGE},
    "CenterCrop": {"args": {"height": 4, "width": 4}, "inputs": IMAGE},
    "RandomCrop": {"args": {"height": 4, "width": 4}, "inputs": IMAGE},
    "RandomFlip": {"inputs": IMAGE},
    "RandomRotation": {"args": {"factor": 0.1}, "inputs": IMAGE},
    "RandomTranslation": {"args": {"height_factor": 0.1, "width_factor": 0.1}, "inputs": IMAGE},
    "RandomZoom": {"args": {"height_factor": 0.1}, "inputs": IMAGE},
    **{name: {"args": {"factor": 0.2}, "inputs": IMAGE}
       for name in ("RandomBrightness", "RandomContrast", "RandomHue", "RandomSaturation",
                    "RandomSharpness", "RandomColorDegeneration")},
    "RandomPosterization": {"args": {"factor": (1, 4)}, "inputs": IMAGE},
    **{name: {"inputs": IMAGE}
       for name in ("AutoContrast", "Equalization", "Solarization", "RandomGrayscale",
                    "RandomInvert", "RandomColorJitter", "RandomErasing", "RandomGaussianBlur",
                    "RandomPerspective", "RandomShear", "RandomElasticTransform", "AugMix",
                    "CutMix", "MixUp", "RandAugment",
                    "ContrastLimitedAdaptiveHistogramEqualization")},
    "MaxNumBoundingBoxes": {"args": {"max_number": 3}, "inputs": IMAGE},
    "Pipeline": {"args": {"layers": [_layer("Rescaling", scale=0.5)]}, "inputs": IMAGE},
    # preprocessing: audio
    "MelSpectrogram": {"inputs": [(2048,)]},
    "STFTSpectrogram": {"inputs": [(2048, 1)]},
    # Wrappers of foreign code: they need a jax / TensorFlow / torch object, so they are tried
    # with a plain layer argument and are expected to fail on Keras-with-jax too.
    "Wrapper": {"args": {"layer": _layer("Dense", units=4)}},
}
