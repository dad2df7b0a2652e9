"""Tokenising for the lexical index: Dutch stemming, stop words, names and abbreviations kept intact."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import Stemmer

from bot.municipalities import registry

_TOKEN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_ABBREVIATION = re.compile(r"^[A-Z][A-Za-z]{1,5}$")

STOPWORDS = frozenset("""
aan al alle alles als altijd andere ben bij daar daarom dan dat de der deze die dit doch doen door dus een
eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je
kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat onder ons ook op
over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel werd wezen wie wil
worden wordt zal ze zelf zich zij zijn zo zonder zou welke welk waar waarom wanneer hoeveel heel onze
ooit al eens hebt heb kunt zullen zouden wij jullie deze dat die ervaring ervaringen geprobeerd
the a an and are as at be been but by can could did do does for from had has have he her his how i if in
into is it its of on or our she so than that the their them then there these they this to was we were
what when where which who why will with would you your any ever tried anyone has have municipality
municipalities gemeente gemeenten
""".split())


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("dutch")


def _fold(token: str) -> str:
    token = unicodedata.normalize("NFKD", token.lower())
    return "".join(ch for ch in token if not unicodedata.combining(ch)).replace("’", "'")


@lru_cache(maxsize=200_000)
def _terms_of(raw: str) -> tuple[str, ...]:
    """The index terms of one word as it appears in text (memoised: vocabularies repeat)."""
    word = _fold(raw)
    if word in STOPWORDS or len(word) < 2:
        return ()
    if (_ABBREVIATION.match(raw) and sum(ch.isupper() for ch in raw) >= 2) or len(word) <= 3:
        return (word,)
    stem = _stemmer().stemWord
    return tuple(stem(part) if len(part) > 3 else part
                 for part in word.split("-") if len(part) > 1 and part not in STOPWORDS)


def tokenize(text: str) -> list[str]:
    """Index terms for `text`.

    - words are lower-cased, accents folded, stop words dropped and Dutch-stemmed;
    - abbreviations (AVG, RES, Wmo) are kept whole and unstemmed;
    - a municipality named in the text, by any name or alias, adds one term for its CBS code, so
      "Den Haag" matches "'s-Gravenhage" and "Bergen op Zoom" is not three loose words.
    """
    terms: list[str] = []
    for raw in _TOKEN.findall(text):
        terms.extend(_terms_of(raw))
    terms.extend("gm:" + m.code.lower() for m in registry().find_in_text(text))
    return terms


def char_ngrams(terms: list[str], n: int = 4) -> list[str]:
    """Character n-grams of the (stemmed) terms, with word boundaries marked.

    Dutch glues words together (burgerbegroting, jongerenraad); n-grams let a question about
    "begroting" meet a story about a "burgerbegroting".
    """
    grams: list[str] = []
    for term in terms:
        if term.startswith("gm:"):
            continue
        word = f"<{term}>"
        grams.extend(word[i:i + n] for i in range(max(len(word) - n + 1, 1)))
    return grams
