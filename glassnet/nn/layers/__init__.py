"""Layers with Keras semantics."""

from glassnet.nn.input_spec import InputSpec
from glassnet.nn.layer import Layer
from glassnet.nn.layers.activation import ELU, LeakyReLU, PReLU, ReLU, Softmax
from glassnet.nn.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from glassnet.nn.layers.attention import (
    AdditiveAttention,
    Attention,
    GroupedQueryAttention,
    GroupQueryAttention,
    MultiHeadAttention,
)
from glassnet.nn.layers.category_encoding import CategoryEncoding
from glassnet.nn.layers.color_augmentation import (
    AutoContrast,
    Equalization,
    RandomColorDegeneration,
    RandomColorJitter,
    RandomGrayscale,
    RandomHue,
    RandomInvert,
    RandomPosterization,
    RandomSaturation,
    RandomSharpness,
    Solarization,
)
from glassnet.nn.layers.conv1d_transpose import Conv1DTranspose
from glassnet.nn.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
from glassnet.nn.layers.convolutional1d_variants import DepthwiseConv1D, SeparableConv1D
from glassnet.nn.layers.convolutional3d import Conv3D, Conv3DTranspose
from glassnet.nn.layers.core import (
    Activation,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    Lambda,
    Permute,
    Reshape,
)
from glassnet.nn.layers.discretization import Discretization
from glassnet.nn.layers.einsum_dense import EinsumDense
from glassnet.nn.layers.embedding import Embedding, Masking, ReversibleEmbedding
from glassnet.nn.layers.feature_preprocessing import Normalization
from glassnet.nn.layers.geometric_augmentation import (
    RandomElasticTransform,
    RandomErasing,
    RandomGaussianBlur,
    RandomPerspective,
    RandomShear,
)
from glassnet.nn.layers.group_normalization import GroupNormalization
from glassnet.nn.layers.hashing import HashedCrossing, Hashing
from glassnet.nn.layers.merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from glassnet.nn.layers.mixing_augmentation import (
    AugMix,
    CutMix,
    MaxNumBoundingBoxes,
    MixUp,
    RandAugment,
)
from glassnet.nn.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from glassnet.nn.layers.normalization import (
    BatchNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from glassnet.nn.layers.pipeline import Pipeline
from glassnet.nn.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from glassnet.nn.layers.preprocessing import (
    CenterCrop,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
)
from glassnet.nn.layers.recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM2DCell,
    ConvLSTM3D,
    GRUCell,
    LSTMCell,
    RepeatVector,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from glassnet.nn.layers.regularization import ActivityRegularization, Identity
from glassnet.nn.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from glassnet.nn.layers.spectrogram import MelSpectrogram, STFTSpectrogram
from glassnet.nn.layers.text import IntegerLookup, StringLookup, TextVectorization
from glassnet.nn.layers.wrappers import SpectralNormalization, Wrapper

__all__ = [
    "ELU", "Activation", "Add", "AveragePooling1D", "AveragePooling2D", "BatchNormalization",
    "Concatenate", "Conv1D", "Conv2D", "Conv2DTranspose", "Cropping2D", "Dense",
    "DepthwiseConv2D", "Dropout", "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Input", "InputLayer", "Lambda", "Layer",
    "LayerNormalization", "LeakyReLU", "MaxPooling1D", "MaxPooling2D", "Permute", "ReLU",
    "Reshape", "SeparableConv2D", "Softmax", "SpatialDropout2D", "UpSampling2D",
    "ZeroPadding2D", "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop",
    "RandomFlip", "RandomRotation", "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
    "Embedding", "Masking", "Convolution2D", "MaxPool2D", "AvgPool2D", "MaxPool1D",
    "AvgPool1D", "add", "concatenate", "IntegerLookup", "StringLookup", "TextVectorization",
    "GRU", "LSTM", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
    "ConvLSTM2DCell", "GRUCell", "LSTMCell", "RepeatVector", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells", "TimeDistributed", "AdditiveAttention", "Attention", "MultiHeadAttention",
    "GroupQueryAttention", "GroupedQueryAttention", "InputSpec", "Pipeline",
    "ReversibleEmbedding", "SpectralNormalization", "Wrapper",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D", "DepthwiseConv1D",
    "SeparableConv1D", "Conv3D", "Conv3DTranspose", "AveragePooling3D", "GlobalAveragePooling3D",
    "GlobalMaxPooling3D", "MaxPooling3D", "Cropping1D", "Cropping3D", "SpatialDropout1D",
    "SpatialDropout3D", "UpSampling1D", "UpSampling3D", "ZeroPadding1D", "ZeroPadding3D",
    "Convolution1D", "Convolution3D", "Convolution2DTranspose", "Convolution3DTranspose",
    "SeparableConvolution1D", "SeparableConvolution2D", "MaxPool3D", "AvgPool3D",
    "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D", "GlobalMaxPool1D",
    "GlobalMaxPool2D", "GlobalMaxPool3D", "CategoryEncoding", "Discretization", "EinsumDense",
    "HashedCrossing", "Hashing", "Normalization", "PReLU", "GroupNormalization",
    "UnitNormalization", "RMSNormalization", "Subtract", "Multiply", "Average", "Maximum",
    "Minimum", "Dot", "subtract", "multiply", "average", "maximum", "minimum", "dot",
    "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity",
    "AutoContrast", "Equalization", "RandomColorDegeneration", "RandomColorJitter",
    "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPosterization", "RandomSaturation",
    "RandomSharpness", "Solarization", "RandomElasticTransform", "RandomErasing",
    "RandomGaussianBlur", "RandomPerspective", "RandomShear", "AugMix", "CutMix",
    "MaxNumBoundingBoxes", "MixUp", "RandAugment", "MelSpectrogram", "STFTSpectrogram",
    "Conv1DTranspose", "Convolution1DTranspose",
]
# Keras's short aliases
Convolution2D, MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D = (Conv2D, MaxPooling2D,
                                                             AveragePooling2D, MaxPooling1D,
                                                             AveragePooling1D)
Convolution1DTranspose = Conv1DTranspose
Convolution1D, Convolution3D = Conv1D, Conv3D
Convolution2DTranspose, Convolution3DTranspose = Conv2DTranspose, Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)
