"""RemoteMonitor: post each epoch's logs to an HTTP server as JSON.

Uses the standard library (`urllib`), so no extra package is needed. A server that cannot be
reached gives a warning, not an error: monitoring never stops training.
"""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.registry.export import keras_export


@keras_export("callbacks.RemoteMonitor")
class RemoteMonitor(Callback):
    """Send `{"epoch": epoch, **logs}` to `root + path` with an HTTP POST at each epoch's end.

    Args:
        root: root URL of the server.
        path: path on the server, relative to `root`.
        field: name of the form field holding the JSON (when `send_as_json=False`).
        headers: optional dict of extra HTTP headers.
        send_as_json: send the JSON itself as the body (`application/json`) instead of inside
            a form (`application/x-www-form-urlencoded`, field `field`).
        timeout: seconds to wait for the server before warning and going on.

    Example:
        model.fit(x, y, callbacks=[RemoteMonitor(root="http://localhost:9000")])
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False, timeout=10.0):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = send_as_json
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        payload = {"epoch": epoch}
        for key, value in (logs or {}).items():
            payload[key] = _plain(value)
        if self.send_as_json:
            body = json.dumps(payload).encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(payload)}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **(self.headers or {})}
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server answered (with an error status): it was reached, as in Keras
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)


def _plain(value):
    """A JSON-able Python value for a log entry (tensors and numpy scalars unwrapped)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().item() if value.numel() == 1 else value.tolist()
    if isinstance(value, (np.ndarray, np.generic)):
        return value.item() if value.size == 1 else value.tolist()
    return value
