"""Read a file's bytes as text, refusing what is not text and repairing mixed encodings."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes


class BadFileError(ValueError):
    """A file that cannot be ingested; the message says why, for the ingest report."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)


_WESTERN = ("cp1252", "latin_1", "iso8859_15", "utf_8", "mac_roman")


def _control_share(text: str) -> float:
    sample = text[:20000]
    if not sample:
        return 0.0
    bad = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f\v")
    return bad / len(sample)


def decode_bytes(data: bytes, *, name: str = "file") -> str:
    """Decode `data` to text or raise `BadFileError` (empty, binary, unknown encoding).

    UTF-8 first; a file that is mostly UTF-8 with some lines in a legacy encoding is
    decoded line by line (those lines as Windows-1252); otherwise charset-normalizer
    picks the encoding.
    """
    if not data.strip():
        raise BadFileError("empty file")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data.decode(encoding, errors="replace")
            return _checked(text)
    if b"\x00" in data[:8192]:
        raise BadFileError("binary file (contains NUL bytes)")
    try:
        return _checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    utf8_non_ascii = sum(1 for l in lines if not l.isascii() and _is_utf8(l))
    if utf8_non_ascii:
        return _checked("\n".join(_decode_line(l) for l in lines))
    matches = list(from_bytes(data))
    if not matches:
        raise BadFileError("not text in any known encoding")
    # Ties in chaos are common on short English text; prefer Western encodings,
    # which is what a UK newsroom's legacy files are.
    least = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= least + 0.01]
    preferred = next((m for enc in _WESTERN for m in tied if m.encoding == enc), tied[0])
    return _checked(str(preferred))


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_line(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _checked(text: str) -> str:
    if _control_share(text) > 0.05:
        raise BadFileError("binary or corrupt file (too many control characters)")
    if not text.strip():
        raise BadFileError("empty file")
    return text
