"""Weather forecasting: the temperature 12 hours ahead from the last 5 days, with an LSTM.

Following the keras.io example "Timeseries forecasting for weather prediction": the Jena
Climate record (14 measurements every 10 minutes, 2009-2016) is cut to 7 features and
normalized with the training part's statistics; `keras.utils.timeseries_dataset_from_array`
makes windows of the past 720 steps (5 days), sampled once per hour, each labelled with the
temperature 72 steps (12 hours) after the window; an LSTM of 32 units reads each window.
`EarlyStopping` and `ModelCheckpoint` watch the validation loss.

Run it on the real data (13 MB zip, downloaded once into ~/.keras/datasets/ with
`keras.utils.get_file`):

    python examples/timeseries_forecasting.py             # 10 epochs
    python examples/timeseries_forecasting.py --epochs 2

`--smoke` trains on a few thousand steps of a generated daily cycle, with shorter windows (no
download; a few seconds): the tests run it that way.
"""

import argparse
import os
import tempfile
import zipfile

import numpy as np

import lamina as keras
from lamina import layers

DATA_URL = ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
            "jena_climate_2009_2016.csv.zip")
# Columns of the CSV after "Date Time": pressure (mbar), temperature (degC), potential
# temperature (K), dew point (degC), relative humidity (%), saturation / actual vapour pressure
# and deficit (mbar), specific humidity (g/kg), water vapour concentration (mmol/mol), air
# density (g/m**3), wind speed and maximum wind speed (m/s), wind direction (deg).
SELECTED = [0, 1, 5, 7, 8, 10, 11]  # pressure, temperature, VPmax, VPdef, sh, density, wind
TEMPERATURE = 1  # position of the temperature among the selected features


def load_jena_climate():
    """The 7 selected features of the whole record, as a float32 array of shape (steps, 7)."""
    zip_path = keras.utils.get_file(origin=DATA_URL, fname="jena_climate_2009_2016.csv.zip")
    with zipfile.ZipFile(zip_path) as archive, archive.open("jena_climate_2009_2016.csv") as f:
        # Column 0 is the date: read the 14 numeric columns after it.
        table = np.loadtxt(f, delimiter=",", skiprows=1, usecols=range(1, 15), dtype="float32")
    return table[:, SELECTED]


def synthetic_climate(steps=4000, seed=0):
    """A stand-in with the same 7 columns: a daily cycle (144 steps a day), a slow drift and
    noise; every column is a noisy function of the temperature."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    temperature = 10 + 8 * np.sin(2 * np.pi * t / 144) + 3 * np.sin(2 * np.pi * t / 1000)
    temperature += rng.normal(0, 0.5, steps)
    columns = [990 - 0.5 * temperature, temperature, 12 + 0.8 * temperature,
               4 + 0.3 * temperature, 6 + 0.2 * temperature, 1250 - 4 * temperature,
               np.abs(rng.normal(2, 1, steps))]
    return np.stack(columns, axis=1).astype("float32")


def normalize(data, train_split):
    """Standardize every feature with the mean and deviation of the training part only."""
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


def make_datasets(features, past, future, step, batch_size, split_fraction=0.715):
    """Training and validation datasets of (window, temperature `future` steps after it)."""
    train_split = int(split_fraction * len(features))
    features = normalize(features, train_split)
    sequence_length = past // step
    # A window starting at step i covers [i, i + past); its label is at i + past + future.
    offset = past + future
    x_train = features[:train_split]
    y_train = features[offset:offset + train_split, TEMPERATURE]
    dataset_train = keras.utils.timeseries_dataset_from_array(
        x_train, y_train, sequence_length=sequence_length, sampling_rate=step,
        batch_size=batch_size,
    )
    x_val = features[train_split:len(features) - offset]
    y_val = features[train_split + offset:, TEMPERATURE]
    dataset_val = keras.utils.timeseries_dataset_from_array(
        x_val, y_val, sequence_length=sequence_length, sampling_rate=step,
        batch_size=batch_size,
    )
    return dataset_train, dataset_val


def build_model(sequence_length, num_features, learning_rate=0.001):
    inputs = keras.Input(shape=(sequence_length, num_features))
    lstm_out = layers.LSTM(32)(inputs)
    outputs = layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def main(smoke=False, epochs=None, verbose=1):
    keras.utils.set_random_seed(1337)
    if smoke:  # four hours of history, one hour ahead, a sample every 2 steps (20 minutes)
        features, past, future, step, batch_size = synthetic_climate(), 24, 6, 2, 64
    else:      # five days of history, twelve hours ahead, one sample an hour
        features, past, future, step, batch_size = load_jena_climate(), 720, 72, 6, 256
    dataset_train, dataset_val = make_datasets(features, past, future, step, batch_size)

    for batch in dataset_train.take(1):
        inputs, targets = batch
    print("Input shape:", tuple(inputs.shape))
    print("Target shape:", tuple(targets.shape))

    model = build_model(inputs.shape[1], inputs.shape[2])
    model.summary()
    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = os.path.join(scratch, "model_checkpoint.weights.h5")
        callbacks = [
            keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5),
            keras.callbacks.ModelCheckpoint(checkpoint, monitor="val_loss", save_weights_only=True,
                                            save_best_only=True, verbose=verbose),
        ]
        history = model.fit(dataset_train, epochs=epochs or (4 if smoke else 10),
                            validation_data=dataset_val, callbacks=callbacks, verbose=verbose)
        model.load_weights(checkpoint)  # the best epoch's weights

    for x, y in dataset_val.take(3):
        prediction = model.predict(x, verbose=0)[0, 0]
        print(f"true future temperature (normalized): {float(y[0]):.3f}, "
              f"predicted: {prediction:.3f}")
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny generated data, no download")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(smoke=args.smoke, epochs=args.epochs, verbose=args.verbose)
