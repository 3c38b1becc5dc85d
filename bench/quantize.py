"""Post-training quantization: parameter memory and `predict` speed of float32 vs int8 vs int4.

Two models: an MLP 784-1024-1024-10 and a small transformer (token embedding 8000x256, one
block: MultiHeadAttention with 4 heads of 64, FFN 1024, sequence 64). Each variant is a copy of
the same float model, quantized with `model.quantize(mode)`; their `predict` runs interleaved
(float32, int8, int4, float32, ...) and the table gives the median time of each and its ratio
to float32 from the same repeats, with the bytes of all parameters.

    python bench/quantize.py [--repeats 7] [--batch 256]
"""

import argparse
import statistics
import time
import warnings

import numpy as np
import torch

import lamina
from lamina import layers


def mlp():
    inputs = lamina.Input((784,))
    x = layers.Dense(1024, activation="relu")(inputs)
    x = layers.Dense(1024, activation="relu")(x)
    return lamina.Model(inputs, layers.Dense(10)(x))


def transformer(vocab=8000, length=64, dim=256, heads=4, ffn=1024):
    inputs = lamina.Input((length,), dtype="int32")
    x = layers.Embedding(vocab, dim)(inputs)
    attended = layers.MultiHeadAttention(heads, dim // heads)(x, x)
    x = layers.LayerNormalization()(x + attended)
    hidden = layers.Dense(ffn, activation="gelu")(x)
    x = layers.LayerNormalization()(x + layers.Dense(dim)(hidden))
    x = layers.GlobalAveragePooling1D()(x)
    return lamina.Model(inputs, layers.Dense(2)(x))


def parameter_bytes(model):
    return sum(w.numel() * w.element_size() for w in model.weights)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    data = {"mlp": rng.normal(size=(args.batch * 4, 784)).astype("float32"),
            "transformer": rng.integers(0, 8000, size=(args.batch, 64)).astype("int32")}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch}, "
          f"repeats {args.repeats}")
    print("| model | variant | parameter MiB | vs float32 | predict s (median) | vs float32 "
          "| max abs diff vs float32 |")
    print("|---|---|---|---|---|---|---|")
    for name, build in (("mlp", mlp), ("transformer", transformer)):
        lamina.utils.set_random_seed(0)
        base = build()
        variants = {"float32": base}
        for mode in ("int8", "int4"):
            variants[mode] = build()
            variants[mode].set_weights(base.get_weights())
            with warnings.catch_warnings():  # (the layers it cannot quantize: listed below)
                warnings.simplefilter("ignore")
                variants[mode].quantize(mode)
        x = data[name]
        outputs = {key: model.predict(x, batch_size=args.batch, verbose=0)  # (warm-up too)
                   for key, model in variants.items()}
        times = {key: [] for key in variants}
        for _ in range(args.repeats):
            for key, model in variants.items():
                start = time.perf_counter()
                model.predict(x, batch_size=args.batch, verbose=0)
                times[key].append(time.perf_counter() - start)
        quantized = sorted({type(layer).__name__ for layer in variants["int8"]._flatten_layers()
                            if layer.quantization_mode})
        print(f"| {name}: quantized layer types: {', '.join(quantized)} | | | | | | |")
        base_bytes, base_time = parameter_bytes(base), statistics.median(times["float32"])
        for key, model in variants.items():
            size, median = parameter_bytes(model), statistics.median(times[key])
            diff = float(np.abs(outputs[key] - outputs["float32"]).max())
            print(f"| {name} | {key} | {size / 2**20:.2f} | {size / base_bytes:.2f}× | "
                  f"{median:.4f} | {median / base_time:.2f}× | {diff:.3g} |")


if __name__ == "__main__":
    main()
