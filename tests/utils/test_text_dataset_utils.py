"""text_dataset_from_directory: file order, labels, contents, max_length, splits, training."""

import pickle

import numpy as np
import pytest
import torch

import lamina
from lamina.utils.text_dataset_utils import text_dataset_from_directory

TEXTS = {
    "neg/b.txt": "bad movie",
    "neg/a.txt": "awful, really awful",
    "neg/skip.md": "not a .txt file",
    "pos/c.TXT": "great film\r\nloved it",
    "pos/d.txt": "caf\u00e9 \u2615 good",
    "pos/sub/e.txt": "fine",
}


@pytest.fixture
def folders(tmp_path):
    for relative, text in TEXTS.items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return tmp_path


def _load(folders, **kwargs):
    kwargs.setdefault("shuffle", False)
    kwargs.setdefault("verbose", False)
    return text_dataset_from_directory(str(folders), **kwargs)


def test_texts_labels_and_order(folders, capsys):
    dataset = text_dataset_from_directory(str(folders), shuffle=False, batch_size=3)
    assert capsys.readouterr().out == "Found 5 files belonging to 2 classes.\n"
    assert dataset.class_names == ["neg", "pos"] and len(dataset) == 2
    texts, labels = dataset[0]
    assert isinstance(texts, np.ndarray) and texts.dtype.kind == "U" and texts.shape == (3,)
    # Sorted files per class; the text is the file's exact content (line endings kept).
    assert texts.tolist() == ["awful, really awful", "bad movie", "great film\r\nloved it"]
    assert labels.dtype == torch.int32 and labels.tolist() == [0, 0, 1]
    texts, labels = dataset[1]
    assert texts.tolist() == ["caf\u00e9 \u2615 good", "fine"] and labels.tolist() == [1, 1]


def test_max_length_counts_characters_and_unbatched_texts_are_str(folders):
    dataset = _load(folders, max_length=6, batch_size=None, label_mode=None)
    assert [dataset[i] for i in range(5)] == ["awful,", "bad mo", "great ", "caf\u00e9 \u2615",
                                              "fine"]
    with pytest.raises(ValueError, match="max_length"):
        _load(folders, max_length=-1)


def test_label_modes_and_explicit_labels(folders):
    _, labels = _load(folders, label_mode="categorical")[0]
    assert labels.tolist() == [[1, 0], [1, 0], [0, 1], [0, 1], [0, 1]]
    _, labels = _load(folders, label_mode="binary")[0]
    assert labels.shape == (5, 1) and labels.dtype == torch.float32
    _, labels = _load(folders, labels=[4, 3, 2, 1, 0])[0]
    assert labels.tolist() == [4, 3, 2, 1, 0]


def test_subset_both_and_shuffle(folders):
    train, val = _load(folders, validation_split=0.4, subset="both", seed=3, shuffle=True)
    train_texts = train.unbatch()
    seen = sorted([str(train_texts[i][0]) for i in range(len(train_texts))]
                  + val[0][0].tolist())
    assert sorted(t for name, t in TEXTS.items() if name.lower().endswith(".txt")) == seen
    assert len(val.file_paths) == 2 and not set(val.file_paths) & set(train.file_paths)


def test_vectorize_and_fit(folders):
    dataset = _load(folders, batch_size=2)
    vectorizer = lamina.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorizer.adapt(dataset.map(lambda x, y: x))
    vectorized = dataset.map(lambda x, y: (vectorizer(x), y)).cache()
    model = lamina.Sequential([lamina.Input((4,), dtype="int64"),
                               lamina.layers.Embedding(20, 3),
                               lamina.layers.GlobalAveragePooling1D(), lamina.layers.Dense(1)])
    model.compile("adam", lamina.losses.BinaryCrossentropy(from_logits=True))
    model.fit(vectorized, epochs=2, verbose=0)
    assert model.predict(vectorized, verbose=0).shape == (5, 1)


def test_pickles_for_spawned_workers(folders):
    dataset = _load(folders, max_length=3)
    assert pickle.loads(pickle.dumps(dataset))[0][0].tolist() == dataset[0][0].tolist()
