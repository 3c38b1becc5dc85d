"""VGG19: VGG16 with a fourth convolution in blocks 3, 4 and 5 (see `vgg16.build_vgg`)."""

from lamina.applications import imagenet_utils
from lamina.applications import model_utils
from lamina.applications.vgg16 import build_vgg


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    return build_vgg((2, 2, 4, 4, 4), "vgg19", include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)


model_utils.document(VGG19, """Instantiates the VGG19 model (16 convolutions, 3 dense layers).

    Default input size 224x224. Preprocess inputs with `lamina.applications.vgg19.preprocess_input`
    (RGB to BGR, then each channel zero-centered on the ImageNet mean, no scaling).
""")


def preprocess_input(x, data_format=None):
    """Preprocesses images for VGG19: RGB to BGR, then subtracts the ImageNet mean of each
    channel ("caffe" mode of `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
