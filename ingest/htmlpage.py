"""Read a saved HTML page: trafilatura finds the main text and the metadata (title,
canonical URL, date, author, site name); the readers' comments are read from the
page's comment markup (elements whose class names a comment, with author, time and
body children), which trafilatura keeps only as undifferentiated text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
import trafilatura

from .dates import parse_date
from .textpage import ParsedComment

_DATE_PARAMS = {"extensive_search": False, "original_date": True}
_META_DATE_KEYS = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "date", "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date",
)


@dataclass
class ParsedHtml:
    """What an HTML page holds once its furniture is gone."""

    title: str
    text: str
    url: str
    published: str
    author: str
    source: str
    comments: list[ParsedComment]


def _classes(el) -> str:  # noqa: ANN001
    return f" {(el.get('class') or '').lower()} "


def _meta_date(tree) -> str:  # noqa: ANN001
    for meta in tree.iter("meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _META_DATE_KEYS:
            found = parse_date(meta.get("content"))
            if found:
                return found
    return ""


def extract_comments(tree) -> list[ParsedComment]:  # noqa: ANN001
    """Comments from markup like <div class="comment"><span class="comment-author">…"""
    comments: list[ParsedComment] = []
    candidates = tree.xpath(
        "//*[contains(concat(' ', normalize-space(@class), ' '), ' comment ') or "
        "contains(concat(' ', normalize-space(@class), ' '), ' comment-item ') or @itemprop='comment' "
        "or @itemtype='https://schema.org/Comment' or @itemtype='http://schema.org/Comment']"
    )
    for el in candidates:
        if any(anc in candidates for anc in el.iterancestors()):
            continue  # a nested element of a comment already taken
        author_el = next(iter(el.xpath(".//*[contains(@class, 'author') or @itemprop='author' or contains(@class, 'username')]")), None)
        time_el = next(iter(el.xpath(".//time")), None)
        body_el = next(iter(el.xpath(".//*[contains(@class, 'body') or contains(@class, 'content') or contains(@class, 'text') or @itemprop='text']")), None)
        if body_el is None:
            paras = el.xpath(".//p")
            text = "\n".join(" ".join(p.text_content().split()) for p in paras)
        else:
            paras = body_el.xpath(".//p") or [body_el]
            text = "\n".join(" ".join(p.text_content().split()) for p in paras)
        text = text.strip()
        if not text:
            continue
        published = ""
        if time_el is not None:
            published = parse_date(time_el.get("datetime")) or parse_date(time_el.text_content().strip())
        author = " ".join(author_el.text_content().split()) if author_el is not None else ""
        comments.append(ParsedComment(text=text, author=author[:120], published=published))
    return comments


def _standfirst(tree) -> str:  # noqa: ANN001
    """The article's summary paragraph (trafilatura often drops it as furniture)."""
    for el in tree.xpath("//*[contains(@class, 'standfirst') or contains(@class, 'dek') "
                         "or contains(@class, 'subheadline') or contains(@class, 'article-summary') "
                         "or contains(@class, 'lede')]"):
        text = " ".join(el.text_content().split())
        if len(text) > 30:
            return text
    return ""


def _strip_comment_sections(tree) -> None:  # noqa: ANN001
    for el in tree.xpath("//*[contains(@class, 'comments') or @id='comments']"):
        el.drop_tree()


def parse_html_page(html: str) -> ParsedHtml:
    """Parse a saved HTML page. Raises ValueError when no main text is found."""
    try:
        tree = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ValueError(f"unreadable HTML: {exc}") from None
    comments = extract_comments(tree)
    standfirst = _standfirst(tree)
    meta_date = _meta_date(tree)
    _strip_comment_sections(tree)
    doc = trafilatura.bare_extraction(
        tree, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params=_DATE_PARAMS, deduplicate=False, favor_recall=True,
    )
    if doc is None or not (doc.text or "").strip():
        raise ValueError("no article text found in the HTML page")
    text = re.sub(r"\n+", "\n\n", doc.text.strip())
    if standfirst and standfirst[:60] not in text:
        text = f"{standfirst}\n\n{text}"
    return ParsedHtml(
        title=(doc.title or "").strip(),
        text=text,
        url=(doc.url or "").strip(),
        published=meta_date or parse_date(doc.date),
        author=(doc.author or "").strip(),
        source=(doc.sitename or "").strip(),
        comments=comments,
    )
