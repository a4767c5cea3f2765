"""Every import style a tutorial uses works in a fresh interpreter, whatever was imported
before it (each case runs in its own ``python -c``: an earlier import in the test process
would hide a missing one)."""

import os
import subprocess
import sys

import pytest

CASES = {
    "tf-style top level": """
import glassnet as tf
model = tf.keras.Sequential([tf.keras.layers.Input((4,)), tf.keras.layers.Dense(3)])
assert model.count_params() == 15
assert callable(tf.keras.datasets.mnist.load_data)
assert callable(tf.keras.datasets.fashion_mnist.load_data)
assert tf.keras.layers.Dense is tf.nn.layers.Dense
""",
    "from glassnet import keras": """
from glassnet import keras
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
assert keras.models.load_model and keras.callbacks.EarlyStopping
""",
    "import glassnet.keras as keras": """
import glassnet.keras as keras
assert keras.layers.Conv2D and keras.utils.to_categorical
""",
    "from glassnet.keras.layers import ...": """
from glassnet.keras.layers import Dense, Conv2D, MaxPooling2D, Flatten
from glassnet.keras.models import Sequential, load_model
from glassnet.keras.optimizers import Adam
from glassnet.keras.preprocessing.image import ImageDataGenerator
Sequential([Flatten(input_shape=(4, 4)), Dense(2)]).compile(optimizer=Adam(), loss="mse")
""",
    "the workflow modules from the top": """
import glassnet
assert callable(glassnet.io.save_model) and callable(glassnet.io.load_model)
assert glassnet.train.Sequential is glassnet.keras.Sequential
assert callable(glassnet.datasets.fashion_mnist.load_data)
assert glassnet.data.Dataset
assert "keras" in dir(glassnet)
""",
    "PyTorch-style": """
import glassnet
from glassnet import nn, optim
layer = nn.layers.Dense(2)
out = layer(glassnet.ones(3, 4))
out.sum().backward()
optim.SGD(layer.parameters(), lr=0.1).step()
""",
    "a name that does not exist": """
import glassnet
try:
    glassnet.not_a_module
except AttributeError as error:
    assert "not_a_module" in str(error)
else:
    raise SystemExit("no AttributeError")
""",
}


@pytest.mark.parametrize("name", list(CASES))
def test_import_style_in_a_fresh_interpreter(name, tmp_path):
    env = {**os.environ, "GLASSNET_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", CASES[name]], capture_output=True,
                            text=True, cwd=tmp_path, env=env, timeout=120)
    assert result.returncode == 0, result.stderr


def test_import_glassnet_does_not_load_the_training_stack():
    code = ("import sys, glassnet; "
            "print(sorted(m for m in ('glassnet.train', 'glassnet.keras', 'glassnet.io') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.strip() == "[]", out.stderr
