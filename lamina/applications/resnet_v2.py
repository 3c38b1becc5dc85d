"""ResNet50V2, ResNet101V2, ResNet152V2 (He et al., "Identity Mappings in Deep Residual
Networks", ECCV 2016): pre-activation ResNets built by `resnet.ResNet`."""

from lamina.applications import imagenet_utils
from lamina.applications import model_utils
from lamina.applications import resnet


def _stages_v2(blocks):
    """The stack_fn of a version-2 ResNet with `blocks` blocks in each of its four stages."""
    def stack_fn(x):
        x = resnet.stack_residual_blocks_v2(x, 64, blocks[0], name="conv2")
        x = resnet.stack_residual_blocks_v2(x, 128, blocks[1], name="conv3")
        x = resnet.stack_residual_blocks_v2(x, 256, blocks[2], name="conv4")
        return resnet.stack_residual_blocks_v2(x, 512, blocks[3], stride1=1, name="conv5")
    return stack_fn


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax", name="resnet50v2"):
    return resnet.ResNet(_stages_v2((3, 4, 6, 3)), preact=True, use_bias=True,
                         include_top=include_top, weights=weights, input_tensor=input_tensor,
                         input_shape=input_shape, pooling=pooling, classes=classes,
                         classifier_activation=classifier_activation, name=name,
                         weights_name="resnet50v2")


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    return resnet.ResNet(_stages_v2((3, 4, 23, 3)), preact=True, use_bias=True,
                         include_top=include_top, weights=weights, input_tensor=input_tensor,
                         input_shape=input_shape, pooling=pooling, classes=classes,
                         classifier_activation=classifier_activation, name=name,
                         weights_name="resnet101v2")


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    return resnet.ResNet(_stages_v2((3, 8, 36, 3)), preact=True, use_bias=True,
                         include_top=include_top, weights=weights, input_tensor=input_tensor,
                         input_shape=input_shape, pooling=pooling, classes=classes,
                         classifier_activation=classifier_activation, name=name,
                         weights_name="resnet152v2")


_SUMMARY = """Instantiates the {name} architecture ({depth} layers, pre-activation ResNet).

    Default input size 224x224. Preprocess inputs with
    `lamina.applications.resnet_v2.preprocess_input` (scales pixels to [-1, 1]).
"""
for _function, _depth in ((ResNet50V2, 50), (ResNet101V2, 101), (ResNet152V2, 152)):
    model_utils.document(_function, _SUMMARY.format(name=_function.__name__, depth=_depth))


def preprocess_input(x, data_format=None):
    """Preprocesses images for ResNetV2: scales pixels from [0, 255] to [-1, 1] ("tf" mode of
    `lamina.applications.imagenet_utils.preprocess_input`)."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    return imagenet_utils.decode_predictions(preds, top=top)


decode_predictions.__doc__ = imagenet_utils.decode_predictions.__doc__
