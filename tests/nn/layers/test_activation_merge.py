import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet.nn.layers import ELU, Add, Concatenate, LeakyReLU, ReLU, Softmax


def test_activation_layers_match_torch():
    check_layer(ReLU, (3, 5), torch_module=torch.nn.ReLU(), kinks=(0.0,))
    check_layer(lambda: ReLU(max_value=1.0), (3, 5),
                torch_module=lambda x: torch.clamp(x, 0, 1), kinks=(0.0, 1.0))
    check_layer(lambda: ReLU(negative_slope=0.1, threshold=0.5), (3, 5),
                torch_module=lambda x: torch.where(x >= 0.5, x, 0.1 * (x - 0.5)), kinks=(0.5,))
    check_layer(LeakyReLU, (3, 5), torch_module=torch.nn.LeakyReLU(0.3), kinks=(0.0,))
    check_layer(ELU, (3, 5), torch_module=torch.nn.ELU(), kinks=(0.0,))
    check_layer(Softmax, (3, 5), torch_module=torch.nn.Softmax(-1))
    check_layer(lambda: Softmax(axis=1), (2, 3, 4), torch_module=torch.nn.Softmax(1))


def test_leaky_relu_accepts_keras2_alpha_with_a_warning():
    with pytest.warns(DeprecationWarning, match="alpha"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1


def test_merge_layers():
    check_layer(Add, [(3, 4), (3, 4), (3, 4)], expected_output_shape=(3, 4),
                torch_module=lambda a, b, c: a + b + c)
    check_layer(Concatenate, [(3, 2), (3, 4)], expected_output_shape=(3, 6),
                torch_module=lambda a, b: torch.cat([a, b], -1))
    check_layer(lambda: Concatenate(axis=1), [(2, 1, 3), (2, 4, 3)],
                expected_output_shape=(2, 5, 3), torch_module=lambda a, b: torch.cat([a, b], 1))


def test_merge_errors_name_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"Add '.*': inputs have incompatible shapes. "
                                         r"Received shapes \(32, 10\) and \(32, 5\)"):
        Add()([np.zeros((32, 10)), np.zeros((32, 5))])
    with pytest.raises(ValueError, match=r"expects a list of at least 1 input"):
        Add()(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Concatenate '.*' expected inputs whose shapes match "
                                         r"except along axis -1, received shapes \(2, 3\) and "
                                         r"\(4, 3\)"):
        Concatenate()([np.zeros((2, 3)), np.zeros((4, 3))])
