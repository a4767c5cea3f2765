"""Layers with Keras semantics."""

from glassnet.nn.layer import Layer
from glassnet.nn.layers.activation import ELU, LeakyReLU, ReLU, Softmax
from glassnet.nn.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from glassnet.nn.layers.conv1d_transpose import Conv1DTranspose
from glassnet.nn.layers.convolutional import (
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
)
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
from glassnet.nn.layers.embedding import Embedding, Masking
from glassnet.nn.layers.merge import Add, Concatenate, add, concatenate
from glassnet.nn.layers.normalization import BatchNormalization, LayerNormalization
from glassnet.nn.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
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
    ConvLSTM2D,
    ConvLSTM2DCell,
    GRUCell,
    LSTMCell,
    RepeatVector,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from glassnet.nn.layers.reshaping import Cropping2D, SpatialDropout2D, UpSampling2D, ZeroPadding2D
from glassnet.nn.layers.text import IntegerLookup, StringLookup, TextVectorization

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
    "GRU", "LSTM", "RNN", "Bidirectional", "ConvLSTM2D", "ConvLSTM2DCell", "GRUCell",
    "LSTMCell", "RepeatVector", "SimpleRNN", "SimpleRNNCell", "StackedRNNCells",
    "TimeDistributed", "AdditiveAttention", "Attention", "MultiHeadAttention",
    "Conv1DTranspose", "Convolution1DTranspose",
]
# Keras's short aliases
Convolution2D, MaxPool2D, AvgPool2D, MaxPool1D, AvgPool1D = (Conv2D, MaxPooling2D,
                                                             AveragePooling2D, MaxPooling1D,
                                                             AveragePooling1D)
Convolution1DTranspose = Conv1DTranspose
