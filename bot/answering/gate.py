"""The answering gate: every decision that the coverage does not answer a question, for
every answerer, in one place.

In order, a question is refused when:
1. nothing was retrieved;
2. it attributes a report to an outlet the store does not hold and no passage mentions
   ("a Reuters report on ..." over a store without Reuters): the refusal names it;
3. it names something (a capitalised name) that no retrieved passage mentions; or the phrase
   it is about ("about the flood barrier") holds a word that no retrieved passage writes and
   the whole corpus never writes (`topics.absent_topics`): the refusal names it;
3b. its most specific word is written by readers' comments only, no reporting (unless it
   asks about readers): the refusal says so;
4. the best passages cover too little of its term weight (`min_coverage`), or the best
   passage's dense similarity is too low (`min_dense`, when known);
5. no single retrieved sentence covers enough of it (`min_sentence_coverage`).
Thresholds were calibrated on MultiHop-RAG's null questions and the project's QA file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from vectorstore.passage import Passage

from ..answer import NOT_FOUND_TEXT, Answer
from ..language.analysis import analysed
from ..language.entities import PLACE_QUALIFIERS
from ..language.forms import forms_written
from ..language.lexicon import Lexicon, load_lexicon
from ..language.outlets import OutletNames, unknown_outlets
from ..language.dates import find_dates, published_near
from ..language.framing import outlet_names_of, without_dates
from ..language.parts import clause_questions
from ..language.questions import asks_about_readers, question_acronyms, question_names
from ..language.terms import acronym_terms, question_terms, term_set, terms
from .base import Answerer, Evidence
from .sentences import IdfFn, SentenceScorer, candidate_idf
from .topics import absent_topics


@dataclass(frozen=True)
class GateConfig:
    """Tunable numbers of the gate."""

    min_coverage: float = 0.30  # share of the question's term weight the best passages must cover
    min_dense: float = 0.10  # cosine of the best passage to the question (when the dense side ran)
    min_sentence_coverage: float = 0.10  # share of the question's term weight the best sentence must hold
    coverage_passages: int = 3  # how many top passages coverage looks at
    union_share: float = 0.5  # coverage = union_share * (top passages together) + the rest * (best single one)
    dense_passages: int = 5  # how many top passages the dense check looks at
    refuse_missing_names: bool = True  # refuse when a name in the question is in no passage
    # Refuse when the phrase a question is about ("about the flood barrier", "on ...", "of ...")
    # holds a word that no retrieved passage writes and the whole corpus never writes (document
    # frequency 0, when the chain hands the gate `corpus_df`): the refusal names the phrase. QA
    # file: q80-q83 refused, no answerable question refused. MultiHop dev: without the two
    # limits below, 8 answerable questions more refused (7.8% -> 9.0%; "fraudulent", stemmed
    # "fraudul", is never written though "fraud" is; "partway" in a 30-word question); with
    # them, none (null questions refused 87.8% either way: names already catch those).
    refuse_absent_topics: bool = True
    absent_topic_share: float = 0.25  # ... when that word holds at least this share of the question's term weight
    absent_topic_stem: float = 0.7  # a word counts as written when the corpus writes a form it starts with that is
    # at least this share of its length ("fraud" for "fraudulent", whose stem "fraudul" the corpus may never write)
    # Refuse when the question's most specific word (highest IDF) is in a retrieved reader's
    # comment but in no reporting: "What's the new sessional fee for GP appraisers?" over
    # coverage where only a reader mentions appraisals. MultiHop-RAG has no comments (no
    # change); QA file: q51 refused, no answerable question refused.
    refuse_comment_only: bool = True
    # Weigh question terms by the corpus IDF of the lexical index (else by an IDF of the
    # candidate passages). MultiHop-RAG dev, with min_coverage 0.15 -> 0.30: null questions
    # refused 82.2% -> 84.4%, answerable ones wrongly refused 12.4% -> 9.8%; QA file 47/52 either way.
    corpus_idf: bool = True


@dataclass(frozen=True)
class Verdict:
    """The gate's decision: answerable, or why not and what to tell the user."""

    answerable: bool
    reason: str = ""  # "no-passages", "unknown-outlet", "missing-name", "names-apart", "comment-only",
    # "low-coverage", "low-similarity", "no-sentence"
    text: str = ""  # the refusal shown to users

    @classmethod
    def refuse(cls, reason: str, text: str = NOT_FOUND_TEXT) -> Verdict:
        """A refusal."""
        return cls(False, reason, text)


