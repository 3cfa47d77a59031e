"""Everything the Discord bot says, as small pure functions (no bot, no network).

Modelled on DocsGPT's Discord extension (`render.rs`): answers become embeds with the
numbered sources, long text is split under Discord's limits without breaking words,
``` code blocks, **bold** spans or [n] markers, and every piece of text we send has
its mentions neutralised and its markdown links flattened, so the only links in a
message are the cited sources' URLs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol

import discord

from ...answer import Answer, Citation
from ...answering.safety import ZWSP, flatten_links, neutralise_mentions, safe_text  # noqa: F401 - re-exported
from ..terminal import kind_label

CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
EMBED_TOTAL_LIMIT = 6000

ANSWER_COLOUR = discord.Colour.blurple()
NOT_FOUND_COLOUR = discord.Colour.light_grey()

_CODE_BLOCK = re.compile(r"```([^\n`]*)(?:\n|$).*?(?:```|\Z)", re.S)
_BOLD = re.compile(r"\*\*(?=\S).+?(?<=\S)\*\*", re.S)
_MARKER = re.compile(r"\[\d+\]")


@dataclass
class Payload:
    """One message to send: its content and/or embeds."""

    content: str | None = None
    embeds: list[discord.Embed] = field(default_factory=list)


# --- text safety: in bot/answering/safety.py (model output is made safe for every front end) --
def truncate(text: str, limit: int) -> str:
    """The text cut to `limit` characters at a word boundary, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "…"


