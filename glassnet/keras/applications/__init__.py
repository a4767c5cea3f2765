"""``keras.applications``: the Keras architectures, with Keras's module layout
(``keras.applications.vgg16.VGG16``, ``.preprocess_input``, ``.decode_predictions``) and the
model functions at the top level. Re-exports only."""

from glassnet.keras.applications import (
    densenet,
    efficientnet,
    imagenet_utils,
    mobilenet_v2,
    resnet,
    resnet50,
    vgg16,
    vgg19,
    xception,
)
from glassnet.keras.applications.densenet import DenseNet121, DenseNet169, DenseNet201
from glassnet.keras.applications.efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from glassnet.keras.applications.mobilenet_v2 import MobileNetV2
from glassnet.keras.applications.resnet import ResNet50, ResNet101, ResNet152
from glassnet.keras.applications.vgg16 import VGG16
from glassnet.keras.applications.vgg19 import VGG19
from glassnet.keras.applications.xception import Xception

__all__ = ["DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
           "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5",
           "EfficientNetB6", "EfficientNetB7", "MobileNetV2", "ResNet50", "ResNet101",
           "ResNet152", "VGG16", "VGG19", "Xception", "densenet", "efficientnet",
           "imagenet_utils", "mobilenet_v2", "resnet", "resnet50", "vgg16", "vgg19",
           "xception"]
