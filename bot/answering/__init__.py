"""Answering: the gate that decides whether the coverage answers, and the answerers."""

from .base import Answerer, Evidence
from .extractive import ExtractiveAnswerer, ExtractiveConfig
from .gate import Gate, GateConfig, Verdict

__all__ = ["Answerer", "Evidence", "ExtractiveAnswerer", "ExtractiveConfig", "Gate", "GateConfig", "Verdict"]
