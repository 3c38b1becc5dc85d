"""Transfer learning: classify flower photos with a MobileNetV2 pretrained on ImageNet.

The usual two-step recipe, as in the keras.io guide "Transfer learning & fine-tuning":

1. Load `keras.applications.MobileNetV2` without its classifier (`include_top=False`), freeze it
   (`base_model.trainable = False`), put a new classifier on top and train only that.
2. Fine-tune: unfreeze the base model and train everything for a few epochs with a very low
   learning rate.

The base model is called with `training=False`, so its BatchNormalization layers keep their
ImageNet statistics even while it is fine-tuned (updating them on a small data set would wreck
what the model learned). Images are read with `keras.utils.image_dataset_from_directory`
and augmented with random flips and rotations.

Run it on the real data (the TensorFlow flowers photos, 3,670 images in 5 classes, 220 MB,
downloaded once into ~/.keras/datasets/ with `keras.utils.get_file`; the ImageNet weights,
9 MB, likewise into ~/.keras/models/):

    python examples/transfer_learning.py                 # 10 + 10 epochs
    python examples/transfer_learning.py --data-dir /path/to/folder_of_class_folders

`--smoke` uses random initial weights (`weights=None`), 32x32 images and a small folder of
generated pictures (no download; a few seconds): the tests run it that way.
"""

import argparse
import os
import tempfile

import numpy as np

import lamina as keras
from lamina import layers

FLOWERS_URL = ("https://storage.googleapis.com/download.tensorflow.org/example_images/"
               "flower_photos.tgz")


def download_flowers():
    folder = keras.utils.get_file("flower_photos", origin=FLOWERS_URL, extract=True)
    return os.path.join(folder, "flower_photos")  # daisy/, dandelion/, roses/, ...


def write_synthetic_pictures(directory, per_class=24, seed=0):
    """Two classes of 48x48 PNG pictures: reddish ones and bluish ones, with noise."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for label, channel in (("red", 0), ("blue", 2)):
        os.makedirs(os.path.join(directory, label))
        for i in range(per_class):
            pixels = rng.integers(0, 120, size=(48, 48, 3))
            pixels[..., channel] += 135
            Image.fromarray(pixels.astype("uint8")).save(os.path.join(directory, label, f"{i}.png"))
    return directory


def build_model(num_classes, image_size, weights="imagenet", alpha=1.0):
    base_model = keras.applications.MobileNetV2(
        weights=weights,  # ImageNet weights, or None for random ones
        input_shape=image_size + (3,),
        include_top=False,  # leave out ImageNet's 1000-class classifier
        alpha=alpha,
    )
    base_model.trainable = False  # freeze it

    data_augmentation = keras.Sequential(
        [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)], name="augmentation"
    )
    inputs = keras.Input(shape=image_size + (3,))
    x = data_augmentation(inputs)  # random changes in fit only
    # MobileNetV2 expects pixel values in [-1, 1].
    x = layers.Rescaling(scale=1 / 127.5, offset=-1)(x)
    # training=False: the base model's BatchNormalization layers stay in inference mode,
    # also later when the base model is unfrozen for fine-tuning.
    x = base_model(x, training=False)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)  # regularize the new classifier
    outputs = layers.Dense(num_classes)(x)
    return keras.Model(inputs, outputs), base_model


def main(smoke=False, data_dir=None, epochs=None, fine_tune_epochs=None, verbose=1):
    keras.utils.set_random_seed(1337)
    with tempfile.TemporaryDirectory() as scratch:
        if smoke:
            data_dir = write_synthetic_pictures(os.path.join(scratch, "pictures"))
        elif data_dir is None:
            data_dir = download_flowers()
        return train(data_dir, smoke, epochs, fine_tune_epochs, verbose)


def train(data_dir, smoke, epochs, fine_tune_epochs, verbose):
    image_size = (32, 32) if smoke else (160, 160)
    train_ds, validation_ds = keras.utils.image_dataset_from_directory(
        data_dir, image_size=image_size, batch_size=16 if smoke else 32,
        validation_split=0.2, subset="both", seed=1337,
    )
    class_names = train_ds.class_names
    print("classes:", class_names)

    model, base_model = build_model(len(class_names), image_size,
                                    weights=None if smoke else "imagenet",
                                    alpha=0.35 if smoke else 1.0)
    model.summary(show_trainable=True)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    # 1. Train the new classifier on top of the frozen base model.
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss, metrics=["accuracy"])
    print("Fitting the top layer of the model")
    top_history = model.fit(train_ds, epochs=epochs or (2 if smoke else 10),
                            validation_data=validation_ds, verbose=verbose)

    # 2. Fine-tune the whole model with a low learning rate. Recompile after changing
    # `trainable`, so that the optimizer sees the newly trainable weights.
    base_model.trainable = True
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss=loss, metrics=["accuracy"])
    print("Fitting the end-to-end model")
    fine_tune_history = model.fit(train_ds, epochs=fine_tune_epochs or (1 if smoke else 10),
                                  validation_data=validation_ds, verbose=verbose)

    loss_value, accuracy = model.evaluate(validation_ds, verbose=0)
    print(f"Validation accuracy: {accuracy:.3f}")
    return model, base_model, (top_history, fine_tune_history)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny generated data, no download")
    parser.add_argument("--data-dir", default=None,
                        help="a folder with one sub-folder of images per class")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--fine-tune-epochs", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(smoke=args.smoke, data_dir=args.data_dir, epochs=args.epochs,
         fine_tune_epochs=args.fine_tune_epochs, verbose=args.verbose)
