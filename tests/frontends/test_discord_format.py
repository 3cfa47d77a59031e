"""The Discord bot's pure formatting: splitting, sources, safety, embeds."""

from __future__ import annotations

import random
import re

import pytest

from bot.answer import Answer, Citation
from bot.frontends.discord.render import (CONTENT_LIMIT, DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT, FIELD_COUNT_LIMIT,
                                FIELD_NAME_LIMIT, FIELD_VALUE_LIMIT, TITLE_LIMIT, ZWSP, Payload, answer_embeds,
                                flatten_links, map_text, neutralise_mentions, render_answer, render_help,
                                render_ingest_report, render_stats, safe_text, source_line, split_text, truncate)


def citation(n: int = 1, **kw) -> Citation:
    base = dict(n=n, text="The fund is £58m.", title="Winter access fund set at £58m", url=f"https://news.example/{n}",
                published="2025-01-14T09:00:00", source="GP Frontline", kind="article", author="", doc_id=f"doc{n}",
                score=0.9)
    base.update(kw)
    return Citation(**base)


def found(text: str, citations: list[Citation], question: str = "How much is the fund?") -> Answer:
    return Answer(question=question, answer=text, found=True, citations=citations, timings={"total_ms": 812.0})


def words_of(text: str) -> list[str]:
    return text.split()


# --- splitting ------------------------------------------------------------------------------
def test_short_text_is_one_piece():
    assert split_text("  hello world  ", 100) == ["hello world"]
    assert split_text("", 100) == []


def test_split_respects_limit_and_never_breaks_words():
    rng = random.Random(1)
    vocab = ["alpha", "beta", "gamma", "£58m", "delta-epsilon", "x", "zeta,", "eta."]
    text = " ".join(rng.choice(vocab) for _ in range(2000))
    pieces = split_text(text, 300)
    assert all(len(p) <= 300 for p in pieces)
    assert [w for p in pieces for w in words_of(p)] == words_of(text)


def test_split_prefers_paragraph_breaks():
    para = ("word " * 50).strip()
    text = "\n\n".join([para] * 6)
    pieces = split_text(text, 700)
    assert all(p.endswith("word") and p.startswith("word") for p in pieces)
    assert all(len(p) <= 700 for p in pieces)
    assert "\n\n".join(pieces).split() == text.split()


def test_split_keeps_markers_and_bold_whole():
    unit = "**bold words here** quoted sentence [12] and more text "
    text = unit * 120
    for limit in (50, 97, 333, 2000):
        pieces = split_text(text, limit)
        assert all(len(p) <= limit for p in pieces)
        for p in pieces:
            assert p.count("**") % 2 == 0, p
            assert not re.search(r"\[\d*$|^\d*\]", p), p  # no marker cut in half
            assert not p.startswith("[12]")  # a marker stays with the word before it
        assert re.sub(r"\s+", " ", " ".join(pieces)) == re.sub(r"\s+", " ", text.strip())


def test_split_reopens_a_code_fence():
    code = "\n".join(f"line {i} = {i * i}" for i in range(300))
    text = f"Intro text.\n```python\n{code}\n```\nOutro text."
    pieces = split_text(text, 500)
    assert pieces[0] == "Intro text." and pieces[-1].endswith("```\nOutro text.")
    assert all(len(p) <= 500 for p in pieces)
    for p in pieces:
        assert p.count("```") % 2 == 0, p  # every piece has balanced fences
    inner = [p for p in pieces if "line 1 =" in p or "line 299" in p]
    assert all("```python" in p for p in inner)
    body = "\n".join(re.sub(r"```(python)?\n?", "", p) for p in pieces)
    assert [l for l in body.splitlines() if l.startswith("line")] == code.splitlines()


def test_split_never_splits_inside_a_short_code_block():
    block = "```\nshort code\nblock here\n```"
    text = ("filler " * 40) + block + (" tail" * 40)
    for limit in (200, 260, 300):
        for p in split_text(text, limit):
            assert p.count("```") in (0, 2)


def test_split_hard_cuts_an_overlong_word():
    text = "a" * 250 + " end"
    pieces = split_text(text, 100)
    assert all(len(p) <= 100 for p in pieces) and "".join(pieces).replace(" ", "") == "a" * 250 + "end"


def test_split_overlong_bold_is_closed_and_reopened():
    text = "**" + " ".join(["long"] * 100) + "**"
    pieces = split_text(text, 120)
    assert len(pieces) > 1 and all(len(p) <= 120 for p in pieces)
    assert all(p.startswith("**") and p.endswith("**") for p in pieces)


def test_truncate():
    assert truncate("short", 10) == "short"
    cut = truncate("one two three four five six", 15)
    assert len(cut) <= 15 and cut.endswith("…") and cut.startswith("one two")


# --- safety ---------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["@everyone look", "hi @here", "<@123456789012345678>", "<@!123456789012345678>",
                                 "<@&123456789012345678>", "<#123456789012345678>"])
def test_mentions_are_neutralised(raw):
    out = neutralise_mentions(raw)
    assert ZWSP in out
    assert not re.search(r"@(everyone|here)|<(@[!&]?|#)\d+>", out)
    assert out.replace(ZWSP, "") == raw


def test_plain_text_is_untouched():
    assert neutralise_mentions("email me at a@b.com, 5 < 6 > 4") == "email me at a@b.com, 5 < 6 > 4"


def test_markdown_links_and_bare_urls_do_not_link():
    text = "See [the report](https://evil.example/x) and https://other.example/y now [1]."
    out = flatten_links(text)
    assert "the report" in out and "](" not in out and "evil.example" not in out
    assert "https://" not in out and "other.example/y" in out and "[1]" in out


