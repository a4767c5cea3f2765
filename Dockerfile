# glassnet's model server: `glassnet serve` over the models mounted at /models (a model
# repository, {name}/{version}/model.keras or model.onnx, or a single model file).
#
#   docker build -t glassnet-serve .
#   docker run --rm -v "$PWD/models:/models:ro" -p 127.0.0.1:8000:8000 glassnet-serve
#   curl localhost:8000/v2/health/ready
#
# Inside the container the server listens on 0.0.0.0 (the only way to reach it from the
# host); publish it on the host's loopback, as above, unless it is meant for the network.
# Arguments after the image name replace the CMD: `... glassnet-serve /models/fashion.keras
# --host 0.0.0.0 --port 8000 --max-batch-size 32`. The HEALTHCHECK asks port 8000.
#
# BASE: any Debian-like image with python3 (3.10 or newer) and its venv module.
# EXTRAS: the optional dependencies installed; "serve" alone is the smallest image
# (.keras models only), h5 adds .h5 files, onnx adds .onnx models through ONNX Runtime.
ARG BASE=python:3.11-slim
FROM ${BASE}

ARG EXTRAS=serve,h5,onnx
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

# A virtual environment, not the system's Python: the same install on python:3.11-slim and
# on a Debian python3, whose system site-packages pip may not write to
RUN python3 -m venv /opt/venv

COPY pyproject.toml README.md /src/
COPY glassnet /src/glassnet
RUN pip install "/src[${EXTRAS}]" && rm -rf /src

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin glassnet
USER glassnet
WORKDIR /home/glassnet

EXPOSE 8000
# 503 until a model is loaded; python, since slim images have no curl
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/v2/health/ready', timeout=4)"]
ENTRYPOINT ["glassnet", "serve"]
CMD ["/models", "--host", "0.0.0.0", "--port", "8000"]
