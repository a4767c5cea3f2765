"""Keras's application architectures (VGG, ResNet, MobileNetV2, Xception, DenseNet,
EfficientNet), built with glassnet's functional API under Keras's layer names, so Keras's
published ImageNet weight files load into them. ``glassnet.keras.applications`` re-exports
them with Keras's module layout."""

from glassnet.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from glassnet.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from glassnet.applications.mobilenet_v2 import MobileNetV2
from glassnet.applications.resnet import ResNet50, ResNet101, ResNet152
from glassnet.applications.vgg import VGG16, VGG19
from glassnet.applications.xception import Xception

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
           "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "MobileNetV2", "ResNet50", "ResNet101",
           "ResNet152", "VGG16", "VGG19", "Xception"]
