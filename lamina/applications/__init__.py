"""`lamina.applications`: the Keras Applications (VGG, ResNet, Inception, MobileNet, ...).

Every name of `keras.applications` resolves lazily (PEP 562): `import lamina.applications`
builds nothing and imports no architecture until one is asked for, e.g.
`lamina.applications.ResNet50(weights=None)` or `lamina.applications.resnet50.preprocess_input`.

Each family lives in the module Keras gives it (`resnet`, `vgg16`, `mobilenet_v2`, ...), so
`from lamina.applications.resnet50 import preprocess_input` works as in Keras.
"""

import importlib

# The submodules of `keras.applications`, each a module of this package.
_SUBMODULES = {
    "convnext", "densenet", "efficientnet", "efficientnet_v2", "imagenet_utils",
    "inception_resnet_v2", "inception_v3", "mobilenet", "mobilenet_v2", "mobilenet_v3",
    "nasnet", "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "xception",
}

# Each model function of `keras.applications`, and the module that defines it.
_MODELS = {
    "convnext": ["ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
                 "ConvNeXtXLarge"],
    "densenet": ["DenseNet121", "DenseNet169", "DenseNet201"],
    "efficientnet": [f"EfficientNetB{i}" for i in range(8)],
    "efficientnet_v2": ["EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2",
                        "EfficientNetV2B3", "EfficientNetV2S", "EfficientNetV2M",
                        "EfficientNetV2L"],
    "inception_resnet_v2": ["InceptionResNetV2"],
    "inception_v3": ["InceptionV3"],
    "mobilenet": ["MobileNet"],
    "mobilenet_v2": ["MobileNetV2"],
    "mobilenet_v3": ["MobileNetV3Small", "MobileNetV3Large"],
    "nasnet": ["NASNetMobile", "NASNetLarge"],
    "resnet": ["ResNet50", "ResNet101", "ResNet152"],
    "resnet_v2": ["ResNet50V2", "ResNet101V2", "ResNet152V2"],
    "vgg16": ["VGG16"],
    "vgg19": ["VGG19"],
    "xception": ["Xception"],
}

_NAMES = {name: module for module, names in _MODELS.items() for name in names}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"lamina.applications.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"lamina.applications.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'lamina.applications' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES))
