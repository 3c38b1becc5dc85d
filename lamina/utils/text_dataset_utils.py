"""`text_dataset_from_directory`: a dataset of texts (and labels) read from class folders."""

import functools

from lamina.registry.export import keras_export
from lamina.utils import dataset_utils

ALLOWED_FORMATS = (".txt",)


@keras_export("utils.text_dataset_from_directory", "preprocessing.text_dataset_from_directory")
def text_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                class_names=None, batch_size=32, max_length=None, shuffle=True,
                                seed=None, validation_split=None, subset=None,
                                follow_links=False, format="tf", verbose=True):
    """A dataset of batches of texts read from `.txt` files in a directory.

    With the layout

    ```
    main_directory/
        class_a/
            a_text_1.txt
            a_text_2.txt
        class_b/
            b_text_1.txt
    ```

    `text_dataset_from_directory(main_directory)` yields batches of texts with the labels
    0 (`class_a`) and 1 (`class_b`).

    Args:
        directory: the folder holding the `.txt` files (in class sub-folders when
            `labels="inferred"`).
        labels: "inferred" (a class per sub-folder, in alphanumeric order), None (texts
            only) or a list of integer labels, one per file in the order of `os.walk` with
            sorted folders and files.
        label_mode: "int" (int32 `(batch,)`), "categorical" (one-hot float32
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, two classes only) or
            None (no labels).
        class_names: with `labels="inferred"`, the sub-folders to read, in label order.
        batch_size: texts per batch; None gives single texts.
        max_length: keep at most this many characters of each text.
        shuffle: shuffle the files (with a new order at every pass); False keeps the
            alphanumeric order.
        seed: the seed of the shuffling and of the validation split.
        validation_split: fraction of the files kept for validation.
        subset: "training", "validation" or "both" (returns `[training, validation]`);
            only with `validation_split`.
        follow_links: also read sub-folders that are symbolic links.
        format: accepted for Keras code: "tf" and "grain" both give a `BatchedDataset`.
        verbose: print how many files and classes were found.

    Returns:
        A `lamina.utils.BatchedDataset` of `(texts, labels)` (texts alone without labels):
        texts are numpy arrays of `str` of shape `(batch,)` (a `str` without batching),
        which lamina's `TextVectorization` reads. It has `class_names` and `file_paths`.

    Files are decoded as UTF-8 (undecodable bytes become U+FFFD). Keras yields bytes
    strings, and its `max_length` counts bytes; here it counts characters (the same for
    ASCII text).
    """
    if max_length is not None and (isinstance(max_length, bool) or not isinstance(
            max_length, int) or max_length < 0):
        raise ValueError(
            "`max_length` must be None or a non-negative integer. Received: "
            f"max_length={max_length!r}."
        )

    dataset_utils.check_format(format)
    return dataset_utils.dataset_from_directory(
        directory, labels, label_mode, class_names, ALLOWED_FORMATS, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose,
        functools.partial(read_text, max_length=max_length), collate=None, what="text files")


def read_text(path, max_length=None):
    """The text of a file (UTF-8), at most `max_length` characters."""
    # newline="": line endings stay as in the file (Keras reads the raw bytes).
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        text = f.read() if max_length is None else f.read(max_length)
    return text
