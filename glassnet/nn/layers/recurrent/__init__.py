"""Recurrent layers with Keras semantics: the cells, ``RNN(cell)``, ``SimpleRNN``, ``LSTM``,
``GRU``, ``ConvLSTM1D/2D/3D``, and the wrappers ``Bidirectional`` and ``TimeDistributed`` (with
``RepeatVector``).
"""

from glassnet.nn.layers.recurrent.base import RNN
from glassnet.nn.layers.recurrent.bidirectional import Bidirectional
from glassnet.nn.layers.recurrent.cells import GRUCell, LSTMCell, SimpleRNNCell
from glassnet.nn.layers.recurrent.conv_lstm import (
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM2DCell,
    ConvLSTM3D,
)
from glassnet.nn.layers.recurrent.gru import GRU
from glassnet.nn.layers.recurrent.lstm import LSTM
from glassnet.nn.layers.recurrent.simple_rnn import SimpleRNN
from glassnet.nn.layers.recurrent.stacked import StackedRNNCells
from glassnet.nn.layers.recurrent.time_distributed import RepeatVector, TimeDistributed

__all__ = [
    "GRU", "LSTM", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM2DCell",
    "ConvLSTM3D", "GRUCell", "LSTMCell", "RepeatVector", "SimpleRNN", "SimpleRNNCell",
    "StackedRNNCells", "TimeDistributed",
]