# --- splitting ------------------------------------------------------------------------------
def _inside(pos: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(start < pos < end for start, end in spans)


def _clean_break(text: str, limit: int, protected: list[tuple[int, int]]) -> int | None:
    """The best whitespace position <= limit outside protected spans: a paragraph or line break
    in the second half of the window, else the last space or newline."""
    for pattern in ("\n\n", "\n"):
        pos = text.rfind(pattern, 0, limit + 1)
        while pos >= limit // 2:
            if not _inside(pos, protected):
                return pos
            pos = text.rfind(pattern, 0, pos)
    for pos in range(min(limit, len(text) - 1), 0, -1):
        if text[pos] in " \n" and not _inside(pos, protected):
            return pos
    return None


def _cut(text: str, limit: int) -> tuple[str, str]:
    """Split `text` (longer than `limit`) into a head of at most `limit` characters and the rest."""
    blocks = [(m.start(), m.end(), "```" + m.group(1)) for m in _CODE_BLOCK.finditer(text)]
    code = [(start, end) for start, end, _ in blocks]
    bolds = [m.span() for m in _BOLD.finditer(text) if not _inside(m.start(), code)]
    markers = [(max(m.start() - 2, 0), m.end()) for m in _MARKER.finditer(text)]  # with the space before
    pos = _clean_break(text, limit, code + bolds + markers)
    if pos is not None:
        return text[:pos].rstrip(), text[pos:].lstrip()
    close = "\n```"
    for start, end, opener in blocks:
        if start < limit < end:  # a code block longer than the room left: close and re-open it
            body_start = text.find("\n", start) + 1 or end
            pos = text.rfind("\n", body_start, limit - len(close) + 1)
            if pos < body_start:
                pos = max(body_start, limit - len(close))
            rest = text[pos + 1:] if text[pos] == "\n" else text[pos:]
            return text[:pos] + close, opener + "\n" + rest
    in_bold = [span for span in bolds if span[0] < limit < span[1]]
    room = limit - 2 if in_bold else limit
    pos = text.rfind(" ", 1, room + 1)
    if pos < room // 2:  # one very long word: a hard cut, but never inside a [n] marker
        pos = room
        for start, end in markers:
            if start < pos < end:
                pos = start
    head, rest = text[:pos].rstrip(), text[pos:].lstrip()
    return (head + "**", "**" + rest) if in_bold else (head, rest)


def split_text(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, split between words, outside **bold** spans and
    [n] markers; a ``` code block that must be split is closed and re-opened across pieces."""
    if limit < 16:
        raise ValueError("limit too small to split markdown safely")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        head, rest = _cut(rest, limit)
        if head:
            pieces.append(head)
    if rest:
        pieces.append(rest)
    return pieces


# --- sources --------------------------------------------------------------------------------
def source_line(c: Citation, limit: int = FIELD_VALUE_LIMIT) -> str:
    """`[n] headline — date · outlet · article|reader's comment (name) <url>` (no link preview)."""
    meta = " · ".join(x for x in (c.published[:10], safe_text(c.source), kind_label(c.kind, safe_text(c.author))) if x)
    url = f" <{c.url}>" if c.url.startswith(("http://", "https://")) and len(c.url) < limit // 2 else ""
    tail = f" — {meta}{url}" if meta else url
    title = safe_text(" ".join(c.title.split())) or "(untitled)"
    head = f"[{c.n}] "
    return head + truncate(title, max(limit - len(head) - len(tail), 8)) + tail


def sources_list(citations: Iterable[Citation]) -> str:
    """The numbered sources, one line each."""
    return "\n".join(source_line(c) for c in citations)


def _pack_lines(lines: list[str], limit: int) -> list[str]:
    """Join lines into blocks of at most `limit` characters (each line already fits)."""
    blocks: list[str] = []
    for line in lines:
        if blocks and len(blocks[-1]) + 1 + len(line) <= limit:
            blocks[-1] += "\n" + line
        else:
            blocks.append(line)
    return blocks


# --- answers ----------------------------------------------------------------------------------
def _footer(answer: Answer) -> str:
    total = answer.timings.get("total_ms")
    took = "" if total is None else f" · {total:.0f} ms" if total < 1000 else f" · {total / 1000:.1f} s"
    return f"Newsdesk · {answer.answerer}{took} · [n] marks a quote from source n"


def _with_note(answer: Answer) -> str:
    """The answer's text, safe, after its note in italics when there is one (the LLM was down)."""
    text = safe_text(answer.answer)
    return f"*{safe_text(answer.note)}*\n\n{text}" if answer.note else text


def answer_embeds(answer: Answer) -> list[discord.Embed]:
    """A found answer as embeds: the question as title, the quoted text with its [n] markers,
    then the numbered sources as fields; more embeds only when a limit requires it."""
    parts = split_text(_with_note(answer), DESCRIPTION_LIMIT) or ["…"]
    embeds = [discord.Embed(description=part, colour=ANSWER_COLOUR) for part in parts]
    embeds[0].title = truncate(safe_text(" ".join(answer.question.split())), TITLE_LIMIT)  # the asker's text too
    footer = _footer(answer)
    for i, block in enumerate(_pack_lines([source_line(c) for c in answer.citations], FIELD_VALUE_LIMIT)):
        name = "Sources" if i == 0 else "Sources (continued)"
        last = embeds[-1]
        if (len(last.fields) >= FIELD_COUNT_LIMIT
                or len(last) + len(name) + len(block) + len(footer) > EMBED_TOTAL_LIMIT):
            last = discord.Embed(colour=ANSWER_COLOUR)
            embeds.append(last)
        last.add_field(name=name, value=block, inline=False)
    embeds[-1].set_footer(text=footer)
    return embeds


def render_answer(answer: Answer) -> list[Payload]:
    """The messages for an answer: one embed per message; "the coverage doesn't answer that"
    is said plainly, as text with no sources."""
    if not answer.found or not answer.citations:
        return render_text(_with_note(answer))
    return [Payload(embeds=[embed]) for embed in answer_embeds(answer)]


def render_text(text: str) -> list[Payload]:
    """Plain text as one or more messages under the content limit."""
    return [Payload(content=piece) for piece in split_text(safe_text(text), CONTENT_LIMIT)]


def map_text(payload: Payload, fn: Callable[[str], str]) -> Payload:
    """The payload with `fn` applied to every string in it (e.g. the secret redactor)."""
    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return fn(value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    content = fn(payload.content) if payload.content is not None else None
    return Payload(content=content, embeds=[discord.Embed.from_dict(walk(e.to_dict())) for e in payload.embeds])


# --- other replies ----------------------------------------------------------------------------
class StatsLike(Protocol):
    """What `/sources` needs of `vectorstore.store.StoreStats`."""

    documents: int
    chunks: int
    by_source_kind: dict[tuple[str, str], tuple[int, int]]
    newest_article: str


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def render_stats(stats: StatsLike) -> list[Payload]:
    """What is indexed: documents and passages per outlet and kind, and the newest article."""
    outlets: dict[str, dict[str, tuple[int, int]]] = {}
    for (source, kind), counts in sorted(stats.by_source_kind.items()):
        outlets.setdefault(source, {})[kind] = counts
    lines = [f"**{_plural(stats.documents, 'document')}** in {_plural(stats.chunks, 'passage')}; "
             f"newest article: {stats.newest_article or 'none'}.", ""]
    for source, kinds in outlets.items():
        parts = [f"{_plural(docs, 'article' if kind == 'article' else kind_label(kind))} "
                 f"({_plural(chunks, 'passage')})" for kind, (docs, chunks) in sorted(kinds.items())]
        lines.append(f"**{safe_text(source)}** — " + ", ".join(parts))
    if not outlets:
        lines.append("Nothing is indexed yet.")
    pieces = split_text("\n".join(lines), DESCRIPTION_LIMIT)
    embeds = [discord.Embed(description=p, colour=ANSWER_COLOUR) for p in pieces]
    embeds[0].title = "What I've indexed"
    return [Payload(embeds=[e]) for e in embeds]


def render_ingest_report(report: Any) -> list[Payload]:
    """An `ingest.pipeline.IngestReport` as a short summary, with up to ten failed files."""
    seconds = getattr(report, "seconds", 0.0)
    lines = [f"Re-ingest finished in {seconds:.1f} s: {report.added} added, {report.updated} updated, "
             f"{report.unchanged} unchanged, {report.removed} removed, {len(report.failed)} failed; "
             f"{_plural(report.chunks, 'passage')} indexed."]
    for failure in report.failed[:10]:
        lines.append(f"• {failure.path}: {failure.reason}")
    if len(report.failed) > 10:
        lines.append(f"… and {len(report.failed) - 10} more (see the log).")
    return render_text("\n".join(lines))


HELP_TEXT = """Ask me about the publication's news coverage and I'll answer with quotes, each marked [n], \
and the numbered sources they come from.

**Ask**
• `/ask question` — optionally `since` / `until` (YYYY-MM-DD) and `include_comments` (readers' comments; on by default)
• or mention me with your question
• reply to one of my answers to ask a follow-up about it
• ask for a period's coverage: *What's new?*, *Any news this week?*, *What happened on 16 May 2025?*
• or the newest on a subject: *What's the latest on the GP contract?*

**More**
• `/sources` — what coverage is indexed
• 👍 / 👎 under an answer — tell us whether it helped
• `/reingest` — re-read the sources: folders, feeds, sitemaps (server admins)

If the coverage doesn't answer a question, I say so rather than guess. Quotes from readers' comments are \
labelled as readers' views, not reporting."""


def render_help(max_question_chars: int, rate_count: int, rate_seconds: float) -> list[Payload]:
    """The `/help` text."""
    limits = (f"\n\nQuestions can be up to {max_question_chars} characters; you can ask "
              f"{rate_count} every {rate_seconds:g} seconds.")
    embed = discord.Embed(title="Newsdesk", description=HELP_TEXT + limits, colour=ANSWER_COLOUR)
    return [Payload(embeds=[embed])]
