"""Parse a news page saved as plain text: drop the site's boilerplate, find the headline,
standfirst and body, and split the readers' comments out.

The shapes handled are those of the target publication's scraped pages (see
`../shared/seeds`): a comments section opened by "READERS' COMMENTS [3]" with
"<name> <date> <time>" headers, or by "Readers' comments (46)" with bulleted,
unnamed comments each followed by "Report this comment". Written by hand: no
library knows this publication's page furniture, and the rules are short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from .dates import parse_date

# Lines that are site furniture, never content. Matched against a whole stripped line.
BOILERPLATE = [
    r"this site is intended for (health|healthcare) professionals only\.?",
    r"at the heart of general practice since \d{4}",
    r"read the latest issue online",
    r"(unsuitable or offensive\?\s*)?report this comment",
    r"view results.*per page.*",
    r"\d+ results per page",
    r"have your say",
    r"please note,? only .{0,40} (are|is) permitted to (add|post) comments.*",
    r"(log|sign) ?in to (comment|reply|view).*",
    r"(share|save) this (article|story)",
    r"(most read|related articles|related stories|recommended|newsletter sign ?up.*|subscribe.*)",
    r"(previous|next)( page| article)?",
    r"(page \d+ of \d+|\d+ of \d+)",
    r"(accept|reject) (all )?cookies.*",
    r"(advertisement|advert|sponsored)",
    r"(reply|like|dislike|quote)( \(\d+\))?",
]
_BOILERPLATE_RE = re.compile(r"^(?:" + "|".join(BOILERPLATE) + r")$", re.IGNORECASE)

COMMENTS_HEADER_RE = re.compile(
    r"^(?:readers['’]?\s+comments|comments)\s*(?:\[(?P<a>\d+)\]|\((?P<b>\d+)\))?\s*:?$",
    re.IGNORECASE,
)
# "So the bird flew away 1 August, 2024 4:53 pm"
NAMED_COMMENT_RE = re.compile(
    r"^(?P<name>.+?)\s+(?P<date>\d{1,2}\s+[A-Za-z]+,?\s+\d{4})\s+(?P<time>\d{1,2}[:.]\d{2}\s*[ap]\.?m\.?)$",
    re.IGNORECASE,
)
BULLET_RE = re.compile(r"^\s*[•●▪◦*·-]\s+(?P<text>.*)$")
BYLINE_RE = re.compile(r"^[Bb]y\s+(?P<name>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,4})(?:\s*[,|]\s*.*)?$")
DATE_LINE_RE = re.compile(
    r"^(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?\d{1,2}\s+[A-Za-z]+,?\s+\d{4}(?:\s+\d{1,2}[:.]\d{2}\s*(?:[ap]m)?)?$",
    re.IGNORECASE,
)
LABEL_PREFIX_RE = re.compile(r"^(Exclusive|Analysis|Breaking|Opinion|Comment|Updated)\s+(?=[A-Z])")


@dataclass
class ParsedComment:
    """A reader's comment as it appears on the page."""

    text: str
    author: str = ""
    published: str = ""


@dataclass
class ParsedPage:
    """What a page holds once its furniture is gone."""

    title: str
    standfirst: str
    paragraphs: list[str]
    author: str = ""
    published: str = ""
    comments: list[ParsedComment] = field(default_factory=list)
    declared_comment_count: int | None = None

    @property
    def body(self) -> str:
        """Standfirst and body paragraphs, separated by blank lines."""
        parts = [self.standfirst, *self.paragraphs] if self.standfirst else self.paragraphs
        return "\n\n".join(p for p in parts if p)


class PageParseError(ValueError):
    """The text does not look like an article (no headline or no body)."""


def is_boilerplate(line: str) -> bool:
    """True when a stripped line is site furniture rather than content."""
    return bool(_BOILERPLATE_RE.match(line.strip()))


