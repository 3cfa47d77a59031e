"""Decoding bytes: encodings, mixed encodings, binary and empty files."""

from __future__ import annotations

import pytest

from ingest.decode import BadFileError, decode_bytes


def test_utf8_and_bom():
    assert decode_bytes("£82m ‘quoted’".encode()) == "£82m ‘quoted’"
    assert decode_bytes(b"\xef\xbb\xbfhello") == "hello"
    assert decode_bytes("hello £".encode("utf-16")) == "hello £"


def test_legacy_encoding():
    text = "The £1.4bn fund – for practices – was welcomed by the BMA’s committee. " * 3
    assert decode_bytes(text.encode("cp1252")) == text


def test_mixed_utf8_and_cp1252_lines():
    data = "First line costs £82m in UTF-8\n".encode() + "Second line costs £5 in cp1252\n".encode("cp1252")
    assert decode_bytes(data) == "First line costs £82m in UTF-8\nSecond line costs £5 in cp1252\n"


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"   \n\n ", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (bytes(range(1, 31)) * 50, "binary"),
])
def test_refused(data, reason):
    with pytest.raises(BadFileError, match=reason):
        decode_bytes(data)
