"""ONNX export, built with the ``onnx`` package's helpers (the ``[onnx]`` extra).

The exported graph keeps glassnet's channels-last layout: Flatten is a plain reshape of
(H, W, C) in row-major order, exactly as glassnet flattens. Only the operators that ONNX
defines on channels-first data (Conv, MaxPool, AveragePool) are wrapped in transposes.
BatchNormalization is exported at inference as x * scale + shift with its moving statistics
folded in. Layers without an ONNX form are reported together in one error.

An Input of an integer dtype (token ids) is a graph input of that dtype (INT32 or INT64);
the others are FLOAT. Masks travel beside their tensors as bool (batch, time) graph values
(see ``onnx_sequence``), computed in the graph from the ids.
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.autograd.ops.convolution import same_padding
from glassnet.io import onnx_sequence as sequence
from glassnet.nn import activations
from glassnet.nn import layers as L
from glassnet.nn.layers.conv1d_transpose import transposed_length


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError("ONNX export needs the onnx package: pip install 'glassnet[onnx]'") \
            from None
    return onnx, helper, numpy_helper


class _Builder:
    def __init__(self, onnx, helper, numpy_helper, opset):
        self.onnx, self.helper, self.numpy_helper, self.opset = onnx, helper, numpy_helper, opset
        self.types = onnx.TensorProto
        self.nodes, self.initializers, self.count = [], [], 0
        self.integers = {}  # graph value -> NumPy dtype, for the values holding integer ids

    def name(self, base):
        self.count += 1
        return f"{base}_{self.count}"

    def const(self, array, base="const"):
        name = self.name(base)
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, base=None, outputs=1, **attrs):
        """One node; its output's name (a list of ``outputs`` names when more than one)."""
        names = [self.name(base or op_type.lower()) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def reduce(self, op_type, x, axes, keepdims=1):
        """ReduceSum/ReduceMean/ReduceMax over ``axes``: an attribute before opset 18 (13 for
        ReduceSum), an input from then on."""
        since = 13 if op_type == "ReduceSum" else 18
        if self.opset >= since:
            return self.op(op_type, [x, self.const(np.array(axes, np.int64), "axes")],
                           keepdims=keepdims)
        return self.op(op_type, [x], axes=list(axes), keepdims=keepdims)


ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "elu": "Elu",
               "selu": "Selu", "softplus": "Softplus", "exponential": "Exp"}


def _activation(b, x, fn):
    name = activations.serialize(fn)
    if name == "linear":
        return x
    if name in ACTIVATIONS:
        return b.op(ACTIVATIONS[name], [x])
    if name == "softmax":
        return b.op("Softmax", [x], axis=-1)
    if name == "log_softmax":
        return b.op("LogSoftmax", [x], axis=-1)
    if name == "leaky_relu":
        return b.op("LeakyRelu", [x], alpha=0.2)
    if name in ("silu", "swish"):
        return b.op("Mul", [x, b.op("Sigmoid", [x])])
    raise NotImplementedError(f"activation '{name}'")


def _nchw(b, x, rank):
    return b.op("Transpose", [x], perm=[0, rank + 1, *range(1, rank + 1)])


def _nhwc(b, x, rank):
    return b.op("Transpose", [x], perm=[0, *range(2, rank + 2), 1])


def _pads(layer, spatial, kernel, strides, dilation):
    if layer.padding == "valid":
        return [0] * (2 * len(spatial))
    if layer.padding == "causal":
        return [(kernel[0] - 1) * dilation[0], 0]
    pairs = [same_padding(s, k, st, d) for s, k, st, d in zip(spatial, kernel, strides,
                                                                dilation)]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def _conv(b, layer, x, in_shape):
    rank = 1 if isinstance(layer, L.Conv1D) else 2
    if layer.data_format != "channels_last":
        raise NotImplementedError("channels_first convolution")
    kernel = layer.kernel.numpy()
    groups = layer.groups
    if isinstance(layer, (L.DepthwiseConv2D, L.SeparableConv2D)):  # (KH, KW, C, multiplier)
        kh, kw, c, m = kernel.shape
        kernel, groups = kernel.reshape(kh, kw, 1, c * m), c
    w = b.const(np.moveaxis(kernel, [-1, -2], [0, 1]), "kernel")  # (F, C/g, *K)
    inputs = [_nchw(b, x, rank), w]
    if layer.bias is not None and not isinstance(layer, L.SeparableConv2D):
        inputs.append(b.const(layer.bias.numpy(), "bias"))
    spatial = in_shape[1:1 + rank]
    y = b.op("Conv", inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
             dilations=list(layer.dilation_rate), group=groups,
             pads=_pads(layer, spatial, layer.kernel_size, layer.strides, layer.dilation_rate))
    if isinstance(layer, L.SeparableConv2D):
        pw = b.const(np.moveaxis(layer.pointwise_kernel.numpy(), [-1, -2], [0, 1]), "pointwise")
        bias = [b.const(layer.bias.numpy(), "bias")] if layer.bias is not None else []
        y = b.op("Conv", [y, pw, *bias], kernel_shape=[1, 1])
    return _activation(b, _nhwc(b, y, rank), layer.activation)


