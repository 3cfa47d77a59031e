"""Hostile documents: every loader and the page parser either parse or raise a clear
per-file error (BadFileError) on random bytes, deep HTML, enormous lines, control
characters and mixed encodings; never another exception."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.decode import BadFileError
from ingest.loaders import load_file
from ingest.textpage import PageParseError, parse_text_page

EXTENSIONS = [".txt", ".html", ".md", ".json", ".jsonl"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def examples(record_figure):
    """Counts the examples a hypothesis test body ran (the fixture lives for the whole test)."""
    counter: Counter[str] = Counter()
    yield counter
    record_figure("hypothesis_examples", counter["tried"])


def _load(tmp_path: Path, ext: str, data: bytes):
    path = tmp_path / f"doc{ext}"
    path.write_bytes(data)
    try:
        result = load_file(path, path.name, max_bytes=5_000_000)
    except BadFileError as exc:
        assert str(exc)  # a reason the report can show
        return None
    for doc in result.documents:
        assert doc.doc_id and isinstance(doc.text, str) and doc.text.strip()
    return result


@SETTINGS
@given(data=st.binary(max_size=4000), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes(tmp_path, examples, data, ext):
    examples["tried"] += 1
    _load(tmp_path, ext, data)


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=3000)


@SETTINGS
@given(text=_text, ext=st.sampled_from(EXTENSIONS))
def test_random_text_with_control_characters(tmp_path, examples, text, ext):
    examples["tried"] += 1
    _load(tmp_path, ext, text.encode("utf-8"))


@SETTINGS
@given(parts=st.lists(st.tuples(_text, st.sampled_from(["utf-8", "cp1252", "latin-1", "utf-16"])), max_size=6),
       ext=st.sampled_from(EXTENSIONS))
def test_mixed_encodings(tmp_path, examples, parts, ext):
    examples["tried"] += 1
    data = b"\n".join(t.encode(enc, errors="replace") for t, enc in parts)
    _load(tmp_path, ext, data)


@SETTINGS
@given(text=_text)
def test_page_parser_parses_or_says_why(examples, text):
    examples["tried"] += 1
    try:
        page = parse_text_page(text)
    except PageParseError as exc:
        assert str(exc)
    else:
        assert page.title and page.body


@pytest.mark.parametrize("depth", [50, 5000])
def test_deeply_nested_html(tmp_path, depth):
    html = "<html><body>" + "<div>" * depth + "<p>" + "Deep text of the article. " * 20 + "</p>" + \
           "</div>" * depth + "</body></html>"
    _load(tmp_path, ".html", html.encode())


def test_enormous_line(tmp_path):
    line = ("word " * 400_000).encode()  # a 2 MB single line
    result = _load(tmp_path, ".txt", b"Headline of the story\n\n" + line)
    if result is not None:
        assert len(result.documents[0].text) > 1_000_000


def test_json_nesting_bomb(tmp_path):
    _load(tmp_path, ".json", b"[" * 100_000 + b"]" * 100_000)
    _load(tmp_path, ".jsonl", b"[" * 100_000 + b"\n")
