"""Sentence splitting and token-budgeted chunking, checked with the model's tokenizer."""

from __future__ import annotations

from ingest.chunking import Chunker, document_hash, make_header, split_sentences
from ingest.documents import Document


def test_sentences_respect_abbreviations_and_figures():
    text = "Mr Streeting met Dr. Patel at 10 a.m. on Monday. The £1.4bn pot grew by 2.5%. ‘It is enough,’ he said."
    assert split_sentences(text) == [
        "Mr Streeting met Dr. Patel at 10 a.m. on Monday.",
        "The £1.4bn pot grew by 2.5%.",
        "‘It is enough,’ he said.",
    ]


def test_paragraph_break_ends_a_sentence():
    assert split_sentences("A heading without a stop\n\nThen a sentence.") == [
        "A heading without a stop", "Then a sentence."]


def _long_doc(n: int = 60) -> Document:
    body = "\n\n".join(
        f"Paragraph {i} says the practice in Kettlebridge received £{i}m for {i * 7} extra appointments, "
        f"according to the integrated care board's statement on day {i}." for i in range(n))
    return Document(doc_id="url:example.com/a", title="A fairly long headline about GP funding in England",
                    text=body, source="GP Frontline", published="2025-03-01")


def test_chunks_fit_the_window_with_the_header(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.content_window, chunk_tokens=256, overlap=32)
    doc = _long_doc()
    chunks = chunker.chunk(doc, "h")
    assert len(chunks) > 3
    tokenizer = embedder.tokenizer
    for chunk in chunks:
        # exactly what the model sees, special tokens included
        n = len(tokenizer(chunk.embed_text(), truncation=False)["input_ids"])
        assert n <= embedder.max_tokens, (n, chunk.text[:80])
        assert chunk.metadata["doc_id"] == doc.doc_id and chunk.header.startswith(doc.title)
    # every sentence of the document is in some chunk
    joined = " ".join(c.text for c in chunks)
    for sentence in split_sentences(doc.text):
        assert sentence in joined


def test_chunk_tokens_setting_caps_text_and_overlap_repeats_sentences(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.content_window, chunk_tokens=100, overlap=40)
    chunks = chunker.chunk(_long_doc(20), "h")
    assert all(embedder.count_tokens([c.text])[0] <= 100 for c in chunks)
    first_sentences = split_sentences(chunks[1].text)
    assert first_sentences[0] in chunks[0].text  # overlap carried over


def test_over_long_sentence_is_split_not_truncated(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.content_window, chunk_tokens=64, overlap=0)
    words = " ".join(f"word{i}" for i in range(400))
    doc = Document(doc_id="d", title="T", text=words)
    chunks = chunker.chunk(doc, "h")
    assert len(chunks) > 4
    assert " ".join(c.text for c in chunks).split() == words.split()


def test_chunk_ids_depend_on_doc_and_content(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.content_window)
    a = chunker.chunk(Document(doc_id="d1", title="T", text="Same text here."), "h")[0]
    b = chunker.chunk(Document(doc_id="d2", title="T", text="Same text here."), "h")[0]
    c = chunker.chunk(Document(doc_id="d1", title="T", text="Same text here."), "h2")[0]
    assert a.chunk_id != b.chunk_id and a.chunk_id == c.chunk_id


def test_comment_header_says_it_is_a_readers_comment():
    doc = Document(doc_id="d#c1", title="Headline", text="x", kind="comment", author="neo 99", source="Pulse")
    assert make_header(doc) == "Headline | Pulse | reader's comment by neo 99"


def test_document_hash_changes_with_content_and_settings():
    doc = Document(doc_id="d", title="T", text="body")
    h = document_hash(doc, "s1")
    assert h == document_hash(Document(doc_id="d", title="T", text="body"), "s1")
    assert h != document_hash(Document(doc_id="d", title="T", text="body!"), "s1")
    assert h != document_hash(doc, "s2")


def test_chunk_text_splits_back_into_the_documents_sentences(embedder):
    """A line without a full stop (a heading, page furniture) gets a paragraph break in the chunk,
    so splitting the chunk again (as the lexical snapshot and the answerers do) finds it alone
    instead of glued to the next sentence; ordinary sentences are still joined by a space."""
    furniture = "Please try again later {{ /verifyErrors }}"
    paragraphs = [f"Paragraph {i} says the practice received £{i}m for {i * 7} extra appointments." for i in range(40)]
    paragraphs[3] = furniture
    paragraphs[6] = "Advertisement"
    text = "\n\n".join(paragraphs[:10]) + "\n\n" + " ".join(paragraphs[10:])
    chunker = Chunker(embedder.count_tokens, embedder.content_window, chunk_tokens=64, overlap=16)
    chunks = chunker.chunk(Document(doc_id="d", title="T", text=text), "h")
    assert len(chunks) > 3
    sentences = set(split_sentences(text))
    assert furniture in sentences and "Advertisement" in sentences
    for chunk in chunks:
        assert set(split_sentences(chunk.text)) <= sentences, chunk.text
    assert any(f"{paragraphs[11]} {paragraphs[12]}" in c.text for c in chunks)  # a space where a space will do
    assert any(f"{furniture}\n\n{paragraphs[4]}" in c.text for c in chunks)


def test_pieces_of_an_over_long_sentence_stay_joined_by_spaces(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.content_window, chunk_tokens=256, overlap=0)
    words = " ".join(f"word{i}" for i in range(300))
    chunks = chunker.chunk(Document(doc_id="d", title="T", text=words), "h")
    assert all("\n" not in c.text for c in chunks)