def _pool(b, layer, x, in_shape):
    rank = layer.rank
    if layer.data_format != "channels_last":
        raise NotImplementedError("channels_first pooling")
    spatial = in_shape[1:1 + rank]
    pads = _pads(layer, spatial, layer.pool_size, layer.strides, (1,) * rank)
    is_max = isinstance(layer, (L.MaxPooling2D, L.MaxPooling1D))
    attrs = {"kernel_shape": list(layer.pool_size), "strides": list(layer.strides),
             "pads": pads}
    if not is_max:
        attrs["count_include_pad"] = 0  # Keras averages the real values only
    y = b.op("MaxPool" if is_max else "AveragePool", [_nchw(b, x, rank)], **attrs)
    return _nhwc(b, y, rank)


def _layer_normalization(b, layer, x, in_shape):
    """ONNX's LayerNormalization (opset 17) normalizes the trailing axes from ``axis`` on."""
    rank = len(in_shape)
    if layer.axes != tuple(range(layer.axes[0], rank)):
        raise NotImplementedError(f"normalizing axes {layer.axes}, not the trailing ones")
    if b.opset < 17:
        raise NotImplementedError("LayerNormalization needs opset 17 or later")
    dtype = layer.dtype
    gamma = layer.gamma.numpy() if layer.gamma is not None else np.ones(layer.param_shape, dtype)
    beta = layer.beta.numpy() if layer.beta is not None else np.zeros(layer.param_shape, dtype)
    return b.op("LayerNormalization", [x, b.const(gamma, "gamma"), b.const(beta, "beta")],
                axis=layer.axes[0], epsilon=float(layer.epsilon))


def _conv1d_transpose(b, layer, x, in_shape):
    """ConvTranspose on (batch, channels, steps): the output of Keras's length
    (``transposed_length``) cropped by the "same" padding of the convolution it transposes."""
    if layer.data_format != "channels_last":
        raise NotImplementedError("channels_first Conv1DTranspose")
    (k,), (s,), (d,) = layer.kernel_size, layer.strides, layer.dilation_rate
    span = (k - 1) * d + 1
    length = 16  # pads and output padding do not depend on the input length: any one finds them
    out = transposed_length(length, k, s, d, layer.padding, None if layer.output_padding
                            is None else layer.output_padding[0])
    before, after = same_padding(out, k, s, d) if layer.padding == "same" else (0, 0)
    extra = out - (s * (length - 1) + span - before - after)
    w = b.const(np.transpose(layer.kernel.numpy(), (2, 1, 0)), "kernel")  # (C, F, k)
    inputs = [b.op("Transpose", [x], perm=[0, 2, 1]), w]
    if layer.bias is not None:
        inputs.append(b.const(layer.bias.numpy(), "bias"))
    y = b.op("ConvTranspose", inputs, kernel_shape=[k], strides=[s], dilations=[d],
             pads=[before, after], output_padding=[extra])
    return _activation(b, b.op("Transpose", [y], perm=[0, 2, 1]), layer.activation)


