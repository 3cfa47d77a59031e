"""The model's own fast tokenizer (`tokenizers`, no transformers or torch), used the way
sentence-transformers uses it: lower-case when the model says so, truncate to the
model's window (special tokens included), pad to the longest text of the batch."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .modelinfo import ModelInfo

WIDTH_STEP = 16  # batch widths are rounded up to a multiple of this (at most the model's window)


class FastTokenizer:
    """Tokenizes for the fast runtimes and counts tokens for the chunker."""

    def __init__(self, info: ModelInfo) -> None:
        from tokenizers import Tokenizer

        self.info = info
        path = str(info.path / "tokenizer.json")
        self._plain = Tokenizer.from_file(path)  # counting: no truncation, no padding
        self._plain.no_truncation()
        self._plain.no_padding()
        self._window = Tokenizer.from_file(path)  # embedding: cut at the window like ST
        self._window.no_padding()
        self._window.enable_truncation(max_length=info.max_seq_length, strategy="longest_first")
        self.window = info.max_seq_length
        pad = self._window.token_to_id("[PAD]")
        self.pad_id = 0 if pad is None else pad

    def _prepare(self, texts: Sequence[str]) -> list[str]:
        texts = [str(t) for t in texts]
        return [t.lower() for t in texts] if self.info.do_lower_case else texts

    def count(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each text without special tokens and without truncation."""
        if not texts:
            return []
        return [len(e.ids) for e in self._plain.encode_batch(self._prepare(texts), add_special_tokens=False)]

    def batch(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """input_ids, attention_mask and token_type_ids (int64), padded to the longest text
        rounded up to a multiple of `WIDTH_STEP` (never past the model's window)."""
        encs = self._window.encode_batch(self._prepare(texts), add_special_tokens=True)
        # widths rounded up to a multiple of WIDTH_STEP: the runtime keeps compiled state for
        # every input shape it meets, and one-by-one questions of every length grew a bot by
        # ~90 MB; padded positions are masked, so the vectors do not change
        longest = max(1, max(len(e.ids) for e in encs))
        width = min(max(longest, self.window), -(-longest // WIDTH_STEP) * WIDTH_STEP)
        ids = np.full((len(encs), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        types = np.zeros((len(encs), width), dtype=np.int64)
        for row, enc in enumerate(encs):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = 1
            types[row, :n] = enc.type_ids
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}

    def __call__(self, text: str | Sequence[str], *, add_special_tokens: bool = True, truncation: bool = False,
                 **_ignored: object) -> dict[str, list]:
        """A small part of the Hugging Face tokenizer call (`tok(text)["input_ids"]`)."""
        single = isinstance(text, str)
        texts = self._prepare([text] if single else list(text))
        tok = self._window if truncation else self._plain
        ids = [e.ids for e in tok.encode_batch(texts, add_special_tokens=add_special_tokens)]
        return {"input_ids": ids[0] if single else ids}