def _blocks(lines: list[str]) -> list[list[str]]:
    """Group lines into blank-line separated blocks of stripped, non-furniture lines."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line or is_boilerplate(line):
            if current:
                blocks.append(current)
                current = []
            continue
        current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _is_title_like(line: str) -> bool:
    """A headline: short, one line, not ending like a sentence of body text."""
    return 8 <= len(line) <= 220 and not line.endswith((".", ":", ";", ","))


def _unwrap(block: list[str]) -> list[str]:
    """Join hard-wrapped lines of a block back into paragraphs, keeping headline lines apart."""
    items: list[str] = []
    for line in block:
        if items and (
            items[-1].endswith(("-", ",", ";"))
            or (not items[-1].endswith((".", "!", "?", ":", "'", '"', "’", "”", ")")) and line[:1].islower())
        ):
            items[-1] = f"{items[-1]} {line}"
        else:
            items.append(line)
    return items


def _dedupe_name(name: str) -> str:
    """"Centreground Centreground" (display name and handle) -> "Centreground"."""
    words = name.split()
    half = len(words) // 2
    if len(words) % 2 == 0 and half and words[:half] == words[half:]:
        return " ".join(words[:half])
    return name.strip()


def _comment_timestamp(date_text: str, time_text: str) -> str:
    """"1 August, 2024" + "4:53 pm" -> "2024-08-01T16:53:00"; "" when unparseable."""
    clean_time = time_text.replace(".", ":", 1).replace(".", "").replace(" ", "").upper()
    for fmt in ("%d %B %Y %I:%M%p", "%d %b %Y %I:%M%p"):
        try:
            stamp = datetime.strptime(f"{date_text.replace(',', '')} {clean_time}", fmt)
        except ValueError:
            continue
        return stamp.isoformat()
    return parse_date(date_text)


def split_comments(lines: list[str]) -> tuple[list[str], list[str], int | None]:
    """Split page lines at the comments header: (article lines, comment lines, declared count)."""
    for i, raw in enumerate(lines):
        match = COMMENTS_HEADER_RE.match(raw.strip())
        if match and (match.group("a") or match.group("b") or raw.strip().lower().startswith("readers")):
            count = match.group("a") or match.group("b")
            return lines[:i], lines[i + 1 :], int(count) if count else None
    return lines, [], None


def parse_comments(lines: list[str]) -> list[ParsedComment]:
    """Read the comments section: named "<name> <date> <time>" headers, or bullets."""
    comments: list[ParsedComment] = []
    current: ParsedComment | None = None
    buffer: list[str] = []

    def flush() -> None:
        nonlocal current, buffer
        text = "\n".join(buffer).strip()
        if current is not None and text:
            current.text = text
            comments.append(current)
        current, buffer = None, []

    named = any(NAMED_COMMENT_RE.match(l.strip()) for l in lines)
    bulleted = any(BULLET_RE.match(l) for l in lines)
    for raw in lines:
        line = raw.strip()
        if is_boilerplate(line):
            if bulleted and not named:
                flush()
            continue
        header = NAMED_COMMENT_RE.match(line) if named else None
        bullet = BULLET_RE.match(raw) if (bulleted and not named) else None
        if header:
            flush()
            current = ParsedComment(
                text="",
                author=_dedupe_name(header.group("name")),
                published=_comment_timestamp(header.group("date"), header.group("time")),
            )
        elif bullet:
            flush()
            current = ParsedComment(text="")
            buffer.append(bullet.group("text").strip())
        elif line:
            if current is None and not named and not bulleted:
                current = ParsedComment(text="")
            if current is not None:
                buffer.append(line)
        elif not named and not bulleted:
            flush()  # unstructured section: one comment per block
        else:
            if buffer and buffer[-1] != "":
                buffer.append("")
    flush()
    for comment in comments:
        comment.text = re.sub(r"\n{2,}", "\n", comment.text).strip()
    return comments


def parse_text_page(text: str) -> ParsedPage:
    """Parse a scraped page's text. Raises `PageParseError` when no article is found."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    article_lines, comment_lines, declared = split_comments(lines)
    blocks = _blocks(article_lines)
    # Flatten to paragraphs, one per block line group, removing consecutive duplicates
    # (the headline often appears twice: page title and <h1>).
    paragraphs: list[str] = []
    for block in blocks:
        for item in _unwrap(block):
            if paragraphs and paragraphs[-1] == item:
                continue
            paragraphs.append(item)

    author = published = ""
    kept: list[str] = []
    for para in paragraphs:
        byline = BYLINE_RE.match(para)
        if byline and not author and len(para) < 80:
            author = byline.group("name")
            continue
        if DATE_LINE_RE.match(para) and not published:
            published = parse_date(para)
            if published:
                continue
        kept.append(para)

    first_body = next((i for i, p in enumerate(kept) if not _is_title_like(p) and len(p) > 60), None)
    if first_body is None:
        raise PageParseError("no article body found (no paragraph of running text)")
    titles = [i for i in range(first_body) if _is_title_like(kept[i])]
    if not titles:
        raise PageParseError("no headline found before the first paragraph")
    title = kept[titles[-1]]
    standfirst = LABEL_PREFIX_RE.sub("", kept[first_body])
    body = kept[first_body + 1 :]
    return ParsedPage(
        title=title,
        standfirst=standfirst,
        paragraphs=body,
        author=author,
        published=published,
        comments=parse_comments(comment_lines),
        declared_comment_count=declared,
    )
