"""`audio_dataset_from_directory`: a dataset of audio clips (and labels) read from class
folders of `.wav` files.

WAV files are decoded with Python's own `wave` module: integer PCM of 8, 16, 24 or 32 bits
per sample, scaled to [-1, 1) as `tf.audio.decode_wav` scales 16-bit audio (x / 32768).
"""

import functools
import wave

import numpy as np
import torch

from lamina.registry.export import keras_export
from lamina.utils import batched_dataset, dataset_utils

ALLOWED_FORMATS = (".wav",)
_PCM_SCALE = {1: 2.0 ** 7, 2: 2.0 ** 15, 3: 2.0 ** 23, 4: 2.0 ** 31}


@keras_export("utils.audio_dataset_from_directory")
def audio_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, batch_size=32, sampling_rate=None,
                                 output_sequence_length=None, ragged=False, shuffle=True,
                                 seed=None, validation_split=None, subset=None,
                                 follow_links=False, verbose=True):
    """A dataset of batches of audio clips read from `.wav` files in a directory.

    With the layout

    ```
    main_directory/
        class_a/
            a_audio_1.wav
            a_audio_2.wav
        class_b/
            b_audio_1.wav
    ```

    `audio_dataset_from_directory(main_directory)` yields batches of audio with the labels
    0 (`class_a`) and 1 (`class_b`).

    Args:
        directory: the folder holding the `.wav` files (in class sub-folders when
            `labels="inferred"`).
        labels: "inferred" (a class per sub-folder, in alphanumeric order), None (audio
            only) or a list of integer labels, one per file in the order of `os.walk` with
            sorted folders and files.
        label_mode: "int" (int32 `(batch,)`), "categorical" (one-hot float32
            `(batch, num_classes)`), "binary" (float32 `(batch, 1)`, two classes only) or
            None (no labels).
        class_names: with `labels="inferred"`, the sub-folders to read, in label order.
        batch_size: clips per batch; None gives single clips.
        sampling_rate: the expected sampling rate in Hz. lamina does not resample: a file
            recorded at another rate raises an error when it is read (resample the files
            beforehand, e.g. with `torchaudio.functional.resample`). None accepts any rate.
        output_sequence_length: cut or zero-pad every clip to this many samples. With None,
            each batch is zero-padded to its longest clip.
        ragged: must be False: lamina has no ragged tensors (see `output_sequence_length`,
            or `batch_size=None` for clips of their own length).
        shuffle: shuffle the files (with a new order at every pass); False keeps the
            alphanumeric order.
        seed: the seed of the shuffling and of the validation split.
        validation_split: fraction of the files kept for validation.
        subset: "training", "validation" or "both" (returns `(training, validation)`);
            only with `validation_split`.
        follow_links: also read sub-folders that are symbolic links.
        verbose: print how many files and classes were found.

    Returns:
        A `lamina.utils.BatchedDataset` of `(audio, labels)` (audio alone without labels),
        audio float32 of shape `(batch, samples, channels)`. It has `class_names` and
        `file_paths`.

    Differences from Keras: Keras decodes only 16-bit PCM (with TensorFlow) and resamples
    with tensorflow-io when `sampling_rate` differs; `ragged=True` is not supported.
    """
    if ragged:
        raise ValueError(
            "ragged=True is not supported: lamina has no ragged tensors. Pass "
            "`output_sequence_length=` to cut or pad every clip to one length, keep "
            "ragged=False (each batch is padded to its longest clip), or use batch_size=None "
            "for clips of their own length."
        )
    if sampling_rate is not None and (isinstance(sampling_rate, bool) or not isinstance(
            sampling_rate, int) or sampling_rate <= 0):
        raise ValueError(
            "`sampling_rate` must be None or a positive integer (Hz). Received: "
            f"sampling_rate={sampling_rate!r}."
        )
    if output_sequence_length is not None:
        output_sequence_length = batched_dataset._check_positive(output_sequence_length,
                                                                 "output_sequence_length")

    load_file = functools.partial(read_wav, sampling_rate=sampling_rate,
                                  output_sequence_length=output_sequence_length)
    parts = dataset_utils.dataset_from_directory(
        directory, labels, label_mode, class_names, ALLOWED_FORMATS, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose, load_file, collate=pad_and_stack,
        what="audio files")
    return tuple(parts) if isinstance(parts, list) else parts


def read_wav(path, sampling_rate=None, output_sequence_length=None):
    """A PCM `.wav` file -> float32 numpy array `(samples, channels)` in [-1, 1)."""
    try:
        with wave.open(str(path), "rb") as reader:
            width, channels = reader.getsampwidth(), reader.getnchannels()
            rate, frames = reader.getframerate(), reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as error:
        raise ValueError(
            f"Could not read {path!r} as a WAV file of integer PCM samples ({error}). Only "
            "8/16/24/32-bit integer PCM is supported: convert other files (e.g. float WAV, "
            "mp3) beforehand."
        ) from None
    if sampling_rate is not None and rate != sampling_rate:
        raise ValueError(
            f"{path!r} is sampled at {rate} Hz, but sampling_rate={sampling_rate} was asked "
            "for, and lamina does not resample audio. Resample the files beforehand (e.g. "
            "with torchaudio.functional.resample) or pass sampling_rate=None."
        )
    audio = _pcm_to_float(frames, width).reshape(-1, channels)
    if output_sequence_length is not None:
        audio = _fit_length(audio, output_sequence_length)
    return audio


def _pcm_to_float(frames, width):
    raw = np.frombuffer(frames, dtype=np.uint8)
    if width == 1:  # 8-bit WAV is unsigned
        values = raw.astype(np.float32) - 128.0
    elif width == 3:  # little-endian 24-bit: widen each sample to 32 bits
        triples = raw.reshape(-1, 3).astype(np.int32)
        values = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        values = np.where(values >= 2 ** 23, values - 2 ** 24, values)
    else:
        values = np.frombuffer(frames, dtype={2: "<i2", 4: "<i4"}[width])
    return (np.asarray(values, dtype=np.float64) / _PCM_SCALE[width]).astype(np.float32)


def _fit_length(audio, length):
    if len(audio) >= length:
        return audio[:length]
    return np.pad(audio, ((0, length - len(audio)), (0, 0)))


def pad_and_stack(elements):
    """Batch clips of different lengths: zero-pad each to the longest, then stack (labels
    are stacked as usual)."""
    if isinstance(elements[0], tuple):
        clips = pad_and_stack([element[0] for element in elements])
        rest = batched_dataset.stack_elements([element[1:] for element in elements])
        return (clips,) + tuple(rest)
    longest = max(clip.shape[0] for clip in elements)
    return torch.stack([
        torch.nn.functional.pad(clip, (0, 0, 0, longest - clip.shape[0])) for clip in elements
    ])
