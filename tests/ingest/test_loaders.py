"""Every format loader, sidecars, ids, and bad input."""

from __future__ import annotations

import json

import pytest

from ingest.decode import BadFileError
from ingest.loaders import canonical_url, load_file, make_doc_id
from tests.conftest import MULTIHOP, SAMPLE


def _articles(result):
    return [d for d in result.documents if d.kind == "article"]


def _comments(result):
    return [d for d in result.documents if d.kind == "comment"]


def test_text_page_with_sidecar_gets_url_date_author_source():
    path = SAMPLE / "pages" / "01-staffing-flex-fund-146m.txt"
    result = load_file(path, "pages/01-staffing-flex-fund-146m.txt")
    article = _articles(result)[0]
    sidecar = json.loads(path.with_name("01-staffing-flex-fund-146m.meta.json").read_text())
    assert article.url == sidecar["url"]
    assert article.doc_id == "url:" + sidecar["url"].split("://")[1]
    assert article.published == sidecar["published_at"]
    assert article.source == "GP Frontline"
    assert article.title.startswith("NHS England adds £146m")
    comments = _comments(result)
    assert comments and all(c.parent_id == article.doc_id for c in comments)
    assert all(c.doc_id.startswith(article.doc_id + "#c") for c in comments)
    assert all(c.title == article.title and c.url == article.url for c in comments)


def test_text_page_without_sidecar_leaves_url_and_date_empty():
    result = load_file(SAMPLE / "pages" / "08-locum-rate-card-boycott.txt", "pages/08-locum-rate-card-boycott.txt")
    article = _articles(result)[0]
    assert article.url == "" and article.published == ""
    assert article.doc_id == "path:pages/08-locum-rate-card-boycott.txt"


def test_html_page_main_text_metadata_and_comments():
    path = next((SAMPLE / "html").glob("gp-training-places-*.html"))
    result = load_file(path, f"html/{path.name}")
    article = _articles(result)[0]
    assert article.title == "Government pledges 1,200 extra GP training places a year by 2028"
    assert article.url.startswith("https://gpfrontline.example/news/")
    assert article.published.startswith("2025-08-04")
    assert article.source == "GP Frontline"
    assert article.author
    assert article.text.startswith("GP specialty training posts in England will rise")  # the standfirst
    assert "cookie" not in article.text.lower() and "most read" not in article.text.lower()
    comments = _comments(result)
    assert len(comments) == 3
    assert comments[0].author == "Tired Trainer" and comments[0].published.startswith("2025-08-04T09:12")
    assert all(c.text not in article.text for c in comments)


def test_markdown_with_front_matter_and_comments():
    path = SAMPLE / "notes" / "winter-access-fund-58m.md"
    result = load_file(path, "notes/winter-access-fund-58m.md")
    article = _articles(result)[0]
    assert article.title.startswith("£58m winter access fund opens")
    assert article.published.startswith("2025-10-09")
    assert article.url.startswith("https://gpfrontline.example/")
    assert not article.text.startswith("#") and "**" not in article.text
    comments = _comments(result)
    assert len(comments) == 3 and comments[0].author == "Winter Is Coming GP"


def test_jsonl_export_records():
    result = load_file(SAMPLE / "export.jsonl", "export.jsonl")
    titles = [d.title for d in result.documents]
    assert len(titles) == 2 and titles[1].startswith("Pharmacy First handled 2.34 million")
    assert result.documents[0].published.startswith("2025-03-31")


def test_jsonl_malformed_lines_are_reported_and_the_rest_kept(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"title": "Good one", "body": "Text of the good record.", "url": "https://x.example/a"}\n'
                    '{"title": broken json\n'
                    '{"title": "No body"}\n'
                    '{"title": "Good two", "text": "Second record text.", "url": "https://x.example/b"}\n')
    result = load_file(path, "mixed.jsonl")
    assert [d.title for d in result.documents] == ["Good one", "Good two"]
    assert any("line 2" in w and "malformed" in w for w in result.warnings)
    assert any("line 3" in w and "no body" in w for w in result.warnings)


def test_json_with_no_usable_record_is_an_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"title": "x"}, 3]')
    with pytest.raises(BadFileError, match="no usable records"):
        load_file(path, "bad.json")


def test_malformed_json_is_an_error_with_position(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"title": "x",')
    with pytest.raises(BadFileError, match="malformed JSON"):
        load_file(path, "bad.json")


@pytest.mark.skipif(not (MULTIHOP / "corpus.json").exists(), reason="shared/bench not present")
def test_multihop_corpus_loads_as_it_is():
    result = load_file(MULTIHOP / "corpus.json", "corpus.json", max_bytes=50_000_000)
    assert len(result.documents) == 609 and not result.warnings
    first = result.documents[0]
    assert first.title and first.url and first.source and first.published[:4] == "2023"
    assert len({d.doc_id for d in result.documents}) == 609


def test_unsupported_and_oversized_files(tmp_path):
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(BadFileError, match="unsupported"):
        load_file(tmp_path / "a.pdf", "a.pdf")
    big = tmp_path / "big.txt"
    big.write_text("x" * 2000)
    with pytest.raises(BadFileError, match="too large"):
        load_file(big, "big.txt", max_bytes=1000)


def test_ids_are_stable_and_canonical():
    assert canonical_url("HTTPS://Example.COM/news/a/#frag") == "https://example.com/news/a"
    assert make_doc_id("https://example.com/news/a", "x.txt") == "url:example.com/news/a"
    assert make_doc_id("", "dir/x.txt") == "path:dir/x.txt"
