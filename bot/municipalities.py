"""Dutch municipality reference data: names, aliases, provinces and size classes.

Data: CBS, CC BY 4.0 (see `bot/data/GEMEENTEN.md`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

# Former municipality -> its successor (mergers since 2021; Haaren was split, its name maps to none).
MERGED_INTO: dict[str, str] = {
    "appingedam": "Eemsdelta", "delfzijl": "Eemsdelta", "loppersum": "Eemsdelta",
    "heerhugowaard": "Dijk en Waard", "langedijk": "Dijk en Waard",
    "beemster": "Purmerend",
    "boxmeer": "Land van Cuijk", "cuijk": "Land van Cuijk", "grave": "Land van Cuijk",
    "mill en sint hubert": "Land van Cuijk", "sint anthonis": "Land van Cuijk",
    "landerd": "Maashorst", "uden": "Maashorst",
    "weesp": "Amsterdam",
    "brielle": "Voorne aan Zee", "hellevoetsluis": "Voorne aan Zee", "westvoorne": "Voorne aan Zee",
}

PROVINCE_ALIASES = {"friesland": "Fryslân"}

# Size classes by population; the labels are what users type ("klein", "middelgroot", ...).
SIZE_CLASSES: list[tuple[str, int, int]] = [
    ("klein", 0, 20_000),
    ("middelgroot", 20_000, 50_000),
    ("groot", 50_000, 100_000),
    ("zeer groot", 100_000, 10**9),
]
SIZE_CLASS_ALIASES = {"small": "klein", "medium": "middelgroot", "large": "groot", "very large": "zeer groot",
                      "middel": "middelgroot", "zeergroot": "zeer groot"}


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    province: str
    population: int
    aliases: tuple[str, ...]

    @property
    def size_class(self) -> str:
        return size_class_for(self.population)


def size_class_for(population: int) -> str:
    for label, low, high in SIZE_CLASSES:
        if low <= population < high:
            return label
    return SIZE_CLASSES[-1][0]


def normalise_name(text: str) -> str:
    """Compare names without case, accents, hyphens, apostrophes or a leading 'gemeente'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[\-'’`.()]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"^(gemeente|gem|municipality of)\s+", "", text)
    return text


@lru_cache(maxsize=50_000)
def _first_word(word: str) -> str:
    return (normalise_name(word).split() or [""])[0]


class MunicipalityRegistry:
    """Look-ups over the 342 municipalities, their aliases and former names."""

    def __init__(self, municipalities: list[Municipality]) -> None:
        self.all = municipalities
        self._by_key: dict[str, Municipality] = {}
        self._by_code: dict[str, Municipality] = {m.code: m for m in municipalities}
        for m in municipalities:
            for key in (m.name, *m.aliases):
                self._by_key.setdefault(normalise_name(key), m)
        for old, new in MERGED_INTO.items():
            self._by_key.setdefault(normalise_name(old), self._by_key[normalise_name(new)])
        self.provinces = sorted({m.province for m in municipalities})
        self._max_words = max(len(k.split()) for k in self._by_key)
        self._first_words = {k.split()[0] for k in self._by_key if k}

    def lookup(self, name: str) -> Municipality | None:
        """The municipality with this name, alias, former name or CBS code, or None."""
        name = name.strip()
        if re.fullmatch(r"(?i)gm\d{4}", name):
            return self._by_code.get(name.upper())
        return self._by_key.get(normalise_name(name))

    def by_code(self, code: str) -> Municipality | None:
        return self._by_code.get(code)

    def province(self, name: str) -> str | None:
        key = normalise_name(name)
        key = normalise_name(PROVINCE_ALIASES.get(key, key))
        for province in self.provinces:
            if normalise_name(province) == key:
                return province
        return None

    def find_in_text(self, text: str) -> list[Municipality]:
        """Municipalities named in free text, in order of appearance, without duplicates.

        A name must start with a capital (or an apostrophe, as in 's-Gravenhage), so that ordinary
        words that are also names ("best", "buren", "goes") are not taken for municipalities.
        """
        words = _WORD.findall(text)
        found: list[Municipality] = []
        i = 0
        while i < len(words):
            first = words[i]
            if not (first[0].isupper() or first[0] in "'’") or _first_word(first) not in self._first_words:
                i += 1
                continue
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                m = self._by_key.get(normalise_name(" ".join(words[i:i + n])))
                if m is not None:
                    if m not in found:
                        found.append(m)
                    i += n - 1
                    break
            i += 1
        return found


_WORD = re.compile(r"['’]?[\w][\w'’\-]*(?:\s*\((?:[A-Za-z]{1,2}\.)+\))?")


def parse_size_class(text: str) -> str | None:
    key = text.strip().lower()
    key = SIZE_CLASS_ALIASES.get(key, key)
    return key if key in {label for label, _, _ in SIZE_CLASSES} else None


@cache
def registry() -> MunicipalityRegistry:
    """The registry over the data shipped in the package (loaded once)."""
    rows: list[Municipality] = []
    with resources.files("bot.data").joinpath("gemeenten.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            aliases = tuple(a for a in row["aliases"].split("|") if a)
            rows.append(Municipality(row["cbs_code"], row["name"], row["province"], int(row["population"]),
                                     aliases))
    return MunicipalityRegistry(rows)
