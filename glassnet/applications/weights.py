"""Where Keras publishes each application's ImageNet weights, and loading them.

``weights="imagenet"`` names Keras's published ``.h5`` file (Keras's file name, URL and
hash), found in the cache folder ``$GLASSNET_HOME/models`` (Keras's ``~/.keras/models``) or
downloaded into it by :func:`glassnet.datasets.get_file`; without a network the error names
the file, the URL and the folder to put it in. ``weights="path/to/file.h5"`` loads that file.
Either way ``model.load_weights`` reads it (Keras's HDF5 layout, layers with weights matched
in order, as Keras does), data only: nothing in the file is executed.
"""

from __future__ import annotations

from glassnet.datasets import get_file

KERAS_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications/"
EFFICIENTNET_BASE = "https://storage.googleapis.com/keras-applications/"
CLASS_INDEX_URL = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                   "imagenet_class_index.json")
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"
CACHE_SUBDIR = "models"  # under $GLASSNET_HOME, as Keras's ~/.keras/models

_TF = "_weights_tf_dim_ordering_tf_kernels"

# (name with a classifier, name without): (folder, hash with top, hash without top).
# The hashes are the MD5 digests Keras publishes beside these files.
_PUBLISHED = {
    "vgg16": ("vgg16/", "64373286793e3c8b2b4e3219cbf3544b", "6d6bbae143d832006294945121d1f1fc"),
    "vgg19": ("vgg19/", "cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6"),
    "resnet50": ("resnet/", "2cb95161c43110f7111970584f804107",
                 "4d473c1dd8becc155b73f8504c6f6626"),
    "resnet101": ("resnet/", "f1aeb4b969a6efcfb50fad2f0c20cfc5",
                  "88cf7a10940856eca736dc7b7e228a21"),
    "resnet152": ("resnet/", "100835be76be38e30d865e96f2aaae62",
                  "ee4c566cf9a93f14d82f913c2dc6dd0c"),
    "xception": ("xception/", "0a58e3b7378bc2990ea3b43d5981f1f6",
                 "b0042744bf5b25fce3cb969f33bebb97"),
    "densenet121": ("densenet/", "9d60b8095a5708f2dcce2bca79d332c7",
                    "30ee3e1110167f948a6b9946edeeb738"),
    "densenet169": ("densenet/", "d699b8f76981ab1b30698df4c175e90b",
                    "b8c4d4c20dd625c148057b9ff1c1176b"),
    "densenet201": ("densenet/", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                    "c13680b51ded0fb44dff2d8f86ac8bb1"),
}

_EFFICIENTNET = {
    "b0": ("902e53a9f72be733fc0bcb005b3ebbac", "50bc09e76180e00e4465e1a485ddc09d"),
    "b1": ("1d254153d4ab51201f1646940f018540", "74c4e6b3e1f6a1eea24c589628592432"),
    "b2": ("b15cce36ff4dcbd00b6dd88e7857a6ad", "111f8e2ac8aa800a7a99e3239f7bfb39"),
    "b3": ("ffd1fdc53d0ce67064dc6a9c7960ede0", "af6d107764bb5b1abb91932881670226"),
    "b4": ("18c95ad55216b8f92d7e70b3a046e2fc", "ebc24e6d6c33eaebbd558eafbeedf1ba"),
    "b5": ("ace28f2a6363774853a83a0b21b9421a", "38879255a25d3c92d5e44e04ae6cec6f"),
    "b6": ("165f6e37dce68623721b423839de8be5", "9ecce42647a20130c1f39a5d4cb75743"),
    "b7": ("8c03f828fec3ef71311cd463b6759d99", "cbcfe4450ddf6f3ad90b1b398090fe4a"),
}


def published_file(weights_name, include_top):
    """``(file name, URL, hash)`` of Keras's ImageNet weights for ``weights_name``
    ("vgg16", "resnet50", "mobilenet_v2_1.0_224", "efficientnetb0", ...)."""
    if weights_name.startswith("mobilenet_v2_"):
        # mobilenet_v2_<alpha>_<rows>: Keras publishes no hash for these files
        fname = f"mobilenet_v2{_TF}_{weights_name[13:]}{'' if include_top else '_no_top'}.h5"
        return fname, f"{KERAS_APPLICATIONS}mobilenet_v2/{fname}", None
    if weights_name.startswith("efficientnet"):
        key = weights_name[len("efficientnet"):]
        fname = f"efficientnet{key}{'' if include_top else '_notop'}.h5"
        return fname, EFFICIENTNET_BASE + fname, _EFFICIENTNET[key][0 if include_top else 1]
    folder, with_top, without_top = _PUBLISHED[weights_name]
    fname = f"{weights_name}{_TF}{'' if include_top else '_notop'}.h5"
    return fname, f"{KERAS_APPLICATIONS}{folder}{fname}", with_top if include_top else without_top


def fetch(fname, origin, file_hash, who):
    """The cached path of a published file, downloading it when absent.

    Raises:
        OSError: offline (or the URL failed); names the file, the URL and the folder.
    """
    try:
        return get_file(fname, origin, file_hash=file_hash, cache_subdir=CACHE_SUBDIR)
    except OSError as err:
        raise OSError(f"{who}: {err}") from None


def weights_file(weights, weights_name, include_top, who):
    """The file ``weights`` names: None, the path given, or Keras's published ImageNet file
    (fetched before the model is built, so an offline machine fails at once)."""
    if weights is None or weights != "imagenet":
        return weights
    fname, origin, file_hash = published_file(weights_name, include_top)
    return fetch(fname, origin, file_hash, who)


def load_weights(model, path):
    """Read the weight file ``path`` into ``model`` (None keeps the initial weights)."""
    if path is not None:
        model.load_weights(path)
    return model
