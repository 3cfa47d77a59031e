"""The domain lexicon: a publication's own words, read from a TOML file the user can change.

General code asks the lexicon instead of hard-coding one field's vocabulary: which nouns
make "how much" a money question ("pot", "uplift" in UK primary-care news) and which
capitalised words are too common to count as names ("GP", "NHS"). The packaged default
is `lexicon.toml` beside this module; NEWSDESK_LEXICON names another file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

DEFAULT_LEXICON = Path(__file__).with_name("lexicon.toml")


@dataclass(frozen=True)
class Lexicon:
    """Domain words: money nouns, capitalised words that are not names, and words that mean
    the same when a sentence is matched to a question ("hired" and "recruited")."""

    money_nouns: tuple[str, ...] = ()
    common_capitalised: frozenset[str] = frozenset()
    synonyms: tuple[tuple[str, ...], ...] = ()  # groups of words, as written

    def synonym_terms(self, question_terms: Iterable[str]) -> dict[str, str]:
        """For a question's terms, the terms of their synonyms -> the question term they stand
        for (a term the question itself uses is not an alias)."""
        wanted = set(question_terms)
        out: dict[str, str] = {}
        for group in _synonym_stems(self.synonyms):
            for term in group & wanted:
                for alias in group - wanted:
                    out.setdefault(alias, term)
        return out


@lru_cache(maxsize=8)
def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """The lexicon in `path` (the packaged default when None or empty); ValueError when unreadable."""
    file = Path(path) if path else DEFAULT_LEXICON
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the lexicon {file}: {exc}") from None
    money = data.get("money", {}).get("nouns", [])
    common = data.get("names", {}).get("common", [])
    groups = data.get("synonyms", {}).get("groups", [])
    return Lexicon(money_nouns=tuple(str(w).lower() for w in money), common_capitalised=frozenset(map(str, common)),
                   synonyms=tuple(tuple(str(w).lower() for w in g) for g in groups))


@lru_cache(maxsize=8)
def _synonym_stems(groups: tuple[tuple[str, ...], ...]) -> tuple[frozenset[str], ...]:
    from .terms import terms

    return tuple(frozenset(t for word in g for t in terms(word)) for g in groups)
