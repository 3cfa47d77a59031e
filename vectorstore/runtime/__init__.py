"""Fast embedding runtimes: the configured sentence-transformers model, exported once to
OpenVINO or onnxruntime and run directly (tokenize with `tokenizers`, mean-pool,
normalise), so encoding a question never imports torch.

sentence-transformers stays the reference: every export is checked against it on a
probe set before first use (`check.py`), and the result is cached with the export.
"""

from .select import FastRuntime, RuntimeUnavailable, select_runtime

__all__ = ["FastRuntime", "RuntimeUnavailable", "select_runtime"]
