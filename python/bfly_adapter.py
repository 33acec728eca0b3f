"""bfly's Python framework adapter: one persistent worker per run, driven over stdio.

Frames both ways: a 4-byte little-endian length, a JSON header of that many bytes, then the
binary buffers whose sizes the header lists ("sizes"). Matrices travel as raw little-endian
float64, row-major; fitted models as pickles. Commands: versions, fit, predict, proba, save,
load, drop. An error answers {"error": {"kind", "message", "traceback"}}; the worker goes on.
Anything the estimators print goes to stderr, never into the protocol.
"""
import importlib
import io
import json
import os
import pickle
import struct
import sys
import traceback

PROTOCOL = os.fdopen(os.dup(1), "wb", buffering=0)
os.dup2(2, 1)  # prints from libraries go to stderr
sys.stdout = sys.stderr
REQUESTS = os.fdopen(os.dup(0), "rb", buffering=0)

import numpy as np  # noqa: E402  (after the redirect: its warnings go to stderr)


def read_exact(n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = REQUESTS.readinto(view[got:])
        if not k:
            raise EOFError
        got += k
    return buf


def receive():
    (size,) = struct.unpack("<I", read_exact(4))
    header = json.loads(bytes(read_exact(size)))
    buffers = [read_exact(n) for n in header.get("sizes", [])]
    return header, buffers


def send(header, buffers=()):
    views = [memoryview(b).cast("B") for b in buffers]
    header["sizes"] = [v.nbytes for v in views]
    data = json.dumps(header).encode()
    PROTOCOL.write(struct.pack("<I", len(data)) + data)
    for v in views:
        while v.nbytes > 0:  # unbuffered writes may be partial
            n = PROTOCOL.write(v)
            v = v[n:]


def estimator_class(spec):
    framework, path = spec.split(":", 1)
    if framework == "xgboost":
        module, name = "xgboost", path
    else:
        module, name = path.rsplit(".", 1)
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise AdapterError("import", "cannot import %s: %s" % (module, e))
    cls = getattr(mod, name, None)
    if cls is None:
        raise AdapterError("import", "%s has no %s" % (module, name))
    return cls


class AdapterError(Exception):
    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def matrix(buffer, rows, cols):
    return np.frombuffer(buffer, dtype="<f8").reshape(rows, cols)


def versions():
    out = {"python": "%d.%d.%d" % sys.version_info[:3], "numpy": np.__version__}
    for name in ("sklearn", "xgboost"):
        try:
            out[name] = importlib.import_module(name).__version__
        except ImportError:
            pass
    return out


models = {}


def handle(h, b):
    cmd = h["cmd"]
    if cmd == "versions":
        return {"versions": versions()}, []
    if cmd == "fit":
        cls = estimator_class(h["spec"])
        params = dict(h.get("params") or {})
        est = cls(**params)
        if not hasattr(est, "fit"):
            raise AdapterError("exception", "%s has no fit method: it is not an estimator" % h["spec"])
        if hasattr(est, "get_params") and "random_state" in est.get_params() and "random_state" not in params:
            est.set_params(random_state=h["seed"])
        kind = getattr(est, "_estimator_type", None)
        task = h["task"]
        if kind is not None and kind != ("classifier" if task == "classification" else "regressor"):
            raise AdapterError("exception", "%s is a %s, but this experiment is %s" % (h["spec"], kind, task))
        X = matrix(b[0], h["rows"], h["cols"])
        y = np.frombuffer(b[1], dtype="<f8")
        if task == "classification":
            y = y.astype(np.int64)
        est.fit(X, y)
        models[h["id"]] = est
        return {"ok": True}, []
    if cmd == "predict":
        est = models[h["id"]]
        return {"ok": True}, [np.ascontiguousarray(est.predict(matrix(b[0], h["rows"], h["cols"])), dtype="<f8")]
    if cmd == "proba":
        est = models[h["id"]]
        X = matrix(b[0], h["rows"], h["cols"])
        k = h["classes"]
        out = np.zeros((X.shape[0], k), dtype="<f8")
        classes = [int(c) for c in getattr(est, "classes_", range(k))]
        if hasattr(est, "predict_proba"):
            p = est.predict_proba(X)
            for j, c in enumerate(classes):
                out[:, c] = p[:, j]
        else:  # no probabilities: the predicted class has all of it
            for i, c in enumerate(est.predict(X)):
                out[i, int(c)] = 1.0
        return {"ok": True}, [out]
    if cmd == "save":
        return {"ok": True}, [pickle.dumps(models[h["id"]], protocol=4)]
    if cmd == "load":
        models[h["id"]] = pickle.loads(b[0])
        return {"ok": True}, []
    if cmd == "onnx":
        # the framework's own converter: skl2onnx for scikit-learn, onnxmltools for XGBoost
        est = models[h["id"]]
        cols = h["cols"]
        classifier = h["task"] == "classification"
        try:
            if h["spec"].startswith("xgboost:"):
                from onnxmltools import convert_xgboost
                from onnxmltools.convert.common.data_types import FloatTensorType
                onx = convert_xgboost(est, initial_types=[("X", FloatTensorType([None, cols]))])
            else:
                from skl2onnx import to_onnx
                onx = to_onnx(est, np.zeros((1, cols), dtype=np.float32), options={id(est): {"zipmap": False}} if classifier else None)
        except ImportError as e:
            raise AdapterError("converter", "the converter is not importable (%s): %s" % ("onnxmltools" if h["spec"].startswith("xgboost:") else "skl2onnx", e))
        return {"ok": True}, [onx.SerializeToString()]
    if cmd == "drop":
        models.pop(h["id"], None)
        return {"ok": True}, []
    raise AdapterError("protocol", "unknown command %r" % cmd)


def main():
    while True:
        try:
            h, b = receive()
        except EOFError:
            return
        try:
            header, buffers = handle(h, b)
        except AdapterError as e:
            header, buffers = {"error": {"kind": e.kind, "message": str(e), "traceback": ""}}, []
        except Exception as e:  # the estimator's own error
            last = "%s: %s" % (type(e).__name__, e)
            header, buffers = {"error": {"kind": "exception", "message": last.strip().splitlines()[-1] if last.strip() else type(e).__name__, "traceback": traceback.format_exc()}}, []
        send(header, buffers)


if __name__ == "__main__":
    main()
