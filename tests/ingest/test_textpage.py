"""The scraped-page parser on the two real seed pages and on hand-made shapes."""

from __future__ import annotations

import pytest

from ingest.textpage import is_boilerplate, parse_comments, parse_text_page
from tests.conftest import seed_file


def test_seed_000_headline_body_and_three_named_comments():
    page = parse_text_page(seed_file("000").read_text(encoding="utf-8"))
    assert page.title == "Wes Streeting wants to ‘reset relationship’ between GPs and the Government"
    assert page.standfirst.startswith("The health secretary has said he wants")
    assert "£82m was added to the £1.4bn ARRS pot" in page.body
    assert page.body.rstrip().endswith("opting for collective action.")
    assert "READERS" not in page.body and "only GPs are permitted" not in page.body
    assert [c.author for c in page.comments] == ["So the bird flew away", "Centreground", "neo 99"]
    assert [c.published for c in page.comments] == [
        "2024-08-01T16:53:00", "2024-08-01T17:11:00", "2024-08-01T19:58:00"]
    assert page.comments[2].text.endswith("Totally age discrimination!")
    assert page.published == ""  # the page gives no article date: none is invented


def test_seed_004_headline_without_teaser_and_ten_unnamed_comments():
    page = parse_text_page(seed_file("004").read_text(encoding="utf-8"))
    assert page.title == "We must convince graduates that general practice is 'exciting', says Ashworth"
    assert page.standfirst.startswith("Shadow health secretary Jonathan Ashworth")
    assert "CAMHS won't see you now" not in page.body  # a teaser for another story
    assert "5,000 a year" in page.body
    assert page.declared_comment_count == 46
    assert len(page.comments) == 10
    assert all(c.author == "" and c.published == "" for c in page.comments)
    assert page.comments[2].text == "Bigger cages.\nLonger chains."
    assert not any("Report this comment" in c.text for c in page.comments)
    assert "Have your say" not in page.body and "results per page" not in page.body


@pytest.mark.parametrize("line", [
    "This site is intended for health professionals only",
    "Unsuitable or offensive? Report this comment",
    "View results 10 results per page20 results per page50 results per page",
    "Have your say",
])
def test_boilerplate_lines_are_recognised(line):
    assert is_boilerplate(line)


def test_ordinary_sentence_is_not_boilerplate():
    assert not is_boilerplate("Have your say on the contract, the BMA told members.")


def test_byline_and_date_lines_are_read_not_kept_as_body():
    text = ("Big headline about GP funding\n\nA standfirst sentence that is long enough to be body text here.\n\n"
            "By Jane Smith\n\n14 March 2025\n\nThe first paragraph of the story goes here, with detail.\n")
    page = parse_text_page(text)
    assert page.title == "Big headline about GP funding"
    assert page.author == "Jane Smith"
    assert page.published == "2025-03-14"
    assert "Jane Smith" not in page.body and "14 March 2025" not in page.body


def test_hard_wrapped_paragraph_is_rejoined():
    text = ("Headline of the piece\n\nThe standfirst runs across two lines because the scraper\n"
            "wrapped it at a fixed width, which must not split it.\n")
    page = parse_text_page(text)
    assert page.standfirst == ("The standfirst runs across two lines because the scraper wrapped it at a "
                               "fixed width, which must not split it.")


def test_page_without_body_is_an_error():
    from ingest.textpage import PageParseError

    with pytest.raises(PageParseError):
        parse_text_page("Just a title\n\nAnother short line\n")


def test_unstructured_comments_become_one_per_block():
    comments = parse_comments(["First comment here.", "", "Second one.", ""])
    assert [c.text for c in comments] == ["First comment here.", "Second one."]