def test_safe_text_combines_both():
    assert safe_text("[@everyone](https://x.example)") == "@" + ZWSP + "everyone"


# --- sources --------------------------------------------------------------------------------
def test_source_line_article_and_comment():
    art = source_line(citation(1))
    assert art == "[1] Winter access fund set at £58m — 2025-01-14 · GP Frontline · article <https://news.example/1>"
    com = source_line(citation(2, kind="comment", author="Dr Jane Smith", title="Re: Winter fund"))
    assert "reader's comment (Dr Jane Smith)" in com and com.endswith("<https://news.example/2>")


def test_source_line_without_url_or_metadata_and_long_title():
    c = citation(3, url="", published="", source="", title="T " * 800)
    line = source_line(c)
    assert line.startswith("[3] ") and "<" not in line and len(line) <= FIELD_VALUE_LIMIT


def test_source_line_neutralises_its_title():
    line = source_line(citation(1, title="Ping @everyone [click](https://evil.example)"))
    assert "@everyone" not in line and "evil.example" not in line


# --- embeds ---------------------------------------------------------------------------------
def _check_limits(embed):
    assert len(embed.title or "") <= TITLE_LIMIT
    assert len(embed.description or "") <= DESCRIPTION_LIMIT
    assert len(embed.fields) <= FIELD_COUNT_LIMIT
    assert all(len(f.name) <= FIELD_NAME_LIMIT and len(f.value) <= FIELD_VALUE_LIMIT for f in embed.fields)
    assert len(embed) <= EMBED_TOTAL_LIMIT


def test_answer_embed_has_text_markers_and_sources():
    answer = found("The winter access fund is £58m [1]. A reader (Dr Lee) commented: “too little” [2]",
                   [citation(1), citation(2, kind="comment", author="Dr Lee")])
    (embed,) = answer_embeds(answer)
    _check_limits(embed)
    assert embed.title == "How much is the fund?"
    assert "£58m [1]" in embed.description and "[2]" in embed.description
    assert embed.fields[0].name == "Sources"
    assert "<https://news.example/1>" in embed.fields[0].value and "reader's comment (Dr Lee)" in embed.fields[0].value
    assert "812 ms" in embed.footer.text


def test_long_answer_and_many_sources_stay_under_limits():
    text = " ".join(f"Sentence number {i} quotes the coverage [{i % 40 + 1}]." for i in range(900))
    cites = [citation(i, title="A rather long headline about the fund " * 5, url="https://news.example/" + "p" * 150)
             for i in range(1, 41)]
    embeds = answer_embeds(found(text, cites, question="Q? " * 200))
    assert len(embeds) > 2
    for e in embeds:
        _check_limits(e)
    joined = " ".join(e.description for e in embeds if e.description)
    assert joined.split() == text.split()
    lines = "\n".join(f.value for e in embeds for f in e.fields).splitlines()
    assert [int(l.split("]")[0][1:]) for l in lines] == list(range(1, 41))
    assert embeds[-1].footer.text and not embeds[0].footer.text


def test_passage_links_and_mentions_in_answer_are_defused():
    answer = found("Readers said [read more](https://spam.example) @everyone <@123456789012345678> [1]", [citation()])
    desc = answer_embeds(answer)[0].description
    assert "spam.example" not in desc and "@everyone" not in desc and "<@1" not in desc and "[1]" in desc


def test_not_found_is_plain_text_without_sources():
    payloads = render_answer(Answer.not_found("Who won the cup?"))
    assert len(payloads) == 1 and payloads[0].embeds == []
    assert payloads[0].content == "The coverage I have doesn't answer that."


def test_found_answer_renders_one_embed_per_message():
    payloads = render_answer(found("Short [1]", [citation()]))
    assert [(p.content, len(p.embeds)) for p in payloads] == [(None, 1)]


def test_map_text_redacts_everything():
    payload = render_answer(found("secret-token-123 [1]", [citation(title="secret-token-123")]))[0]
    clean = map_text(payload, lambda s: s.replace("secret-token-123", "****"))
    assert "secret-token-123" not in str(clean.embeds[0].to_dict())
    assert map_text(Payload(content="x secret-token-123"), lambda s: s.replace("secret-token-123", "*")).content == "x *"


def test_stats_ingest_report_and_help():
    from types import SimpleNamespace

    stats = SimpleNamespace(documents=5, chunks=40, newest_article="2025-05-07",
                            by_source_kind={("GP Frontline", "article"): (3, 30), ("GP Frontline", "comment"): (2, 2),
                                            ("Pulse", "article"): (1, 8)})
    (payload,) = render_stats(stats)
    desc = payload.embeds[0].description
    assert "5 documents" in desc and "2025-05-07" in desc and "2 reader's comments (2 passages)" in desc
    assert "**Pulse** — 1 article (8 passages)" in desc
    report = SimpleNamespace(added=1, updated=2, unchanged=3, removed=0, chunks=99, seconds=1.5,
                             failed=[SimpleNamespace(path=f"f{i}.html", reason="bad") for i in range(12)])
    text = render_ingest_report(report)[0].content
    assert "1 added, 2 updated, 3 unchanged, 0 removed, 12 failed" in text and "and 2 more" in text
    assert len(text) <= CONTENT_LIMIT
    help_embed = render_help(500, 5, 60)[0].embeds[0]
    assert "/ask" in help_embed.description and "500 characters" in help_embed.description
    assert "What's new?" in help_embed.description and len(help_embed.description) <= 4096  # an embed's limit
