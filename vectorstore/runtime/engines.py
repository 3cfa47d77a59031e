"""The two runtimes, behind one small interface: hidden states for a tokenized batch.

Each keeps one compiled model per thread count, made on first use: one thread on the
query path (a warm bot answers fastest that way on a small shared machine), all cores
for ingest. Pooling and normalising are numpy, shared by both (`pool`)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token states, as sentence-transformers pools, then L2-normalised."""
    if mode == "cls":
        vectors = hidden[:, 0, :]
    else:
        weights = mask[:, :, None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


class OnnxEngine:
    """onnxruntime on an ONNX export (f32)."""

    backend = "onnx"

    def __init__(self, path: Path) -> None:
        import onnxruntime as ort

        self._ort = ort
        self.path = path
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()
        self.version = f"onnxruntime {ort.__version__}"

    def _session(self, threads: int):  # noqa: ANN202 - onnxruntime.InferenceSession
        with self._lock:
            session = self._sessions.get(threads)
            if session is None:
                opts = self._ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                opts.execution_mode = self._ort.ExecutionMode.ORT_SEQUENTIAL
                opts.log_severity_level = 3
                # no busy-waiting between ops: on a small shared machine spinning threads
                # steal the cores the other processes (and our own writer thread) need
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                session = self._ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
                self._sessions[threads] = session
            return session

    def hidden(self, batch: dict[str, np.ndarray], threads: int) -> np.ndarray:
        """Last hidden states, (batch, tokens, dim)."""
        session = self._session(threads)
        names = [i.name for i in session.get_inputs()]
        return session.run(None, {n: batch[n] for n in names})[0]


class OpenVinoEngine:
    """OpenVINO on an IR (f32, or int8 weights from nncf), always computing in f32."""

    backend = "openvino"

    def __init__(self, xml: Path) -> None:
        import openvino as ov

        self._ov = ov
        self._core = ov.Core()
        # OpenVINO's own cache of compiled models: a fresh process imports the compiled
        # blob instead of compiling again (about half the first question's cost)
        self._core.set_property({"CACHE_DIR": str(xml.parent / "compiled")})
        self._xml = str(xml)  # compiled from the path: with a cached blob the IR is never read
        self._compiled: dict[int, object] = {}
        self._lock = threading.Lock()
        self.version = f"openvino {ov.get_version().split('-')[0]}"

    def _request(self, threads: int):  # noqa: ANN202 - openvino.CompiledModel
        with self._lock:
            compiled = self._compiled.get(threads)
            if compiled is None:
                # f32 explicitly: on CPUs with bf16 or AMX the plugin would otherwise compute in bf16
                compiled = self._core.compile_model(self._xml, "CPU", {
                    "INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": "f32",
                    "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1,
                })
                self._compiled[threads] = compiled
            return compiled

    def hidden(self, batch: dict[str, np.ndarray], threads: int) -> np.ndarray:
        """Last hidden states, (batch, tokens, dim)."""
        compiled = self._request(threads)
        names = [p.get_any_name() for p in compiled.inputs]
        request = compiled.create_infer_request()  # one per call: safe across threads
        result = request.infer({n: batch[n] for n in names})
        return np.asarray(result[compiled.outputs[0]])
