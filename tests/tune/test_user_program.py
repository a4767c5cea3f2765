"""KerasTuner's "Getting started" guide, with only its imports changed, in a fresh
interpreter (random data in place of the MNIST download, as the guide's later parts do)."""

import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("optuna")

PROGRAM = textwrap.dedent('''
    import os
    import numpy as np
    import glassnet.tune as keras_tuner
    from glassnet import keras
    from glassnet.keras import layers

    def build_model(hp):
        model = keras.Sequential()
        model.add(layers.Flatten())
        for i in range(hp.Int("num_layers", 1, 3)):
            model.add(layers.Dense(units=hp.Int(f"units_{i}", min_value=32, max_value=512,
                                                step=32),
                                   activation=hp.Choice("activation", ["relu", "tanh"])))
        if hp.Boolean("dropout"):
            model.add(layers.Dropout(rate=0.25))
        model.add(layers.Dense(10, activation="softmax"))
        learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    build_model(keras_tuner.HyperParameters())
    hp = keras_tuner.HyperParameters()
    print(hp.Int("units", min_value=32, max_value=512, step=32))

    tuner = keras_tuner.RandomSearch(hypermodel=build_model, objective="val_accuracy",
                                     max_trials=3, executions_per_trial=2, overwrite=True,
                                     directory="my_dir", project_name="helloworld")
    tuner.search_space_summary()
    rng = np.random.default_rng(0)
    x_train, x_val = rng.random((200, 28, 28)), rng.random((50, 28, 28))
    y_train = keras.utils.to_categorical(rng.integers(0, 10, 200), 10)
    y_val = keras.utils.to_categorical(rng.integers(0, 10, 50), 10)
    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val))
    models = tuner.get_best_models(num_models=2)
    best_model = models[0]
    best_model.build(input_shape=(None, 28, 28))
    best_model.summary()
    tuner.results_summary()
    best_hps = tuner.get_best_hyperparameters(5)
    model = build_model(best_hps[0])
    model.fit(x=np.concatenate((x_train, x_val)), y=np.concatenate((y_train, y_val)), epochs=1)

    class MyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            image_size = hp.Int("image_size", 10, 28)
            inputs = keras.Input(shape=(image_size, image_size))
            outputs = layers.Flatten()(inputs)
            outputs = layers.Dense(units=hp.Int("units", min_value=32, max_value=512, step=32),
                                   activation="relu")(outputs)
            outputs = layers.Dense(10, activation="softmax")(outputs)
            model = keras.Model(inputs, outputs)
            model.compile(optimizer="adam", loss="categorical_crossentropy",
                          metrics=["accuracy"])
            return model

        def fit(self, hp, model, x, y, validation_data=None, **kwargs):
            image_size = hp.get("image_size")
            cropped_x = x[:, :image_size, :image_size]
            if validation_data:
                x_val, y_val = validation_data
                validation_data = (x_val[:, :image_size, :image_size], y_val)
            return model.fit(cropped_x, y, shuffle=hp.Boolean("shuffle"),
                             validation_data=validation_data, **kwargs)

    tuner = keras_tuner.RandomSearch(MyHyperModel(), objective="val_accuracy", max_trials=3,
                                     overwrite=True, directory="my_dir",
                                     project_name="tune_hypermodel")
    tuner.search(x_train, y_train, epochs=2, validation_data=(x_val, y_val))
    best_hp = tuner.get_best_hyperparameters()[0]
    MyHyperModel().fit(best_hp, MyHyperModel().build(best_hp), x_train, y_train, epochs=1)

    class CustomMetric(keras.metrics.Metric):
        def __init__(self, **kwargs):
            super().__init__(name="custom_metric", **kwargs)
            self.sum = self.add_weight(name="sum", initializer="zeros")
            self.count = self.add_weight(name="count", dtype="int32", initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = keras.ops.square(y_pred - y_true)
            self.sum.assign_add(keras.ops.sum(values))
            self.count.assign_add(keras.ops.shape(y_true)[0])

        def result(self):
            return self.sum / keras.ops.cast(self.count, "float32")

    def build_regressor(hp):
        model = keras.Sequential([layers.Dense(units=hp.Int("units", 32, 128, 32),
                                               activation="relu"), layers.Dense(units=1)])
        model.compile(optimizer="adam", loss="mean_squared_error", metrics=[CustomMetric()])
        return model

    tuner = keras_tuner.RandomSearch(
        hypermodel=build_regressor,
        objective=keras_tuner.Objective("val_custom_metric", direction="min"),
        max_trials=3, overwrite=True, directory="my_dir", project_name="custom_metrics")
    tuner.search(x=np.random.rand(100, 10), y=np.random.rand(100, 1),
                 validation_data=(np.random.rand(20, 10), np.random.rand(20, 1)))
    tuner.results_summary()

    class MyTuner(keras_tuner.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):
            hp = trial.hyperparameters
            x = hp.Float("x", min_value=-1.0, max_value=1.0)
            return x * x + 1

    tuner = MyTuner(max_trials=20, overwrite=True, directory="my_dir",
                    project_name="tune_anything")
    tuner.search()
    print("best x", tuner.get_best_hyperparameters()[0].get("x"))

    def keras_code(units, optimizer, saving_path):
        model = keras.Sequential([layers.Dense(units=units, activation="relu"),
                                  layers.Dense(units=1)])
        model.compile(optimizer=optimizer, loss="mean_squared_error")
        model.fit(np.random.rand(100, 10), np.random.rand(100, 1))
        model.save(saving_path)
        return np.mean(np.abs(model.predict(np.random.rand(20, 10)) - np.random.rand(20, 1)))

    class SeparateTuner(keras_tuner.RandomSearch):
        def run_trial(self, trial, **kwargs):
            hp = trial.hyperparameters
            return keras_code(units=hp.Int("units", 32, 128, 32),
                              optimizer=hp.Choice("optimizer", ["adam", "adadelta"]),
                              saving_path=os.path.join("my_dir", f"{trial.trial_id}.keras"))

    tuner = SeparateTuner(max_trials=3, overwrite=True, directory="my_dir",
                          project_name="keep_code_separate")
    tuner.search()
    best_hp = tuner.get_best_hyperparameters()[0]
    keras_code(**best_hp.values, saving_path="my_dir/best_model.keras")
    print("guide done")
''')


@pytest.mark.slow
def test_keras_tuner_getting_started_runs_with_the_import_changed(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROGRAM], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    out = done.stdout
    assert out.splitlines()[0] == "32"
    assert "Search space summary\nDefault search space size: 5" in out
    assert "Results summary\nResults in my_dir/helloworld\nShowing 10 best trials" in out
    assert 'Objective(name="val_custom_metric", direction="min")' in out
    assert abs(float(out.split("best x ")[1].split()[0])) < 0.6
    assert out.rstrip().endswith("guide done")
    assert (tmp_path / "my_dir" / "best_model.keras").exists()
