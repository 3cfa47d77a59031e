"""Turn one file into `Document`s: the article(s) it holds and their readers' comments.

Formats by extension: scraped page text (.txt), HTML (.html, .htm), Markdown with front
matter (.md, .markdown), JSON (.json: a list of records, {"articles": [...]}, or one
record) and JSON Lines (.jsonl, .ndjson). A `.txt` page may have a sidecar
`<name>.meta.json` giving what the scraper knew (url, published_at, author, source).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

from .dates import parse_date
from .decode import BadFileError, decode_bytes
from .documents import ARTICLE, COMMENT, Document
from .htmlpage import parse_html_page
from .markdown import parse_markdown
from .textpage import ParsedComment, PageParseError, parse_text_page

TEXT_EXT = {".txt", ".text"}
HTML_EXT = {".html", ".htm", ".xhtml"}
MARKDOWN_EXT = {".md", ".markdown"}
JSON_EXT = {".json"}
JSONL_EXT = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_EXT | HTML_EXT | MARKDOWN_EXT | JSON_EXT | JSONL_EXT
SIDECAR_SUFFIX = ".meta.json"

_TITLE_KEYS = ("title", "headline", "name")
_BODY_KEYS = ("body", "text", "content", "article", "articleBody")
_URL_KEYS = ("url", "link", "canonical_url", "permalink")
_DATE_KEYS = ("published_at", "published", "date", "publishedAt", "datePublished", "pubDate", "created_at")
_AUTHOR_KEYS = ("author", "byline", "creator")
_SOURCE_KEYS = ("source", "outlet", "publisher", "site", "site_name")


@dataclass
class LoadResult:
    """The documents read from one file, and per-record problems that were skipped."""

    documents: list[Document]
    warnings: list[str] = field(default_factory=list)


def is_sidecar(path: Path) -> bool:
    """True for a `.meta.json` sidecar (read with its page, never on its own)."""
    return path.name.endswith(SIDECAR_SUFFIX)


def canonical_url(url: str) -> str:
    """Normalise a URL for use as an identity: lower-case host, no fragment or trailing slash."""
    url = (url or "").strip()
    if not url or not re.match(r"^https?://", url, re.IGNORECASE):
        return url
    parts = urlsplit(url)
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def make_doc_id(url: str, rel_path: str, record_key: str = "") -> str:
    """Stable document id: the canonical URL when there is one, else the relative path."""
    if url and re.match(r"^https?://", url, re.IGNORECASE):
        return "url:" + canonical_url(url).split("://", 1)[1]
    return "path:" + rel_path + (f"#{record_key}" if record_key else "")


def _first(record: dict[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = record.get(key)
        if value not in (None, ""):
            return value
    return None


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value if v)
    if isinstance(value, dict):
        return _as_text(value.get("name") or value.get("title") or "")
    return " ".join(str(value).split()) if not isinstance(value, str) or "\n" not in value else value.strip()


def _article_with_comments(*, title: str, text: str, url: str, published: str, author: str, source: str,
                           rel_path: str, comments: list[ParsedComment], record_key: str = "",
                           standfirst: str = "") -> list[Document]:
    url = canonical_url(url) if url else ""
    doc_id = make_doc_id(url, rel_path, record_key)
    article = Document(doc_id=doc_id, title=title, text=text, url=url, published=published, author=author,
                       source=source, kind=ARTICLE, path=rel_path, standfirst=standfirst)
    docs = [article]
    for n, comment in enumerate(comments, start=1):
        docs.append(Document(doc_id=f"{doc_id}#c{n}", title=title, text=comment.text, url=url,
                             published=comment.published, author=comment.author, source=source, kind=COMMENT,
                             parent_id=doc_id, position=n, path=rel_path))
    return docs


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path.with_name(path.name[: -len(path.suffix)] + SIDECAR_SUFFIX)
    if not sidecar.exists():
        return {}
    try:
        data = json.loads(decode_bytes(sidecar.read_bytes(), name=str(sidecar)))
    except (ValueError, BadFileError) as exc:
        raise BadFileError(f"bad sidecar {sidecar.name}: {exc}") from None
    if not isinstance(data, dict):
        raise BadFileError(f"bad sidecar {sidecar.name}: not a JSON object")
    return data


def load_text_page(path: Path, text: str, rel_path: str, default_source: str) -> LoadResult:
    """A scraped page (.txt), completed by its sidecar when there is one."""
    try:
        page = parse_text_page(text)
    except PageParseError as exc:
        raise BadFileError(str(exc)) from None
    meta = _read_sidecar(path)
    docs = _article_with_comments(
        title=_as_text(_first(meta, _TITLE_KEYS)) or page.title,
        text=page.body,
        url=_as_text(_first(meta, _URL_KEYS)),
        published=parse_date(_first(meta, _DATE_KEYS)) or page.published,
        author=_as_text(_first(meta, _AUTHOR_KEYS)) or page.author,
        source=_as_text(_first(meta, _SOURCE_KEYS)) or default_source,
        rel_path=rel_path, comments=page.comments, standfirst=page.standfirst,
    )
    return LoadResult(docs)


def load_html(text: str, rel_path: str, default_source: str) -> LoadResult:
    """A saved HTML page."""
    try:
        page = parse_html_page(text)
    except ValueError as exc:
        raise BadFileError(str(exc)) from None
    title = page.title or Path(rel_path).stem
    docs = _article_with_comments(title=title, text=page.text, url=page.url, published=page.published,
                                  author=page.author, source=page.source or default_source,
                                  rel_path=rel_path, comments=page.comments)
    return LoadResult(docs)


def load_markdown(text: str, rel_path: str, default_source: str) -> LoadResult:
    """A Markdown article with optional front matter."""
    try:
        md = parse_markdown(text)
    except ValueError as exc:
        raise BadFileError(str(exc)) from None
    meta = md.meta
    docs = _article_with_comments(
        title=md.title or Path(rel_path).stem, text=md.text, url=_as_text(_first(meta, _URL_KEYS)),
        published=parse_date(_first(meta, _DATE_KEYS)), author=_as_text(_first(meta, _AUTHOR_KEYS)),
        source=_as_text(_first(meta, _SOURCE_KEYS)) or default_source, rel_path=rel_path, comments=md.comments,
    )
    return LoadResult(docs)


def record_to_documents(record: Any, rel_path: str, default_source: str, index: int) -> list[Document]:
    """One JSON record (title, body/text, url, published_at, author, source, comments)."""
    if not isinstance(record, dict):
        raise ValueError("record is not a JSON object")
    body = _first(record, _BODY_KEYS)
    if isinstance(body, list):
        body = "\n\n".join(str(p) for p in body)
    body = str(body or "").strip()
    if not body:
        raise ValueError("record has no body or text")
    title = _as_text(_first(record, _TITLE_KEYS))
    url = _as_text(_first(record, _URL_KEYS))
    key = ""
    if not re.match(r"^https?://", url or "", re.IGNORECASE):
        key = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80] or f"r{index}"
    comments = []
    for c in record.get("comments") or []:
        if isinstance(c, dict) and str(c.get("text") or c.get("body") or "").strip():
            comments.append(ParsedComment(text=str(c.get("text") or c.get("body")).strip(),
                                          author=_as_text(c.get("author") or c.get("name")),
                                          published=parse_date(_first(c, _DATE_KEYS))))
    return _article_with_comments(
        title=title or f"{Path(rel_path).stem} #{index}", text=body, url=url,
        published=parse_date(_first(record, _DATE_KEYS)), author=_as_text(_first(record, _AUTHOR_KEYS)),
        source=_as_text(_first(record, _SOURCE_KEYS)) or default_source, rel_path=rel_path,
        comments=comments, record_key=key,
    )


def _records_result(records: Iterable[tuple[int, Any]], rel_path: str, default_source: str,
                    warnings: list[str], label: str = "record") -> LoadResult:
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for index, record in records:
        try:
            found = record_to_documents(record, rel_path, default_source, index)
        except ValueError as exc:
            warnings.append(f"{label} {index}: {exc}")
            continue
        doc_id = found[0].doc_id
        if doc_id in seen:  # two records with one URL/title: keep both, distinctly
            seen[doc_id] += 1
            suffix = f"~{seen[doc_id]}"
            for d in found:
                d.doc_id = d.doc_id.replace(doc_id, doc_id + suffix, 1)
                d.parent_id = d.parent_id.replace(doc_id, doc_id + suffix, 1) if d.parent_id else ""
        else:
            seen[doc_id] = 0
        docs.extend(found)
    if not docs:
        detail = f" ({warnings[0]})" if warnings else ""
        raise BadFileError(f"no usable records{detail}")
    return LoadResult(docs, warnings)


def load_json(text: str, rel_path: str, default_source: str) -> LoadResult:
    """A JSON file: a list of records, an object with a list under a key, or one record."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadFileError(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadFileError("malformed JSON: nested too deeply") from None
    if isinstance(data, dict):
        listed = next((v for k, v in data.items() if k in ("articles", "items", "records", "data", "documents")
                       and isinstance(v, list)), None)
        data = listed if listed is not None else [data]
    if not isinstance(data, list):
        raise BadFileError("JSON is neither a list of records nor a record")
    return _records_result(enumerate(data), rel_path, default_source, [])


