"""English ↔ Dutch terms of municipal practice, so a question finds lessons in the other language by word too.

The dense model bridges languages only weakly for short questions; these terms give the word
retriever something to match. Each English phrase maps to Dutch words as they appear in lessons; read
backwards, the same table gives the English words for a Dutch question's terms.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from bot.search.text import tokenize

GLOSSARY: dict[str, str] = {
    "participatory budgeting": "burgerbegroting wijkbudget",
    "participatory budget": "burgerbegroting wijkbudget",
    "citizens budget": "burgerbegroting", "citizen budget": "burgerbegroting",
    "neighbourhood budget": "wijkbudget", "neighborhood budget": "wijkbudget",
    "citizens assembly": "burgerberaad", "citizens' assembly": "burgerberaad", "citizen assembly": "burgerberaad",
    "citizens panel": "burgerpanel", "citizen panel": "burgerpanel", "sortition": "loting",
    "lottery": "loting", "youth council": "jongerenraad", "youth panel": "jongerenpanel",
    "young people": "jongeren", "youth": "jongeren", "elderly": "ouderen", "older people": "ouderen",
    "loneliness": "eenzaamheid", "lonely": "eenzaam", "debt": "schulden schuldhulpverlening",
    "debts": "schulden schuldhulpverlening", "debt counselling": "schuldhulpverlening",
    "early warning": "vroegsignalering", "poverty": "armoede", "energy poverty": "energiearmoede",
    "energy transition": "energietransitie", "wind turbines": "windmolens", "wind farm": "windmolens",
    "climate": "klimaat", "climate adaptation": "klimaatadaptatie", "waste": "afval",
    "recycling": "afvalscheiding", "green": "groen", "schoolyard": "schoolplein", "schoolyards": "schoolpleinen",
    "housing": "huisvesting wonen", "refugees": "statushouders", "refugee": "statushouders",
    "status holders": "statushouders", "newcomers": "nieuwkomers", "integration": "inburgering",
    "language cafe": "taalcafé", "low literacy": "laaggeletterdheid", "plain language": "eenvoudige taal",
    "letters": "brieven", "digital inclusion": "digitale inclusie", "library": "bibliotheek",
    "social care": "wmo sociaal domein", "social support act": "wmo", "kitchen table": "keukentafelgesprek",
    "informal carers": "mantelzorg", "informal care": "mantelzorg", "caregivers": "mantelzorg",
    "participation": "participatie", "engagement": "participatie", "residents": "bewoners inwoners",
    "citizens": "inwoners burgers", "neighbourhood": "wijk buurt", "neighborhood": "wijk buurt",
    "village": "dorp", "villages": "dorpen", "community centre": "buurthuis", "community center": "buurthuis",
    "right to challenge": "right to challenge", "citizen initiative": "burgerinitiatief",
    "environment and planning act": "omgevingswet", "zoning plan": "omgevingsplan", "permit": "vergunning",
    "privacy": "privacy avg", "gdpr": "avg", "car sharing": "deelauto", "shared cars": "deelauto",
    "parking": "parkeren", "mobility": "mobiliteit", "enforcement": "handhaving", "dog poo": "hondenpoep",
    "dog waste": "hondenpoep", "app": "app", "shopping street": "winkelstraat", "entrepreneurs": "ondernemers",
    "shopkeepers": "ondernemers", "survey": "peiling vragenlijst", "municipal council": "gemeenteraad",
    "council": "raad gemeenteraad", "failed": "mislukt", "worked": "gelukt", "home visits": "huisbezoek",
    "home visit": "huisbezoek", "housing corporation": "woningcorporatie", "taxes": "belastingen",
    "volunteers": "vrijwilligers", "neighbourhood manager": "wijkmanager", "walk-in": "inloopspreekuur",
    "home automation": "domotica", "care technology": "zorgtechnologie", "temporary housing": "tijdelijke woningen",
}
_PATTERN = re.compile(r"\b(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")(?:e?s)?\b",
                      re.IGNORECASE)  # plurals too: "participatory budgets"


def dutch_terms(question: str) -> str:
    """Dutch words for the English municipal terms in `question` ('' when there are none)."""
    return " ".join(GLOSSARY[m.group(1).lower()] for m in _PATTERN.finditer(question))


@cache
def _english_by_stem() -> dict[str, tuple[str, ...]]:
    """Each Dutch term's stem → the English phrases that translate to it."""
    english: defaultdict[str, list[str]] = defaultdict(list)
    for phrase, dutch in GLOSSARY.items():
        for stem in tokenize(dutch):
            if phrase not in english[stem]:
                english[stem].append(phrase)
    return {stem: tuple(phrases) for stem, phrases in english.items()}


def english_terms(terms: list[str]) -> str:
    """English words for the Dutch municipal terms among a question's `terms` (its tokens; '' when none)."""
    table = _english_by_stem()
    return " ".join(phrase for term in dict.fromkeys(terms) for phrase in table.get(term, ()))
