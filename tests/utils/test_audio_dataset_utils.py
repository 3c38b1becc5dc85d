"""audio_dataset_from_directory: WAV decoding (tf.audio.decode_wav's scaling), lengths,
padding, labels, errors and training."""

import pickle
import wave

import numpy as np
import pytest
import torch

import lamina
from lamina.utils.audio_dataset_utils import audio_dataset_from_directory, read_wav


def write_wav(path, samples, width=2, rate=8000):
    """`samples`: integers `(frames, channels)` in the range of `width` bytes (signed; 8-bit
    WAV stores them offset by 128)."""
    samples = np.asarray(samples, dtype=np.int64)
    if width == 1:
        raw = (samples + 128).astype(np.uint8).tobytes()
    elif width == 3:
        as_unsigned = (samples % (1 << 24)).astype(np.uint32)
        raw = np.stack([(as_unsigned >> s) & 0xFF for s in (0, 8, 16)], -1).astype(
            np.uint8).tobytes()
    else:
        raw = samples.astype({2: "<i2", 4: "<i4"}[width]).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(samples.shape[1])
        writer.setsampwidth(width)
        writer.setframerate(rate)
        writer.writeframes(raw)


@pytest.fixture
def folders(tmp_path):
    write_wav(tmp_path / "no" / "a.wav", [[0], [16384], [-32768], [32767]])
    write_wav(tmp_path / "no" / "b.wav", [[100], [-100]])
    write_wav(tmp_path / "yes" / "c.wav", [[1], [2], [3], [4], [5], [6]])
    (tmp_path / "yes" / "notes.txt").write_text("not audio")
    return tmp_path


def _load(folders, **kwargs):
    kwargs.setdefault("shuffle", False)
    kwargs.setdefault("verbose", False)
    return audio_dataset_from_directory(str(folders), **kwargs)


@pytest.mark.parametrize("width, values, scale", [
    (1, [[-128, 5], [127, 0]], 128.0),
    (2, [[-32768, 1], [32767, -2]], 32768.0),
    (3, [[-(2 ** 23), 7], [2 ** 23 - 1, -9]], 2.0 ** 23),
    (4, [[-(2 ** 31), 11], [2 ** 31 - 1, -13]], 2.0 ** 31),
])
def test_read_wav_scales_pcm_to_unit_range(tmp_path, width, values, scale):
    write_wav(tmp_path / "x.wav", values, width=width)
    audio = read_wav(tmp_path / "x.wav")
    assert audio.dtype == np.float32 and audio.shape == (2, 2)
    np.testing.assert_array_equal(audio, (np.asarray(values) / scale).astype(np.float32))


def test_batches_are_padded_to_the_longest_clip(folders):
    dataset = _load(folders, batch_size=2)
    assert dataset.class_names == ["no", "yes"] and len(dataset) == 2
    audio, labels = dataset[0]
    assert audio.shape == (2, 4, 1) and audio.dtype == torch.float32
    expected = np.array([[0, 16384, -32768, 32767], [100, -100, 0, 0]]) / 32768
    np.testing.assert_array_equal(audio[..., 0].numpy(), expected.astype(np.float32))
    assert labels.tolist() == [0, 0]
    audio, labels = dataset[1]
    assert audio.shape == (1, 6, 1) and labels.tolist() == [1]


def test_output_sequence_length_cuts_and_pads(folders):
    audio, _ = _load(folders, output_sequence_length=3)[0]
    assert audio.shape == (3, 3, 1)
    np.testing.assert_array_equal(audio[1, :, 0].numpy() * 32768, [100, -100, 0])
    np.testing.assert_array_equal(audio[2, :, 0].numpy() * 32768, [1, 2, 3])
    single = _load(folders, batch_size=None, label_mode=None)
    assert [tuple(single[i].shape) for i in range(3)] == [(4, 1), (2, 1), (6, 1)]


def test_errors(folders, tmp_path):
    with pytest.raises(ValueError, match="ragged=True is not supported"):
        _load(folders, ragged=True)
    with pytest.raises(ValueError, match="sampling_rate"):
        _load(folders, sampling_rate=0)
    with pytest.raises(ValueError, match="does not resample"):
        _load(folders, sampling_rate=16000)[0]
    assert _load(folders, sampling_rate=8000)[0][0].shape == (3, 6, 1)
    with pytest.raises(ValueError, match="output_sequence_length"):
        _load(folders, output_sequence_length=0)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    with pytest.raises(ValueError, match="integer PCM"):
        read_wav(tmp_path / "bad" / "broken.wav")


def test_subset_both_returns_a_tuple_and_fit_works(folders):
    parts = _load(folders, validation_split=0.34, subset="both", seed=0, shuffle=True,
                  output_sequence_length=6, label_mode="binary")
    assert isinstance(parts, tuple)  # as Keras's audio builder (the others return a list)
    train, val = parts
    assert len(train.file_paths) == 2 and len(val.file_paths) == 1
    model = lamina.Sequential([lamina.Input((6, 1)), lamina.layers.Flatten(),
                               lamina.layers.Dense(1)])
    model.compile("adam", lamina.losses.BinaryCrossentropy(from_logits=True))
    model.fit(train, validation_data=val, epochs=1, verbose=0)
    assert model.predict(val, verbose=0).shape == (1, 1)


def test_pickles_for_spawned_workers(folders):
    dataset = _load(folders, batch_size=2)
    assert torch.equal(pickle.loads(pickle.dumps(dataset))[0][0], dataset[0][0])
