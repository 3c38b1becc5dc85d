"""`model.summary()` laid out as Keras 3.15.1 lays it out, compared with text Keras printed
(tests/fixtures/summaries: the scripts and their output, stdout not a terminal)."""

import os
import re

import numpy as np
import pytest

import lamina as keras

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "summaries")


def keras_text(name):
    with open(os.path.join(FIXTURES, name + ".txt"), encoding="utf-8") as f:
        return f.read()


def without_optimizer_bytes(text):
    # lamina's step counter is int64, Keras's int32 or int64 depending on the optimizer: the
    # byte sizes of lines that count optimizer variables may differ by 4, the counts may not.
    return re.sub(r"(Total|Optimizer) params: ([\d,]+) \([^)]*\)", r"\1 params: \2", text)


def summary_text(model, **kwargs):
    texts = []
    model.summary(print_fn=texts.append, **kwargs)
    assert len(texts) == 1  # print_fn gets the whole text at once, as in Keras
    return texts[0] + "\n"


def test_a_shared_layer_lists_both_calls(monkeypatch):
    monkeypatch.setattr("shutil.get_terminal_size", lambda *a, **k: os.terminal_size((80, 24)))
    a, b = keras.Input((8,), name="a"), keras.Input((8,), name="b")
    shared = keras.layers.Dense(4, name="shared")
    out = keras.layers.Add(name="add")([shared(a), shared(b)])
    assert summary_text(keras.Model([a, b], out)) == keras_text("shared_layer")


def test_a_chain_has_no_connections_column_and_counts_the_optimizer(monkeypatch):
    monkeypatch.setattr("shutil.get_terminal_size", lambda *a, **k: os.terminal_size((80, 24)))
    i = keras.Input((3,), name="i")
    x = keras.layers.Dense(2, name="d")(i)
    model = keras.Model(i, keras.layers.Dropout(0.5, name="drop")(x))
    text = summary_text(model, show_trainable=True)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    text += summary_text(model)
    assert without_optimizer_bytes(text) == without_optimizer_bytes(keras_text("trainable_chain"))


def test_widths_follow_line_length_and_positions():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    lines = summary_text(model, line_length=60, positions=[0.5, 0.8, 1.0]).splitlines()
    assert len(lines[1]) == 60 and lines[1].index("┳") == 30  # the first column: 0.5 * 60
    with pytest.raises(ValueError, match="narrower than 4"):
        model.summary(line_length=10, print_fn=print)
