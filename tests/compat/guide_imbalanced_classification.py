"""From the Keras example "Imbalanced classification: credit card fraud detection" (with the
initial-bias step of the TensorFlow tutorial "Classification on imbalanced data"): features
normalized with training statistics, an MLP ending in Dense(1, activation="sigmoid",
bias_initializer=keras.initializers.Constant(initial_bias)), the metrics FalseNegatives,
FalsePositives, TrueNegatives, TruePositives, Precision, Recall (and AUC), class_weight
{0: 1/neg, 1: 1/pos}, and a ModelCheckpoint per epoch. Synthetic transactions (about 1% frauds,
shifted on a few features) replace the Kaggle file. Only the import changed."""

import os

import numpy as np

from glassnet import keras

keras.utils.set_random_seed(8)

# --- Vectorize the data ---------------------------------------------------------------------
rng = np.random.default_rng(8)
n, n_features = 12000, 30
targets = (rng.random(n) < 0.012).astype("uint8")[:, None]
features = rng.standard_normal((n, n_features)) * rng.uniform(0.5, 20.0, n_features)
# Frauds differ on a handful of features, as PCA components V1..V30 of real frauds do
features[targets[:, 0] == 1, :5] += 2.5 * features[:, :5].std(axis=0)
features = features.astype("float32")
print("features.shape:", features.shape)
print("targets.shape:", targets.shape)

# --- Prepare a validation set ---------------------------------------------------------------
num_val_samples = int(len(features) * 0.2)
train_features = features[:-num_val_samples]
train_targets = targets[:-num_val_samples]
val_features = features[-num_val_samples:]
val_targets = targets[-num_val_samples:]

print("Number of training samples:", len(train_features))
print("Number of validation samples:", len(val_features))

# --- Analyze class imbalance in the targets -------------------------------------------------
counts = np.bincount(train_targets[:, 0])
print(
    f"Number of positive samples in training data: {counts[1]} "
    f"({100 * float(counts[1]) / len(train_targets):.2f}% of total)"
)

weight_for_0 = 1.0 / counts[0]
weight_for_1 = 1.0 / counts[1]

# --- Normalize the data using training set statistics ---------------------------------------
mean = np.mean(train_features, axis=0)
train_features -= mean
val_features -= mean
std = np.std(train_features, axis=0)
train_features /= std
val_features /= std

# --- Set the output bias to reflect the imbalance (TF tutorial) -----------------------------
neg, pos = counts
initial_bias = np.log([pos / neg])
print("initial_bias:", initial_bias)

# --- Build a binary classification model ----------------------------------------------------
model = keras.Sequential(
    [
        keras.Input(shape=train_features.shape[1:]),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(
            1,
            activation="sigmoid",
            bias_initializer=keras.initializers.Constant(initial_bias),
        ),
    ]
)
model.summary()
np.testing.assert_allclose(model.layers[-1].bias.numpy(), initial_bias, rtol=1e-6)

metrics = [
    keras.metrics.FalseNegatives(name="fn"),
    keras.metrics.FalsePositives(name="fp"),
    keras.metrics.TrueNegatives(name="tn"),
    keras.metrics.TruePositives(name="tp"),
    keras.metrics.Precision(name="precision"),
    keras.metrics.Recall(name="recall"),
    keras.metrics.AUC(name="auc"),
]

model.compile(
    optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics
)

# With the bias set, the untrained model already predicts the base rate: the first loss is
# close to the entropy of the labels rather than log(2).
p = pos / (pos + neg)
initial_loss = model.evaluate(train_features, train_targets, batch_size=2048, verbose=0)[0]
print("initial loss:", initial_loss, "label entropy:", -p * np.log(p) - (1 - p) * np.log(1 - p))
assert initial_loss < 0.3, initial_loss

# --- Train the model with class_weight argument ---------------------------------------------
callbacks = [keras.callbacks.ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")]
class_weight = {0: weight_for_0, 1: weight_for_1}

history = model.fit(
    train_features,
    train_targets,
    batch_size=2048,
    epochs=8,
    verbose=2,
    callbacks=callbacks,
    validation_data=(val_features, val_targets),
    class_weight=class_weight,
)
assert all(os.path.exists(f"fraud_model_at_epoch_{e}.keras") for e in range(1, 9))
assert {"fn", "fp", "tn", "tp", "precision", "recall", "auc", "val_fn", "val_tp",
        "val_recall"} <= set(history.history), sorted(history.history)
for key in ("fn", "fp", "tn", "tp"):  # counts over the whole epoch
    assert history.history[key][-1] == int(history.history[key][-1]), history.history[key]
last = {k: v[-1] for k, v in history.history.items()}
assert last["tp"] + last["fn"] + last["tn"] + last["fp"] == len(train_features), last
assert last["tp"] + last["fn"] == counts[1], last

# --- The metrics agree with the confusion matrix of predict ---------------------------------
results = model.evaluate(val_features, val_targets, batch_size=2048, verbose=0,
                         return_dict=True)
predicted = model.predict(val_features, batch_size=2048, verbose=0)[:, 0] > 0.5
actual = val_targets[:, 0] == 1
tp, fp = np.sum(predicted & actual), np.sum(predicted & ~actual)
fn, tn = np.sum(~predicted & actual), np.sum(~predicted & ~actual)
print(results)
print(f"tp={tp} fp={fp} fn={fn} tn={tn}")
assert (results["tp"], results["fp"], results["fn"], results["tn"]) == (tp, fp, fn, tn), results
np.testing.assert_allclose(results["recall"], tp / (tp + fn), rtol=1e-5)
np.testing.assert_allclose(results["precision"], tp / max(tp + fp, 1), rtol=1e-5)
# Weighting the rare class finds most frauds, at the price of some false alarms
assert results["recall"] > 0.8 and results["auc"] > 0.9, results

# A checkpoint from the last epoch predicts as the model does
reloaded = keras.models.load_model("fraud_model_at_epoch_8.keras")
np.testing.assert_allclose(reloaded.predict(val_features[:64], verbose=0),
                           model.predict(val_features[:64], verbose=0), rtol=1e-5, atol=1e-6)
print("ok")