ANSWERABLE = Verdict(True)


class Gate:
    """Decides whether the retrieved passages answer a question at all."""

    def __init__(self, config: GateConfig | None = None, *, scorer: SentenceScorer | None = None,
                 outlet_names: Callable[[], Mapping[str, object] | Iterable[str]] | None = None,
                 corpus_idf: IdfFn | None = None, corpus_df: Callable[[str], int] | None = None,
                 corpus_longer: Callable[[str], list[str]] | None = None, lexicon: Lexicon | None = None) -> None:
        self.config = config or GateConfig()
        self.lexicon = lexicon or load_lexicon()
        self.scorer = scorer or SentenceScorer(lexicon=self.lexicon)
        self.outlet_names = outlet_names  # the store's outlet aliases, as of the lexical index
        self.corpus_idf = corpus_idf
        self.corpus_df = corpus_df  # how many chunks of the whole corpus write a term (the lexical index's)
        self.corpus_longer = corpus_longer  # the corpus's longer terms that start with a term

    def idf_for(self, passages: Sequence[Passage]) -> IdfFn:
        """The IDF the gate weighs question terms by."""
        if self.config.corpus_idf and self.corpus_idf is not None:
            return self.corpus_idf
        return candidate_idf(passages)

    def check(self, question: str, passages: Sequence[Passage], related: Sequence[Passage] = (),
              boilerplate: frozenset[int] = frozenset()) -> Verdict:
        """The verdict for a question and its retrieved passages. `related` passages (the rest of
        the retrieved articles) count as mentioning what they mention, not as answering;
        `boilerplate` sentences (see `SentenceScorer.score`) answer nothing."""
        passages = list(passages)
        mentioning = passages + list(related)
        if not passages:
            return Verdict.refuse("no-passages")
        if self.outlet_names is not None:
            missing = unknown_outlets(question, self.outlet_names(), passages)
            if missing:
                return Verdict.refuse("unknown-outlet", f"{NOT_FOUND_TEXT[:-1]}: it has nothing from "
                                                        f"{' or '.join(missing)}.")
        if self.config.refuse_missing_names:
            missing = (self.missing_names(question, mentioning) + self.missing_acronyms(question, mentioning)
                       + missing_role(question, mentioning))
            if not missing and self.config.refuse_absent_topics and self.corpus_df is not None:
                missing = absent_topics(question, mentioning, self.corpus_df, self.lexicon, self.idf_for(passages),
                                        self.config.absent_topic_share, self.config.absent_topic_stem,
                                        self.corpus_longer)
            if missing:
                return Verdict.refuse("missing-name", f"{NOT_FOUND_TEXT[:-1]}: it has nothing about "
                                                      f"{' or '.join(missing)}.")
            apart = self.names_apart(question, mentioning)
            if apart:  # "Did the CQC inspect Harrow Lane?": the CQC's coverage and Harrow Lane's are different stories
                return Verdict.refuse("names-apart", f"{NOT_FOUND_TEXT[:-1]}: nothing it has mentions "
                                                     f"{' and '.join(apart)} together.")
        idf = self.idf_for(passages)
        if self.config.refuse_comment_only and not asks_about_readers(question):
            word = comment_only_word(question, mentioning, idf)
            if word:
                return Verdict.refuse("comment-only", f"{NOT_FOUND_TEXT[:-1]}: only readers' comments mention {word}.")
            outlet, word = self.outlet_comment_only(question, mentioning, idf)
            if word:  # "What did Pulse report about the CQC?": a reader's aside under a Pulse article is not Pulse's report
                return Verdict.refuse("comment-only", f"{NOT_FOUND_TEXT[:-1]}: in {outlet}'s coverage, only readers' "
                                                      f"comments mention {word}.")
        coverage, dense = self.relevance(question, passages, idf)
        if coverage < self.config.min_coverage:
            return Verdict.refuse("low-coverage")
        if -0.5 <= dense < self.config.min_dense:
            return Verdict.refuse("low-similarity")
        chosen = self.scorer.select(self.scorer.score(question, passages, idf=idf, boilerplate=boilerplate), question)
        if not chosen or max(c.direct for c in chosen) < self.config.min_sentence_coverage:
            return Verdict.refuse("no-sentence")
        return ANSWERABLE

    def names_apart(self, question: str, passages: Sequence[Passage]) -> list[str]:
        """For a question that names two or more things (names, acronyms) and no outlet, those
        names when no one article (with its readers' comments) mentions them all; else []. Each
        question of a compound one ("How many …, and how did … describe it?") is judged alone."""
        clauses = clause_questions(question)
        if clauses:
            return next((apart for c in clauses if (apart := self.names_apart(c, passages))), [])
        if self.outlet_names is None or self._named_outlets(question):  # (several outlets' reports are apart by nature)
            return []
        # (an outlet the store does not hold counts: "a report by Bloomberg about ACI" needs an article naming both)
        names = [n for n in dict.fromkeys(question_names(question, self.lexicon)) if question_terms(n)]
        acronyms = question_acronyms(question, self.lexicon)
        if len(names) + len(acronyms) < 2:
            return []
        by_article: dict[str, list[Passage]] = {}
        for p in passages:
            by_article.setdefault(p.article_id, []).append(p)
        for group in by_article.values():
            text = " ".join(mentioning_text(p) for p in group)
            if all(name_written(text, n) for n in names) and all(mentions_acronym(group, a) for a in acronyms):
                return []
        return names + acronyms

    def _outlets(self) -> OutletNames:
        """The store's outlet names (none without `outlet_names`)."""
        aliases = self.outlet_names() if self.outlet_names is not None else {}
        return outlet_names_of(tuple(sorted(set().union(*aliases.values()))) if isinstance(aliases, Mapping) else ())

    def _named_outlets(self, question: str) -> list[str]:
        """The store's outlets a question names."""
        return list(dict.fromkeys(self._outlets().mentioned_in(question)))

    def outlet_comment_only(self, question: str, passages: Sequence[Passage], idf: IdfFn) -> tuple[str, str]:
        """For a question that names one of the store's outlets, (that outlet, the question's most
        specific word) when, among that outlet's passages, only readers' comments write the word
        (`comment_only_word`); else ("", "")."""
        named = self._named_outlets(question)
        own = [p for p in passages if named and p.source == named[0]]
        if len(named) != 1 or not own:
            return "", ""
        return named[0], comment_only_word(self._outlets().blank(question), own, idf)

    def relevance(self, question: str, passages: Sequence[Passage], idf: IdfFn) -> tuple[float, float]:
        """(coverage, dense): how much of the question the top passages cover, and the best
        passage's dense similarity (-1 when unknown)."""
        cfg = self.config
        q_terms = set(question_terms(question))
        if not q_terms or not passages:
            return 0.0, -1.0
        if _dated_as_asked(question, passages[:cfg.coverage_passages]):
            # "… on 11 Feb 2025?": the day is the passages' publication date, not words they write
            q_terms = set(question_terms(without_dates(question))) or q_terms
        weights = {t: idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        covered: set[str] = set()
        best_single = 0.0
        top = [term_set(p.title) | analysed(p.text).terms | (term_set(p.author) if p.is_comment else frozenset())
               for p in passages[:cfg.coverage_passages]]
        # a term none of them writes may be written in another form ("tax" for "taxation": `forms_written`)
        forms = forms_written(q_terms.difference(*top), frozenset().union(*top))
        for written in top:
            hit = q_terms & written
            if forms:
                hit |= forms_written(forms, written)
            covered |= hit
            best_single = max(best_single, sum(weights[t] for t in hit) / total)
        union = sum(weights[t] for t in covered) / total
        coverage = cfg.union_share * union + (1 - cfg.union_share) * best_single
        dense = max((p.scores["dense"] for p in passages[:cfg.dense_passages] if "dense" in p.scores), default=-1.0)
        return coverage, float(dense)

    def missing_acronyms(self, question: str, passages: Sequence[Passage]) -> list[str]:
        """Acronyms in the question ("ARRS") that no passage writes or spells out."""
        return [a for a in question_acronyms(question, self.lexicon) if not mentions_acronym(passages, a)]

    def missing_names(self, question: str, passages: Sequence[Passage]) -> list[str]:
        """Capitalised names in the question that no passage mentions: a question about
        Scotland is not answered by coverage of England."""
        text = " ".join(mentioning_text(p) for p in passages)
        return [n for n in question_names(question, self.lexicon) if question_terms(n) and not name_written(text, n)]


def _dated_as_asked(question: str, passages: Sequence[Passage]) -> bool:
    """True when a passage was published within a day of a date the question names."""
    dates = find_dates(question)
    return bool(dates) and any(published_near(p.published, dates, 1) for p in passages)


# words that compare what the question asks about ("Which is bigger, the ARRS pot or the flex fund?"),
# or stand for whoever did it ("Did anyone suggest …?"): the reporting that answers writes neither,
# and a reader's "Bigger cages." is no topic
_COMPARING = frozenset(terms("bigger biggest larger largest smaller smallest greater greatest higher highest lower "
                             "lowest better worse anyone anybody someone somebody everyone everybody"))


def comment_only_word(question: str, passages: Sequence[Passage], idf: IdfFn) -> str:
    """The question's most specific word (the highest `idf` of its terms), as the question
    writes it, when a reader's comment among the passages writes it and no reporting does
    (headline or text); else "". A reader's aside is not coverage of the thing."""
    q_terms = [t for t in question_terms(question) if t not in _COMPARING]
    if not q_terms:
        return ""
    top = max(dict.fromkeys(q_terms), key=idf)
    if not any(top in analysed(p.text).terms for p in passages if p.is_comment):
        return ""
    for p in passages:
        if not p.is_comment and (top in analysed(p.text).terms or top in term_set(p.title)
                                 or top in acronym_terms(p.text)):
            return ""
    return next((w for w in re.findall(r"[^\W_][\w’'-]*", question) if top in question_terms(w)), top)


# "Who is the health secretary?": a bare question about who holds a role, nothing else to go on
_BARE_ROLE_Q = re.compile(r"^\s*who(?:['’]s|\s+is|\s+was|\s+are|\s+were)\s+(?:the\s+|an?\s+|our\s+)?"
                          r"([a-z][a-z-]*(?:\s+[a-z][a-z-]*){1,3})\s*\??\s*$", re.IGNORECASE)


def missing_role(question: str, passages: Sequence[Passage]) -> list[str]:
    """For a bare "Who is the <role>?" question, the role when no passage writes it whole:
    coverage of an LMC's medical secretary says nothing about the health secretary."""
    m = _BARE_ROLE_Q.match(question)
    if not m:
        return []
    role = m.group(1).strip()
    phrase = re.compile(r"\b" + r"\W+".join(map(re.escape, role.split())), re.IGNORECASE)
    return [] if any(phrase.search(f"{p.title}. {p.text}") for p in passages) else [f"the {role}"]


def mentioning_text(p: Passage) -> str:
    """What a passage mentions: its headline, outlet, author (a commenter's name: "What did neo 99
    say?") and text."""
    return f"{p.title}. {p.source}. {p.author}. {p.text}" if p.author else f"{p.title}. {p.source}. {p.text}"


def mentions_acronym(passages: Sequence[Passage], acronym: str) -> bool:
    """True when a passage writes the acronym, or spells it out ("Quality and Outcomes Framework"),
    or its outlet's name holds it ("FOX" for a FOX News passage)."""
    letters = acronym.rstrip("s")
    word = re.compile(rf"\b{re.escape(letters)}s?\b")
    stem = question_terms(letters)
    for p in passages:
        text = mentioning_text(p)
        if word.search(text) or (stem and stem[0] in acronym_terms(text)) or _spelled_out(text, letters):
            return True
    return False


def _spelled_out(text: str, letters: str) -> bool:
    """True when consecutive words of the text start with the acronym's letters, in any case
    ("whole-time-equivalent" for WTE, "additional roles reimbursement scheme" for ARRS)."""
    return letters.lower() in _initials(text)


@lru_cache(maxsize=2048)
def _initials(text: str) -> str:
    """The first letters of a text's words, in order, lower-cased (words split at spaces,
    dashes and slashes; a word must start with a letter or digit): remembered, since every
    acronym of every question is looked for in the same passages."""
    return "".join(w[0] for w in re.split(r"[\s\-–—/]+", text.lower()) if w and w[0].isalnum())


_HONORIFICS = frozenset(["Dr", "Mr", "Mrs", "Ms", "Miss", "Prof", "Professor", "Sir", "Dame", "Lord", "Lady", "Cllr", "Rev", "Judge"])


def name_written(text: str, name: str) -> bool:
    """True when a text writes a name: the whole name; or, for a longer name, its last word
    not right after another name ("Dr Pritchard" counts for Amanda Pritchard, "Owain
    Pritchard" does not; "North Calderford" does not count for South Calderford), or its
    first word not right before another ("Chelsea said" counts for Chelsea Football Club). A
    name that starts with a word such as "South" or "New" (`PLACE_QUALIFIERS`) counts only whole."""
    words = [w for w in name.split() if w not in _HONORIFICS]
    if not words:
        return True
    if len(words) == 1:
        word = words[0]
        return bool(re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE)) or any(
            re.search(rf"\b{re.escape(s)}", text, re.IGNORECASE) for s in question_terms(word))
    if re.search(r"\b" + r"\W+".join(map(re.escape, words)) + r"\b", text, re.IGNORECASE):
        return True
    if words[0].lower() in PLACE_QUALIFIERS:
        return False  # "York" is not New York, nor "South" South Calderford
    for m in re.finditer(rf"\b{re.escape(words[-1])}\b", text):
        before = re.search(r"([A-Z][\w’'.-]*)[ \t]+$", _before(text, m.start()))
        if before is None or _not_a_rival(before.group(1), words[-2]):
            return True
    for m in re.finditer(rf"\b{re.escape(words[0])}\b", text):
        after = re.match(r"[ \t]+([A-Z][\w’'.-]*)", text[m.end():])
        if after is not None and after.group(1) != words[1]:
            continue
        if _SENTENCE_START.search(_before(text, m.start())):
            continue  # "Modern telephony …": a capital at a sentence's start is no name
        return True
    return False


def _before(text: str, at: int, span: int = 1000) -> str:
    """The text just before position `at` (at most `span` characters): what the patterns
    anchored at its end need, without copying and scanning everything before it."""
    return text[max(0, at - span):at]


_SENTENCE_START = re.compile(r"(?:^|[.!?]['’\"”)]*\s+|\n\s*)['‘\"“(]?$")


def _not_a_rival(word: str, expected: str) -> bool:
    """A word before a surname that does not make it someone else's: a title, an initial, the
    expected first name."""
    bare = word.rstrip(".")
    return bare in _HONORIFICS or len(bare) == 1 or word == expected


def mentions(text: str, name: str) -> bool:
    """True when a lower-cased text mentions a name (any of its terms, or the name whole)."""
    stems = question_terms(name)
    return bool(stems) and any(s in text or name.lower() in text for s in stems)


def gated_answer(gate: Gate, answerer: Answerer, question: str, evidence: Evidence) -> Answer:
    """The gate's refusal, or the answerer's answer: what the chain does once it has passages."""
    verdict = gate.check(question, evidence.passages)
    if not verdict.answerable:
        return Answer.not_found(question, passages=list(evidence.passages), answerer=answerer.name, text=verdict.text)
    return answerer.answer(question, evidence)