def _layer(b, layer, xs, in_shapes):
    """ONNX nodes for one layer call; returns the output name."""
    x = xs[0]
    if isinstance(layer, (L.InputLayer, L.Dropout, L.SpatialDropout2D)):
        return x
    if isinstance(layer, L.Dense):
        y = b.op("MatMul", [x, b.const(layer.kernel.numpy(), "kernel")])
        if layer.bias is not None:
            y = b.op("Add", [y, b.const(layer.bias.numpy(), "bias")])
        return _activation(b, y, layer.activation)
    if isinstance(layer, L.Activation):
        return _activation(b, x, layer.activation)
    if isinstance(layer, L.ReLU):
        if layer.max_value is not None or layer.negative_slope or layer.threshold:
            raise NotImplementedError("ReLU with max_value, negative_slope or threshold")
        return b.op("Relu", [x])
    if isinstance(layer, L.LeakyReLU):
        return b.op("LeakyRelu", [x], alpha=layer.negative_slope)
    if isinstance(layer, L.ELU):
        return b.op("Elu", [x], alpha=layer.alpha)
    if isinstance(layer, L.Softmax):
        return b.op("Softmax", [x], axis=layer.axis)
    if isinstance(layer, L.BatchNormalization):
        scale = 1 / np.sqrt(layer.moving_variance.numpy() + layer.epsilon)
        if layer.gamma is not None:
            scale = scale * layer.gamma.numpy()
        shift = -layer.moving_mean.numpy() * scale
        if layer.beta is not None:
            shift = shift + layer.beta.numpy()
        shape = layer.broadcast_shape[1:]
        y = b.op("Mul", [x, b.const(scale.reshape(shape).astype(np.float32), "bn_scale")])
        return b.op("Add", [y, b.const(shift.reshape(shape).astype(np.float32), "bn_shift")])
    if isinstance(layer, L.Flatten):
        if layer.data_format == "channels_first":
            raise NotImplementedError("channels_first Flatten")
        return b.op("Reshape", [x, b.const(np.array([0, -1], np.int64), "shape")])
    if isinstance(layer, L.Reshape):
        target = np.array([0, *layer.target_shape], np.int64)
        return b.op("Reshape", [x, b.const(target, "shape")])
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.DepthwiseConv2D, L.SeparableConv2D)):
        return _conv(b, layer, x, in_shapes[0])
    if isinstance(layer, (L.MaxPooling1D, L.MaxPooling2D, L.AveragePooling1D,
                          L.AveragePooling2D)):
        return _pool(b, layer, x, in_shapes[0])
    if isinstance(layer, (L.GlobalAveragePooling1D, L.GlobalAveragePooling2D,
                          L.GlobalMaxPooling1D, L.GlobalMaxPooling2D)):
        if layer.data_format != "channels_last":
            raise NotImplementedError("channels_first global pooling")
        op = "ReduceMean" if "Average" in type(layer).__name__ else "ReduceMax"
        return b.reduce(op, x, range(1, layer.rank + 1), int(layer.keepdims))
    if isinstance(layer, L.LayerNormalization):
        return _layer_normalization(b, layer, x, in_shapes[0])
    if isinstance(layer, L.Conv1DTranspose):
        return _conv1d_transpose(b, layer, x, in_shapes[0])
    if isinstance(layer, tuple(_MERGES)):
        if len({len(shape) for shape in in_shapes}) > 1:  # glassnet adds axes after the batch
            raise NotImplementedError("merging inputs of different ranks")
        if isinstance(layer, L.Average):
            return b.op("Mean", list(xs))
        op = next(op for cls, op in _MERGES.items() if isinstance(layer, cls))
        if op in ("Max", "Min"):  # variadic in ONNX
            return b.op(op, list(xs))
        y = xs[0]
        for other in xs[1:]:
            y = b.op(op, [y, other])
        return y
    if isinstance(layer, L.Concatenate):
        return b.op("Concat", list(xs), axis=layer.axis)
    raise NotImplementedError(type(layer).__name__)


_MERGES = {L.Add: "Add", L.Subtract: "Sub", L.Multiply: "Mul", L.Average: "Mean",
           L.Maximum: "Max", L.Minimum: "Min"}


