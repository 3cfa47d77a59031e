"""Read a Markdown article with optional YAML front matter (python-frontmatter).

Front matter keys: title, url, published_at (or date), author, source. Without a
title key, the first "# " heading is the title. An optional "## Readers' comments"
section holds comments as "**Name** (2025-05-02 10:14):" followed by the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import frontmatter

from .dates import parse_date
from .textpage import ParsedComment

_COMMENTS_HEADING = re.compile(r"^#{1,6}\s*(readers['’]?\s+)?comments\b.*$", re.IGNORECASE | re.MULTILINE)
_COMMENT_HEAD = re.compile(r"^\s*[-*]?\s*\*\*(?P<name>[^*]+)\*\*\s*(?:\((?P<date>[^)]*)\))?\s*:?\s*(?P<rest>.*)$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)(?=\S)(.+?)(?<=\S)\1")


@dataclass
class ParsedMarkdown:
    """A Markdown article: front matter fields, plain body text, comments."""

    meta: dict[str, Any]
    title: str
    text: str
    comments: list[ParsedComment]


def plain(markdown: str) -> str:
    """Markdown to plain paragraphs: links keep their text, emphasis and headings go."""
    text = _LINK.sub(r"\1", markdown)
    text = _EMPHASIS.sub(r"\2", text)
    text = re.sub(r"^#{1,6}\s*", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*>\s?", "", text, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _parse_comments(section: str) -> list[ParsedComment]:
    comments: list[ParsedComment] = []
    for block in re.split(r"\n(?=\s*[-*]?\s*\*\*[^*]+\*\*)", section):
        match = _COMMENT_HEAD.match(block.strip().split("\n", 1)[0]) if block.strip() else None
        if not match:
            continue
        rest = block.strip().split("\n", 1)
        body = " ".join([match.group("rest"), rest[1] if len(rest) > 1 else ""]).strip()
        if body:
            comments.append(ParsedComment(text=plain(body), author=match.group("name").strip(),
                                          published=parse_date(match.group("date"))))
    return comments


def parse_markdown(source: str) -> ParsedMarkdown:
    """Parse a Markdown file's text. Raises ValueError when there is no body."""
    try:
        post = frontmatter.loads(source)
    except Exception as exc:  # YAML errors come in many types
        raise ValueError(f"bad front matter: {str(exc).splitlines()[0]}") from None
    content = post.content
    comments: list[ParsedComment] = []
    heading = _COMMENTS_HEADING.search(content)
    if heading:
        comments = _parse_comments(content[heading.end():])
        content = content[: heading.start()]
    title = str(post.metadata.get("title") or "").strip()
    first_heading = re.search(r"^#\s+(.+)$", content, flags=re.MULTILINE)
    if first_heading:
        if not title:
            title = first_heading.group(1).strip()
        if first_heading.group(1).strip() == title:
            content = content[: first_heading.start()] + content[first_heading.end():]
    text = plain(content)
    if not text:
        raise ValueError("no article text in the Markdown file")
    return ParsedMarkdown(meta=dict(post.metadata), title=title, text=text, comments=comments)
