"""The peer benchmark's workloads: one Keras definition each, run unchanged by lamina and by
Keras 3 (the `keras` argument is `lamina` or the real `keras` module), and the same models as
hand-written PyTorch for the plain-loop baseline.

Data are random arrays of the real data sets' shapes (MNIST, IMDB), so nothing is downloaded;
speed does not depend on the values.
"""

import numpy as np

VOCAB, LENGTH = 20000, 200


def data(workload, samples, seed=0):
    rng = np.random.default_rng(seed)
    if workload in ("mlp", "predict"):
        return rng.random((samples, 784), dtype=np.float32), rng.integers(0, 10, samples)
    if workload == "cnn":
        return rng.random((samples, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, samples)
    if workload in ("lstm", "transformer"):
        x = rng.integers(0, VOCAB, (samples, LENGTH)).astype("int32")
        return x, rng.integers(0, 2, samples).astype("float32")
    raise ValueError(f"unknown workload {workload!r}")


BATCH = {"mlp": 128, "cnn": 128, "lstm": 64, "transformer": 64, "predict": 1024}


def keras_model(keras, workload):
    """The model, compiled, written as a Keras tutorial writes it."""
    layers = keras.layers
    if workload in ("mlp", "predict"):
        model = keras.Sequential([keras.Input((784,)), layers.Dense(512, activation="relu"),
                                  layers.Dense(512, activation="relu"),
                                  layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    elif workload == "cnn":
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
            layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
        model.compile(optimizer="adadelta", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    elif workload == "lstm":
        model = keras.Sequential([keras.Input((LENGTH,), dtype="int32"),
                                  layers.Embedding(VOCAB, 128), layers.LSTM(128),
                                  layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    elif workload == "transformer":
        model = _keras_transformer(keras)
    else:
        raise ValueError(f"unknown workload {workload!r}")
    return model


def _keras_transformer(keras):
    layers = keras.layers

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(vocab_size, embed_dim)
            self.pos_emb = layers.Embedding(maxlen, embed_dim)

        def call(self, x):
            positions = keras.ops.arange(0, keras.ops.shape(x)[-1], 1)
            return self.token_emb(x) + self.pos_emb(positions)

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"),
                                         layers.Dense(embed_dim)])
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(rate)
            self.dropout2 = layers.Dropout(rate)

        def call(self, inputs, training=None):
            attn = self.dropout1(self.att(inputs, inputs), training=training)
            out1 = self.layernorm1(inputs + attn)
            ffn = self.dropout2(self.ffn(out1), training=training)
            return self.layernorm2(out1 + ffn)

    inputs = keras.Input((LENGTH,), dtype="int32")
    x = TokenAndPositionEmbedding(LENGTH, VOCAB, 64)(inputs)
    x = TransformerBlock(64, 2, 128)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(20, activation="relu")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


# ---- the same models in plain PyTorch --------------------------------------------------------

def torch_model(workload):
    """(module, optimizer, loss_fn, is_binary) with PyTorch's best practice for a hand loop."""
    import torch
    from torch import nn

    if workload in ("mlp", "predict"):
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
        return model, torch.optim.Adam(model.parameters(), foreach=True), nn.CrossEntropyLoss(), \
            False
    if workload == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3),
                              nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5),
                              nn.Linear(1600, 10))
        return model, torch.optim.Adadelta(model.parameters(), lr=1e-3, foreach=True), \
            nn.CrossEntropyLoss(), False
    if workload == "lstm":
        model = _TorchLSTM()
    elif workload == "transformer":
        model = _TorchTransformer()
    else:
        raise ValueError(f"unknown workload {workload!r}")
    return model, torch.optim.Adam(model.parameters(), foreach=True), nn.BCEWithLogitsLoss(), True


def _torch_modules():
    import torch
    from torch import nn

    class TorchLSTM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, 128)
            self.lstm = nn.LSTM(128, 128, batch_first=True)
            # Keras's initialization (glorot kernel, orthogonal recurrent kernel, unit forget
            # bias), as the other frameworks use: with torch's default uniform init, the
            # 200-step backward pass fills with subnormal floats and runs ~12x slower on x86.
            nn.init.xavier_uniform_(self.lstm.weight_ih_l0)
            nn.init.orthogonal_(self.lstm.weight_hh_l0)
            nn.init.zeros_(self.lstm.bias_ih_l0)
            nn.init.zeros_(self.lstm.bias_hh_l0)
            with torch.no_grad():
                self.lstm.bias_ih_l0[128:256] = 1.0  # (torch's gate order: i, f, g, o)
            self.head = nn.Linear(128, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(self.embedding(x))
            return self.head(h[-1]).squeeze(-1)

    class TorchTransformer(nn.Module):
        def __init__(self, dim=64, heads=2, ff=128):
            super().__init__()
            self.token = nn.Embedding(VOCAB, dim)
            self.position = nn.Embedding(LENGTH, dim)
            # Keras's MultiHeadAttention(num_heads=2, key_dim=64): 64 dims per head.
            self.heads, self.head_dim = heads, dim
            self.qkv = nn.Linear(dim, 3 * heads * dim)
            self.out = nn.Linear(heads * dim, dim)
            self.ffn = nn.Sequential(nn.Linear(dim, ff), nn.ReLU(), nn.Linear(ff, dim))
            self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
            self.drop1, self.drop2, self.drop3 = nn.Dropout(0.1), nn.Dropout(0.1), nn.Dropout(0.1)
            self.dense = nn.Linear(dim, 20)
            self.head = nn.Linear(20, 1)

        def forward(self, x):
            h = self.token(x) + self.position(torch.arange(x.shape[1], device=x.device))
            batch, length, _ = h.shape
            q, k, v = self.qkv(h).view(batch, length, 3, self.heads, self.head_dim).permute(
                2, 0, 3, 1, 4)
            attn = torch.nn.functional.scaled_dot_product_attention(q, k, v)
            attn = attn.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim)
            h = self.norm1(h + self.drop1(self.out(attn)))
            h = self.norm2(h + self.drop2(self.ffn(h)))
            h = self.drop3(h.mean(dim=1))
            return self.head(torch.relu(self.dense(h))).squeeze(-1)

    return TorchLSTM, TorchTransformer


def _TorchLSTM():  # noqa: N802 - a factory standing for the class
    return _torch_modules()[0]()


def _TorchTransformer():  # noqa: N802
    return _torch_modules()[1]()
