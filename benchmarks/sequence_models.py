"""Sequence models on text-shaped data, glassnet beside PyTorch and Keras (TensorFlow), each
in its own process, one table at the end.

    python3 benchmarks/sequence_models.py [--samples 25000] [--epochs 1] [--threads 2]
        [--only glassnet,torch,keras] [--keras-python /path/to/venv-with-tensorflow/bin/python]

Data: ``--samples`` random sequences of 200 token ids from a 20,000-word vocabulary with
binary labels (IMDB's shape; the speed does not depend on the words).

(a) The bidirectional LSTM classifier of Keras's IMDB example: Embedding 128 ->
    Bidirectional(LSTM 64) -> Dense 1 sigmoid; Adam, binary cross-entropy, batch 32.
(b) A 2-block transformer encoder classifier: token + position embeddings (d_model 64) ->
    2 x [MultiHeadAttention (4 heads of 16) + residual + LayerNorm, Dense 128 relu -> Dense 64
    + residual + LayerNorm] (post-norm, dropout 0.1) -> GlobalAveragePooling1D -> Dense 1
    sigmoid; batch 32.
(c) One-sample inference latency of both: ``model(x)`` on one sequence.

Epoch times: glassnet and Keras inside one fit call (the epochs after the first, which
includes Keras's tracing); PyTorch an idiomatic loop (randperm, slicing, zero_grad, backward,
step) after a warm-up of a few batches. The Keras worker runs under ``--keras-python`` (an
interpreter with TensorFlow; glassnet's own environment need not have it).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from mlp_training import (  # noqa: E402
    fit_epoch_times,
    latency,
    samples_benchmark_main,
    tensorflow_keras,
)

VOCAB, LENGTH, BATCH = 20000, 200, 32
D_MODEL, HEADS, FF = 64, 4, 128


def text_data(samples):
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCAB, (samples, LENGTH)).astype(np.int32)
    y = rng.integers(0, 2, samples).astype(np.float32)
    return x, y


# -- the Keras models, written once for glassnet's keras and TensorFlow's -----------------

def keras_bilstm(keras):
    L = keras.layers
    model = keras.Sequential([keras.Input((LENGTH,), dtype="int32"), L.Embedding(VOCAB, 128),
                              L.Bidirectional(L.LSTM(64)), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def keras_transformer(keras):
    L = keras.layers

    class TokenAndPosition(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tokens = L.Embedding(VOCAB, D_MODEL)
            self.positions = L.Embedding(LENGTH, D_MODEL)

        def call(self, x):
            return self.tokens(x) + self.positions(keras.ops.arange(LENGTH))

    inputs = keras.Input((LENGTH,), dtype="int32")
    h = TokenAndPosition()(inputs)
    for _ in range(2):
        attended = L.MultiHeadAttention(HEADS, D_MODEL // HEADS, dropout=0.1)(h, h)
        h = L.LayerNormalization(epsilon=1e-5)(h + L.Dropout(0.1)(attended))
        ff = L.Dense(D_MODEL)(L.Dense(FF, activation="relu")(h))
        h = L.LayerNormalization(epsilon=1e-5)(h + L.Dropout(0.1)(ff))
    h = L.GlobalAveragePooling1D()(h)
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def run_keras_api(keras, args, call_repeats):
    x, y = text_data(args.samples)
    out = {}
    for name, make in (("bilstm", keras_bilstm), ("transformer", keras_transformer)):
        keras.utils.set_random_seed(0)
        model = make(keras)
        out[name] = fit_epoch_times(model, x, y, BATCH, args.epochs, keras.callbacks.Callback)
        sample = x[:1]
        out[f"{name}_call_ms"] = latency(lambda m=model, s=sample: m(s), repeats=call_repeats)
    return out


def run_glassnet(args):
    from glassnet import keras

    return run_keras_api(keras, args, call_repeats=100)


def run_keras(args):
    return run_keras_api(tensorflow_keras(args.threads), args, call_repeats=50)


# -- PyTorch -----------------------------------------------------------------------------

def run_torch(args):
    import torch
    from torch import nn

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y = text_data(args.samples)
    X, Y = torch.from_numpy(x).long(), torch.from_numpy(y)

    class BiLSTM(nn.Module):
        """The idiomatic classifier reads the final states h_n. ``from_outputs`` reads the
        same numbers from the output sequence instead (the forward half's last step, the
        backward half's first): torch 2.13's CPU backward is several times faster that way,
        so both are measured."""

        def __init__(self, from_outputs=False):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 128)
            self.lstm = nn.LSTM(128, 64, batch_first=True, bidirectional=True)
            self.out = nn.Linear(128, 1)
            self.from_outputs = from_outputs

        def forward(self, ids):
            seq, (h, _) = self.lstm(self.embed(ids))
            last = (torch.cat([seq[:, -1, :64], seq[:, 0, 64:]], dim=-1) if self.from_outputs
                    else torch.cat([h[0], h[1]], dim=-1))
            return torch.sigmoid(self.out(last))[:, 0]

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(VOCAB, D_MODEL)
            self.positions = nn.Embedding(LENGTH, D_MODEL)
            block = nn.TransformerEncoderLayer(D_MODEL, HEADS, FF, dropout=0.1,
                                               batch_first=True)
            self.encoder = nn.TransformerEncoder(block, 2, enable_nested_tensor=False)
            self.out = nn.Linear(D_MODEL, 1)

        def forward(self, ids):
            h = self.tokens(ids) + self.positions(torch.arange(ids.shape[1]))
            return torch.sigmoid(self.out(self.encoder(h).mean(1)))[:, 0]

    out = {}
    for name, model in (("bilstm", BiLSTM()), ("bilstm_outputs", BiLSTM(from_outputs=True)),
                        ("transformer", Transformer())):
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = nn.BCELoss()

        def step(idx, model=model, opt=opt, loss_fn=loss_fn):
            opt.zero_grad()
            loss_fn(model(X[idx]), Y[idx]).backward()
            opt.step()

        for i in range(3):  # warm-up
            step(torch.arange(i * BATCH, (i + 1) * BATCH))
        times = []
        for _ in range(args.epochs):
            start = time.perf_counter()
            perm = torch.randperm(len(X))
            for i in range(0, len(X), BATCH):
                step(perm[i:i + BATCH])
            times.append(time.perf_counter() - start)
        out[name] = float(np.mean(times))
        model.eval()
        sample = X[:1]
        with torch.no_grad():
            out[f"{name}_call_ms"] = latency(lambda m=model, s=sample: m(s), repeats=100)
    return out


RUNNERS = {"glassnet": run_glassnet, "torch": run_torch, "keras": run_keras}
ROWS = [("(a) BiLSTM IMDB-shaped, batch 32", "bilstm", "s/epoch"),
        ("(a) the same, torch reading the outputs", "bilstm_outputs", "s/epoch"),
        ("(b) transformer encoder, batch 32", "transformer", "s/epoch"),
        ("(c) one sample, BiLSTM model(x)", "bilstm_call_ms", "ms"),
        ("(c) one sample, transformer model(x)", "transformer_call_ms", "ms")]


def describe(args):
    return (f"{args.threads} threads, {args.samples} sequences of {LENGTH}, "
            f"{args.epochs} timed epoch(s)")


def main():
    samples_benchmark_main(__file__, __doc__, RUNNERS, ROWS, 25000, describe)


if __name__ == "__main__":
    main()