def _calls(model):
    """(layer, input refs, output ref, input shapes, call keyword arguments) in execution
    order, and the model's inputs as (ref, shape, dtype) and outputs as (ref, shape); refs
    are keys into the produced-names table."""
    from glassnet.train import Sequential

    if isinstance(model, Sequential):
        shape = getattr(model, "_build_input_shape", None)
        if shape is None:
            raise ValueError("export_onnx: the model has no input shape yet; build it (call it "
                             "once, or start it with keras.Input)")
        graph = getattr(model, "_graph", None)
        dtype = graph.inputs[0].dtype if graph is not None else np.dtype(np.float32)
        calls, ref = [], "input"
        for layer in model.layers:
            out = f"{layer.name}:out"
            calls.append((layer, [ref], out, [tuple(shape)], {}))
            shape, ref = tuple(layer.compute_output_shape(shape)), out
        return (calls, [("input", model._build_input_shape, dtype)],
                [("input" if not calls else ref, shape)])
    graph = getattr(model, "_graph", None)
    if graph is None:
        raise ValueError("export_onnx: subclassed models have no static graph to export; "
                         "build the model with Sequential or Model(inputs, outputs)")
    calls = []
    for t in graph.nodes:
        args = t.inputs if isinstance(t.inputs, (list, tuple)) else [t.inputs]
        kwargs = dict(getattr(t, "call_kwargs", {}))
        if len(t.parents()) > len(args):  # layer(a, b) or layer(x, key=k): not exported
            kwargs["several tensor arguments"] = True
        calls.append((t.layer, [id(a) for a in args], id(t), [a.shape for a in args], kwargs))
    return (calls, [(id(t), t.shape, t.dtype) for t in graph.inputs],
            [(id(t), t.shape) for t in graph.outputs])


def _graph_input(onnx, b, name, shape, dtype):
    """The graph input for a model Input: its own integer dtype for ids, else FLOAT."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        b.integers[name] = dtype
        elem = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    elif dtype.kind == "b":
        elem = onnx.TensorProto.BOOL
    elif dtype.kind in "USO":
        elem = onnx.TensorProto.STRING
    else:
        elem = onnx.TensorProto.FLOAT
    return onnx.helper.make_tensor_value_info(name, elem, ["batch", *shape[1:]])


def _convert(b, layer, xs, shapes, masks, kwargs):
    """(output, output mask or None) of one layer call."""
    done = sequence.convert(b, layer, xs, shapes, masks, kwargs, _layer)
    if done is not None:
        return done
    if kwargs:
        raise NotImplementedError(f"a call with {', '.join(sorted(kwargs))}")
    return _layer(b, layer, xs, shapes), sequence.passed_mask(b, layer, masks, shapes)


def export_onnx(model, path, opset=17):
    """Write ``model`` (inference mode) as an ONNX file; returns the ModelProto.

    >>> # glassnet.io.export_onnx(model, "model.onnx"); then onnxruntime runs it
    """
    onnx, helper, numpy_helper = _onnx()
    b = _Builder(onnx, helper, numpy_helper, opset)
    calls, inputs, outputs = _calls(model)
    names, masks = {}, {}
    graph_inputs = []
    for i, (ref, shape, dtype) in enumerate(inputs):
        name = "input" if len(inputs) == 1 else f"input_{i}"
        names[ref] = name
        graph_inputs.append(_graph_input(onnx, b, name, shape, dtype))
    unsupported = []
    for layer, refs, out, shapes, kwargs in calls:
        try:
            names[out], masks[out] = _convert(b, layer, [names[r] for r in refs], shapes,
                                              [masks.get(r) for r in refs], kwargs)
        except NotImplementedError as err:
            unsupported.append(f"{layer.name} ({type(layer).__name__}: {err})")
            names[out] = names[refs[0]]  # a stand-in, to find every unsupported layer
    if unsupported:
        raise ValueError("export_onnx: these layers have no ONNX export: "
                         + "; ".join(unsupported))
    graph_outputs = []
    for i, (ref, shape) in enumerate(outputs):
        final = b.op("Identity", [names[ref]], base="output" if len(outputs) == 1 else
                     f"output_{i}")
        graph_outputs.append(helper.make_tensor_value_info(
            final, onnx.TensorProto.FLOAT, ["batch", *shape[1:]]))
    return write_model(b, model.name, graph_inputs, graph_outputs, path)


def write_model(b, name, graph_inputs, graph_outputs, path):
    """The graph ``b`` built, checked by ONNX's checker and written atomically to ``path``;
    returns the ModelProto (shared with the int8 QDQ export)."""
    graph = b.helper.make_graph(b.nodes, name, graph_inputs, graph_outputs, b.initializers)
    proto = b.helper.make_model(graph, opset_imports=[b.helper.make_opsetid("", b.opset)],
                                producer_name="glassnet")
    b.onnx.checker.check_model(proto)
    from glassnet.files import atomic_write

    with atomic_write(os.fspath(path)) as f:
        f.write(proto.SerializeToString())
    return proto