def load_jsonl(text: str, rel_path: str, default_source: str) -> LoadResult:
    """JSON Lines: one record per line; malformed lines are reported and skipped."""
    warnings: list[str] = []
    records: list[tuple[int, Any]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            warnings.append(f"line {lineno}: malformed JSON ({exc.msg})")
        except RecursionError:
            warnings.append(f"line {lineno}: malformed JSON (nested too deeply)")
    return _records_result(records, rel_path, default_source, warnings, label="line")


def load_file(path: Path, rel_path: str, *, default_source: str = "", max_bytes: int = 20_000_000) -> LoadResult:
    """Read one file into documents. Raises `BadFileError` with the reason when it cannot."""
    ext = path.suffix.lower()
    if ext not in SUPPORTED:
        raise BadFileError(f"unsupported file type {ext or '(none)'}")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadFileError(f"file too large ({size / 1e6:.1f} MB > {max_bytes / 1e6:.1f} MB limit)")
        data = path.read_bytes()
    except OSError as exc:
        raise BadFileError(f"unreadable: {exc.strerror or exc}") from None
    text = decode_bytes(data, name=rel_path)
    if ext in TEXT_EXT:
        return load_text_page(path, text, rel_path, default_source)
    if ext in HTML_EXT:
        return load_html(text, rel_path, default_source)
    if ext in MARKDOWN_EXT:
        return load_markdown(text, rel_path, default_source)
    if ext in JSONL_EXT:
        return load_jsonl(text, rel_path, default_source)
    return load_json(text, rel_path, default_source)
