import pytest

from bot.capture import detect_outcome, extract_themes, parse_lesson, parse_outcome, snippet, title_from
from bot.errors import InputError
from bot.model import Outcome


def test_hashtags_become_themes_in_order_without_duplicates():
    assert extract_themes("Start #Participatie en #wmo, nog eens #participatie") == ["participatie", "wmo"]


def test_urls_and_html_entities_are_not_themes():
    assert extract_themes("zie https://example.org/#anchor en &#123;") == []


@pytest.mark.parametrize(("text", "expected"), [
    ("Het is gelukt om 300 mensen te bereiken.", Outcome.WORKED),
    ("Het werkte niet: niemand kwam.", Outcome.FAILED),
    ("Het is niet gelukt om jongeren te bereiken.", Outcome.FAILED),
    ("Deels gelukt: de loting werkte, de procedure niet.", Outcome.MIXED),
    ("De wijk deed mee ✅ maar de raad haakte af ❌", Outcome.MIXED),
    ("It worked well in two villages.", Outcome.WORKED),
    ("We hielden drie avonden in het dorpshuis.", Outcome.UNKNOWN),
])
def test_outcome_from_clear_markers(text, expected):
    assert detect_outcome(text) is expected


def test_explicit_fields_are_taken_out_of_the_story():
    parsed = parse_lesson("Burgerbegroting in de wijk. #participatie\n"
                          "gemeente: Zwolle\nuitkomst: mislukt\ncontact: @anna\ngeleerd: begin klein")
    assert parsed.text == "Burgerbegroting in de wijk. #participatie"
    assert (parsed.municipality, parsed.outcome, parsed.contact, parsed.learned) == (
        "Zwolle", Outcome.FAILED, "@anna", "begin klein")
    assert parsed.outcome_explicit


def test_inline_flags_with_multi_word_values():
    parsed = parse_lesson("Wijkbudget getest #wmo uitkomst=gemengd contact=Jan de Vries gemeente=Den Haag")
    assert parsed.contact == "Jan de Vries"
    assert parsed.municipality == "Den Haag"
    assert parsed.outcome is Outcome.MIXED
    assert parsed.text == "Wijkbudget getest #wmo"


def test_explicit_outcome_wins_over_markers():
    assert parse_lesson("Het is gelukt! uitkomst=mislukt").outcome is Outcome.FAILED


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u200b\u200b"])
def test_empty_input_gets_a_clear_error(text):
    with pytest.raises(InputError) as info:
        parse_lesson(text)
    assert info.value.key == "capture.empty"


def test_too_long_input_is_refused_with_the_limit():
    with pytest.raises(InputError) as info:
        parse_lesson("a" * 50_001, max_chars=50_000)
    assert info.value.params == {"length": 50_001, "limit": 50_000}


def test_unknown_outcome_value_is_an_error():
    with pytest.raises(InputError):
        parse_lesson("verhaal uitkomst=misschien")
    assert parse_outcome("gelukt") is Outcome.WORKED
    assert parse_outcome("failed") is Outcome.FAILED


def test_snippet_cuts_at_a_sentence_boundary():
    text = "Eerste zin over de aanpak. " * 3 + "Een laatste zin die te lang is om nog mee te nemen in het fragment."
    cut = snippet(text, 90)
    assert cut.endswith(".")
    assert len(cut) <= 90
    assert text.startswith(cut)


def test_snippet_without_sentence_end_cuts_at_a_word_with_ellipsis():
    cut = snippet("woord " * 100, 50)
    assert cut.endswith("…") and len(cut) <= 51 and "  " not in cut


def test_title_is_the_first_sentence():
    assert title_from("Korte titel. En dan de rest van het verhaal.") == "Korte titel."


ONE_LINERS = [
    ("Parkeervergunningen digitaal aangevraagd, wachttijd van weken naar minuten. gemeente: Zwolle "
     "uitkomst: gelukt contact: Piet de Vries #parkeren",
     "Parkeervergunningen digitaal aangevraagd, wachttijd van weken naar minuten.", "Zwolle", Outcome.WORKED,
     "Piet de Vries", ["parkeren"]),
    ("Wijkteams op vaste dagen in het buurthuis. contact: Karin Smit #sociaal",
     "Wijkteams op vaste dagen in het buurthuis.", "", Outcome.UNKNOWN, "Karin Smit", ["sociaal"]),
    ("Taalcafé in de bibliotheek, elke dinsdag. Gemeente: Den Bosch. Uitkomst: gemengd",
     "Taalcafé in de bibliotheek, elke dinsdag.", "Den Bosch", Outcome.MIXED, "", []),
    ("Geveltuinen in plaats van tegels #groen gemeente: Bergen op Zoom #wijk uitkomst=mislukt",
     "Geveltuinen in plaats van tegels", "Bergen op Zoom", Outcome.FAILED, "", ["groen", "wijk"]),
]


@pytest.mark.parametrize(("text", "story", "municipality", "outcome", "contact", "themes"), ONE_LINERS)
def test_fields_typed_on_one_line_end_at_the_next_field_or_hashtag(text, story, municipality, outcome, contact,
                                                                   themes):
    parsed = parse_lesson(text)
    assert parsed.text.replace(" #", "#").split("#")[0].strip() == story
    assert (parsed.municipality, parsed.outcome, parsed.contact, parsed.themes) == (municipality, outcome, contact,
                                                                                      themes)


@pytest.mark.parametrize("text", ["#parkeren", "#parkeren #wonen gemeente: Zwolle", "uitkomst: gelukt"])
def test_a_lesson_with_only_hashtags_and_fields_has_no_story(text):
    with pytest.raises(InputError) as caught:
        parse_lesson(text)
    assert caught.value.key == "capture.empty"
