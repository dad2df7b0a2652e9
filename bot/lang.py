"""Tell Dutch from English, so that answers follow the language of the question."""

from __future__ import annotations

import re

_NL = set("""de het een en van ik je jij u we wij ze zij is zijn was waren heeft hebben had al eens ooit
geen niet wel ook nog hoe wat wie waar waarom wanneer welke welk met voor door naar bij over uit om op
aan in dat dit die deze er maar of als dan gemeente gemeenten iemand iets heb kan kunnen zou moet
geprobeerd gedaan ervaring ervaringen les lessen mee goed""".split())
_EN = set("""the a an and of i you we they he she is are was were has have had ever already any no not
also yet how what who where why when which with for by to at about from on in that this these there
but or if then municipality municipalities council anyone someone tried done experience lesson
lessons does did do can could should would good""".split())
_WORD = re.compile(r"[a-zA-Zà-ÿ']+")


def detect_language(text: str, default: str = "nl") -> str:
    """'nl' or 'en' by counting common words; ties and unknown text get `default`."""
    words = [w.lower() for w in _WORD.findall(text)]
    nl = sum(1 for w in words if w in _NL)
    en = sum(1 for w in words if w in _EN)
    if nl == en:
        return default
    return "nl" if nl > en else "en"


def language_for(text: str, locale: str = "", default: str = "nl") -> str:
    """The question's language wins when it is clear; otherwise the user's locale, then the default."""
    fallback = default
    if locale:
        fallback = "en" if locale.lower().startswith("en") else "nl" if locale.lower().startswith("nl") else default
    return detect_language(text, fallback)
