"""A model server that speaks the protocols existing clients use: the Open Inference
Protocol v2 (KServe, Triton, MLServer; ``tritonclient`` works against it) and TensorFlow
Serving's REST API, over a repository of model files (the ``[serve]`` extra: FastAPI and
uvicorn).

    glassnet serve model.keras --port 8000            # the command line
    curl -X POST localhost:8000/v1/models/model:predict -d '{"instances": [[...]]}'

``create_app(path_or_repository)`` gives the FastAPI app for uvicorn or a test client;
``save_reference`` stores the sample of training inputs that drift is measured against.
"""

from glassnet.serve.drift import DriftMonitor, load_reference, save_reference
from glassnet.serve.protocol import ProtocolError
from glassnet.serve.repository import FunctionModel, ModelRepository, ServedModel


def create_app(repository, **kwargs):
    """The FastAPI app serving ``repository`` (see ``glassnet.serve.app``)."""
    from glassnet.serve.app import create_app as make

    return make(repository, **kwargs)


__all__ = ["DriftMonitor", "FunctionModel", "ModelRepository", "ProtocolError", "ServedModel",
           "create_app", "load_reference", "save_reference"]
