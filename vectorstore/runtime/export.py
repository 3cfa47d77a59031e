"""Exporting the model folder, once, to ONNX and OpenVINO IR (f32, or int8 weights).

Only this module imports torch (and transformers, nncf), and only when an export is
missing from the cache. Exports are written to a temporary name and renamed, under a
file lock, so two processes never see half a file."""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import os
import shutil
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_OPSET = 17


def export_onnx(model_dir: Path, dest: Path) -> Path:
    """The transformer (without pooling) as ONNX: inputs as the tokenizer gives them,
    output the last hidden state, batch and length dynamic."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()
    accepted = set(inspect.signature(model.forward).parameters)
    names = [n for n in INPUTS if n in accepted]

    class Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, args))).last_hidden_state

    example = tuple(torch.ones((2, 12), dtype=torch.long) if n != "token_type_ids"
                    else torch.zeros((2, 12), dtype=torch.long) for n in names)
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Hidden(model), example, str(tmp), input_names=names, output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=ONNX_OPSET, dynamo=False)
    os.replace(tmp, dest)
    return dest


def export_openvino(onnx_path: Path, dest_dir: Path, precision: str) -> Path:
    """An OpenVINO IR from the ONNX export; int8 compresses the weights with nncf
    (weights only, asymmetric per channel: activations stay f32, so a text's vector
    does not depend on the rest of its batch)."""
    import openvino as ov

    model = ov.convert_model(str(onnx_path))
    if precision == "int8":
        import nncf

        logging.getLogger("nncf").setLevel(logging.ERROR)
        with contextlib.redirect_stdout(io.StringIO()):  # nncf draws a progress bar
            model = nncf.compress_weights(model, mode=nncf.CompressWeightsMode.INT8_ASYM)
    tmp = dest_dir.with_name(f".{dest_dir.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    # compress_to_fp16=False: the default would silently store f32 weights as fp16
    ov.save_model(model, str(tmp / "model.xml"), compress_to_fp16=False)
    shutil.rmtree(dest_dir, ignore_errors=True)
    os.replace(tmp, dest_dir)
    return dest_dir / "model.xml"
