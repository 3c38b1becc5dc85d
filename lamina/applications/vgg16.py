"""VGG16 (Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015), with Keras's layer names so Keras's weight files load.

`build_vgg` is shared with VGG19: the two differ only in the number of convolutions per block.
"""

from lamina import config
from lamina.applications import imagenet_utils
from lamina.applications import model_utils

_BASE_URL = "https://storage.googleapis.com/tensorflow/keras-applications/"
WEIGHTS = {  # variant -> (include_top=True file and hash, include_top=False file and hash)
    "vgg16": (
        ("vgg16_weights_tf_dim_ordering_tf_kernels.h5", "64373286793e3c8b2b4e3219cbf3544b"),
        ("vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
    ),
    "vgg19": (
        ("vgg19_weights_tf_dim_ordering_tf_kernels.h5", "cbe5617147190e668d6c5d5026f83318"),
        ("vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5", "253f8cb515780f3b799900260a226db6"),
    ),
}
_FILTERS = (64, 128, 256, 512, 512)


def build_vgg(convs_per_block, variant, include_top, weights, input_tensor, input_shape,
              pooling, classes, classifier_activation, name):
    """A VGG network: five blocks of 3x3 convolutions, each followed by 2x2 max pooling, then
    (with the top) two 4096-unit dense layers and the classifier."""
    from lamina import layers

    model_utils.check_arguments(weights, include_top, classes, pooling)
    input_shape = imagenet_utils.obtain_input_shape(
        input_shape, default_size=224, min_size=32, data_format=config.image_data_format(),
        require_flatten=include_top, weights=weights,
    )
    img_input = model_utils.image_input(input_tensor, input_shape)

    x = img_input
    for block, (filters, convs) in enumerate(zip(_FILTERS, convs_per_block), start=1):
        for conv in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{conv}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)

    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = model_utils.apply_pooling(x, pooling)

    model = model_utils.functional_model(input_tensor, img_input, x, name)
    file_name, file_hash = WEIGHTS[variant][0 if include_top else 1]
    model_utils.load_weights(model, weights, file_name, f"{_BASE_URL}{variant}/{file_name}",
                             file_hash)
    return model


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    return build_vgg((2, 2, 3, 3, 3), "vgg16", include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)


model_utils.document(VGG16, """Instantiates the VGG16 model (13 convolutions, 3 dense layers).

    Default input size 224x224. Preprocess inputs with `lamina.applications.vgg16.preprocess_input`
    (RGB to BGR, then each channel zero-centered on the ImageNet mean, no scaling).
""")


def preprocess_input(x, data_format=None):
    """Preprocesses images for VGG16: RGB to BGR, then subtracts the ImageNet mean of each
    channel ("caffe" mode of `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
