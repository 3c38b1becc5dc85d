"""Achieved FLOP/s of a larger transformer trained with lamina's fit (issue 12's GPU check).

    python bench/transformer_flops.py                       # 6 layers, width 512, sequence 512, bf16
    python bench/transformer_flops.py --jit                 # the same with compile(jit_compile=True)
    python bench/transformer_flops.py --layers 1 --width 64 --seq 64 --batch 8 --steps 4  # a CPU smoke run

The model is Keras code (token + position embedding, pre-norm-free encoder blocks of
MultiHeadAttention and a 4x-wide FFN, pooling, a sigmoid head) under the "mixed_bfloat16"
policy. FLOPs per training step are counted for the matrix products only, as is usual:
3 x (forward) with forward = 2 x tokens x (12 x width^2 per layer) + 4 x tokens x sequence x
width per layer (attention scores and values); embeddings, norms and the head are left out, so
the fraction of peak is slightly understated. The peak is the GPU's dense bf16 figure from the
table below (or --peak-tflops); on a CPU give --peak-tflops to get a fraction.
"""

import argparse
import json
import time

import numpy as np

# Dense (not sparse) bf16 tensor-core peaks from the vendors' data sheets, in TFLOP/s.
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "L4": 121.0,
                    "A10G": 70.0, "RTX 4090": 165.0}


def build(keras, args):
    layers = keras.layers

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.token_emb = layers.Embedding(vocab_size, embed_dim)
            self.pos_emb = layers.Embedding(maxlen, embed_dim)

        def call(self, x):
            positions = keras.ops.arange(0, keras.ops.shape(x)[-1], 1)
            return self.token_emb(x) + self.pos_emb(positions)

    class TransformerBlock(layers.Layer):
        def __init__(self, width, heads, **kwargs):
            super().__init__(**kwargs)
            self.att = layers.MultiHeadAttention(num_heads=heads, key_dim=width // heads)
            self.ffn = keras.Sequential([layers.Dense(4 * width, activation="gelu"),
                                         layers.Dense(width)])
            self.norm1 = layers.LayerNormalization(epsilon=1e-6)
            self.norm2 = layers.LayerNormalization(epsilon=1e-6)

        def call(self, x):
            x = self.norm1(x + self.att(x, x))
            return self.norm2(x + self.ffn(x))

    inputs = keras.Input((args.seq,), dtype="int32")
    x = TokenAndPositionEmbedding(args.seq, args.vocab, args.width)(inputs)
    for _ in range(args.layers):
        x = TransformerBlock(args.width, args.heads)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", jit_compile=args.jit)
    return model


def step_flops(args):
    tokens = args.batch * args.seq
    forward = args.layers * (2 * tokens * 12 * args.width ** 2 + 4 * tokens * args.seq * args.width)
    return 3 * forward


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--seq", type=int, default=512)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30, help="timed steps (after warm-up)")
    parser.add_argument("--warmup-steps", type=int, default=5)
    parser.add_argument("--jit", action="store_true", help="compile(jit_compile=True)")
    parser.add_argument("--mode", default=None,
                        help="torch.compile mode under --jit (e.g. reduce-overhead)")
    parser.add_argument("--precision", default="mixed_bfloat16")
    parser.add_argument("--peak-tflops", type=float, default=None)
    args = parser.parse_args()

    import torch

    import lamina as keras
    from lamina.trainers import step_compiler

    step_compiler.MODE = args.mode
    keras.mixed_precision.set_global_policy(args.precision)
    keras.utils.set_random_seed(0)
    model = build(keras, args)
    rng = np.random.default_rng(0)
    n = args.batch * (args.warmup_steps + args.steps)
    x = rng.integers(0, args.vocab, (n, args.seq)).astype("int32")
    y = rng.integers(0, 2, n).astype("float32")
    cuda = torch.cuda.is_available()

    def run(rows):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        model.fit(x[rows], y[rows], batch_size=args.batch, epochs=1, shuffle=False, verbose=0)
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - start

    warmup = run(slice(0, args.batch * args.warmup_steps))
    elapsed = run(slice(args.batch * args.warmup_steps, n))
    flops = step_flops(args) * args.steps / elapsed
    device = torch.cuda.get_device_name() if cuda else "cpu"
    peak = args.peak_tflops
    if peak is None:
        peak = next((v for k, v in PEAK_BF16_TFLOPS.items() if k in device), None)
    print(json.dumps({
        "device": device, "layers": args.layers, "width": args.width, "seq": args.seq,
        "batch": args.batch, "precision": args.precision, "jit_compile": args.jit, "mode": args.mode,
        "warmup_s": round(warmup, 2), "step_ms": round(1e3 * elapsed / args.steps, 2),
        "tokens_per_s": round(args.batch * args.seq * args.steps / elapsed),
        "achieved_tflops": round(flops / 1e12, 3),
        "peak_tflops": peak, "fraction_of_peak": round(flops / 1e12 / peak, 4) if peak else None,
        "peak_mib": round(torch.cuda.max_memory_allocated() / 2**20) if cuda else None,
    }))


if __name__ == "__main__":
    main()
