import numpy as np
import pytest
from nn.layers.augmentation_fixtures import IMAGES

import glassnet as tf
from glassnet import keras

L = keras.layers
BATCH = np.concatenate([IMAGES] * 4)  # 8 images
ONE_HOT = np.eye(8, dtype="float32")


def test_mixup_mixes_images_and_labels_by_the_same_weights():
    out = L.MixUp(alpha=0.5, seed=0)({"images": BATCH, "labels": ONE_HOT})
    labels = out["labels"].numpy()
    np.testing.assert_allclose(labels.sum(axis=1), 1, rtol=1e-6)
    # with one-hot labels the mixed labels are the mixing matrix itself
    expected = (labels.astype("float64") @ BATCH.reshape(8, -1)).reshape(BATCH.shape)
    np.testing.assert_allclose(out["images"].numpy(), expected, rtol=1e-4, atol=1e-3)
    assert (np.count_nonzero(labels, axis=1) <= 2).all() and not np.allclose(labels, ONE_HOT)
    again = L.MixUp(alpha=0.5, seed=0)(BATCH).numpy()  # images alone: the same draws
    np.testing.assert_allclose(again, out["images"].numpy(), rtol=1e-6)


def test_cutmix_pastes_a_box_from_the_partner_image():
    x = np.arange(8, dtype="float32")[:, None, None, None] * np.ones((8, 10, 12, 3), "float32")
    out = L.CutMix(seed=0)({"images": x, "labels": ONE_HOT})
    images, labels = out["images"].numpy(), out["labels"].numpy()
    np.testing.assert_allclose(labels.sum(axis=1), 1, rtol=1e-6)
    shares = []
    for i in range(8):
        others = set(np.unique(images[i])) - {float(i)}
        assert len(others) <= 1  # one partner image
        if not others:
            continue
        partner = int(others.pop())
        pasted = (images[i] == partner).all(axis=-1)
        rows, cols = np.nonzero(pasted)  # one rectangle
        assert pasted[rows.min():rows.max() + 1, cols.min():cols.max() + 1].all()
        shares.append((pasted.mean(), labels[i, partner]))
    assert shares  # the label's share is the continuous box's area, close to the pixels'
    assert all(abs(pixels - label) < 0.25 for pixels, label in shares)
    np.testing.assert_array_equal(L.CutMix(seed=0)(x[0]).numpy(), x[0])  # unbatched


@pytest.mark.parametrize("make", [
    lambda: L.MixUp(seed=2), lambda: L.CutMix(factor=0.5, seed=2),
    lambda: L.AugMix(seed=2), lambda: L.AugMix(all_ops=False, num_chains=2, seed=2),
    lambda: L.RandAugment(seed=2), lambda: L.RandAugment(num_ops=3, factor=0.8, seed=2),
])
def test_seeded_identity_at_inference_config(make):
    layer = make()
    np.testing.assert_array_equal(layer(BATCH, training=False).numpy(), BATCH)
    out = layer(BATCH).numpy()
    assert out.dtype == np.float32 and out.shape == BATCH.shape and not np.allclose(out, BATCH)
    assert out.min() >= 0 and out.max() <= 255
    np.testing.assert_array_equal(make()(BATCH).numpy(), out)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_policies_keep_labels_and_follow_channels_first():
    out = L.RandAugment(seed=0)({"images": BATCH, "labels": np.arange(8)})
    np.testing.assert_array_equal(np.asarray(out["labels"]), np.arange(8))
    last = L.AugMix(seed=4)(BATCH).numpy()
    first = L.AugMix(seed=4, data_format="channels_first")(BATCH.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(first.numpy().transpose(0, 2, 3, 1), last, rtol=1e-5, atol=1e-3)


def test_max_num_bounding_boxes_pads_and_truncates():
    boxes = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    data = {"images": BATCH[:2], "bounding_boxes": {"boxes": boxes, "labels": np.ones((2, 3))}}
    padded = L.MaxNumBoundingBoxes(max_number=5)(data)
    np.testing.assert_array_equal(padded["bounding_boxes"]["boxes"].numpy()[:, :3], boxes)
    assert (padded["bounding_boxes"]["boxes"].numpy()[:, 3:] == -1).all()
    np.testing.assert_array_equal(padded["bounding_boxes"]["labels"].numpy()[0], [1, 1, 1, -1, -1])
    cut = L.MaxNumBoundingBoxes(max_number=2, fill_value=0)(data)
    np.testing.assert_array_equal(cut["bounding_boxes"]["boxes"].numpy(), boxes[:, :2])
    assert L.MaxNumBoundingBoxes(3).get_config()["max_number"] == 3


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match=r"MixUp: `alpha` must be a number > 0"):
        L.MixUp(alpha=0)
    with pytest.raises(ValueError, match=r"CutMix: The `factor` argument should be a number"):
        L.CutMix(factor=2)
    with pytest.raises(ValueError, match=r"AugMix: expected a positive integer for "
                                         r"`num_chains`"):
        L.AugMix(num_chains=0)
    with pytest.raises(ValueError, match=r"RandAugment: `interpolation` must be one of"):
        L.RandAugment(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"MixUp: a dict input needs an 'images' entry.*"
                                         r"'bounding_boxes' not supported"):
        L.MixUp()({"images": BATCH, "bounding_boxes": {}})
    with pytest.raises(ValueError, match=r"one label row per image; received labels of shape "
                                         r"\(3, 8\) for 8 images"):
        L.MixUp()({"images": BATCH, "labels": ONE_HOT[:3]})
    with pytest.raises(ValueError, match=r"MaxNumBoundingBoxes: expected \{'images'"):
        L.MaxNumBoundingBoxes(2)({"images": BATCH})


def test_in_a_model_before_conv2d_and_over_a_dataset():
    keras.utils.set_random_seed(0)
    y = np.arange(8) % 2
    model = keras.Sequential([
        keras.Input((5, 6, 3)), L.RandAugment(), L.AugMix(num_chains=2), L.MixUp(),
        L.CutMix(), keras.layers.Rescaling(1 / 255), keras.layers.Conv2D(4, 3,
                                                                         activation="relu"),
        keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(BATCH, y, epochs=2, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    np.testing.assert_array_equal(model.predict(BATCH, verbose=0),
                                  model.predict(BATCH, verbose=0))
    mix = L.MixUp(seed=0)
    ds = tf.data.Dataset.from_tensor_slices((BATCH, ONE_HOT)).batch(4).map(
        lambda images, labels: mix({"images": images, "labels": labels}))
    batches = list(ds)
    assert len(batches) == 2 and batches[0]["labels"].shape == (4, 8)
    np.testing.assert_allclose(np.asarray(batches[1]["labels"]).sum(axis=1), 1, rtol=1e-6)
