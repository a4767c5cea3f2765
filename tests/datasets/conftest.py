"""Fixtures of the dataset tests: a GLASSNET_HOME in a temporary folder and a local HTTP
server on 127.0.0.1 (no test reaches the network)."""

import http.server
import threading

import pytest


class _Served(dict):
    def __init__(self):
        super().__init__()
        self.hits = []


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    return tmp_path / "datasets"


@pytest.fixture
def server():
    """``(base URL, files)``: the server answers ``GET /name`` with ``files[name]`` (404 when
    absent) and records each request path in ``files.hits``."""
    files = _Served()
    hits = files.hits

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            body = files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/", files
    httpd.shutdown()
    httpd.server_close()
