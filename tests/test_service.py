"""The core as a user meets it: capture, ask, visibility, deletion, forget me."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ANNA, BRAM, asker, capture

from bot.errors import InputError, PermissionDenied
from bot.model import Filters, Outcome, PersonRef, Visibility
from bot.render import render_answer, summary_line

STORIES = [
    ("Zwolle", "Burgerbegroting in drie wijken: bewoners verdeelden 150.000 euro. Het is gelukt, 2.300 stemmers. "
               "#burgerbegroting"),
    ("Deventer", "Burgerbegroting voor de binnenstad: het is niet gelukt om jongeren te bereiken. "
                 "#burgerbegroting"),
    ("Utrecht", "Burgerbegroting met een gelote jury: de loting werkte, de toetsing niet. Deels gelukt. "
                "#burgerbegroting"),
    ("Tilburg", "Vroegsignalering van schulden met de woningcorporatie en huisbezoeken. Gelukt. #schulden"),
    ("Groningen", "Energiecoaches bij huishoudens met een laag inkomen: radiatorfolie en advies. #energiearmoede"),
]


@pytest.fixture
def seeded(app):
    for municipality, text in STORIES:
        capture(app.service, text + f"\ngemeente: {municipality}")
    return app


def test_capture_stores_themes_outcome_municipality_and_author_as_contact(app):
    result = capture(app.service, "Inloopspreekuur zonder afspraak. Het werkte goed. #wmo #toegang\ngemeente: Emmen")
    lesson = result.lesson
    assert result.created
    assert lesson.themes == ["wmo", "toegang"]
    assert lesson.outcome is Outcome.WORKED
    assert (lesson.municipality, lesson.municipality_code) == ("Emmen", "GM0114")
    assert lesson.contact == ANNA


def test_named_contact_and_profile_municipality(app):
    app.service.set_municipality(ANNA, "den bosch")
    lesson = capture(app.service, "Taalcafé in de bibliotheek. contact: Karim Ouali").lesson
    assert lesson.municipality == "'s-Hertogenbosch"
    assert lesson.contact.name == "Karim Ouali"


def test_unknown_organisation_is_kept_with_a_notice(app):
    result = capture(app.service, "Samen met de provincie een pilot gedaan.\ngemeente: Waterschap Rivierenland")
    assert result.lesson.municipality == "Waterschap Rivierenland"
    assert result.lesson.organisation_kind.value == "other"
    assert any(key == "capture.unknown_municipality" for key, _ in result.notices)


def test_same_source_message_captured_twice_is_one_lesson(app):
    first = capture(app.service, "Een verhaal over wijkbudgetten. #wijk", message_id="m-1")
    second = capture(app.service, "Een verhaal over wijkbudgetten, aangevuld. #wijk", message_id="m-1")
    assert first.created and not second.created
    assert first.lesson.id == second.lesson.id
    assert app.repo.count_lessons() == 1
    assert "aangevuld" in app.repo.get_lesson(first.lesson.id).text


def test_ask_finds_matching_stories_with_summary_and_failure_shown(seeded):
    answer = seeded.service.ask("Heeft een gemeente al eens een burgerbegroting geprobeerd?", asker()).answer
    places = [hit.lesson.municipality for hit in answer.hits]
    assert set(places) == {"Zwolle", "Deventer", "Utrecht"}
    assert summary_line(answer.hits, "nl") == "3 gemeenten: 1 gelukt, 1 mislukt, 1 gemengd"
    text = render_answer(answer)
    assert "Deventer" in text and "mislukt" in text and "Anna de Vries" in text


def test_off_topic_question_gets_an_honest_no(seeded):
    answer = seeded.service.ask("Wat is een goed recept voor appeltaart?", asker()).answer
    assert answer.hits == []
    assert "nog geen les gevonden" in render_answer(answer)


def test_answer_language_follows_the_question(seeded):
    answer = seeded.service.ask("Has any municipality tried participatory budgeting?", asker()).answer
    assert answer.lang == "en"
    assert render_answer(answer).startswith(("This is what I found", "I haven't found"))


def test_filters_narrow_the_answer(seeded):
    answer = seeded.service.ask("burgerbegroting", asker(), filters=Filters(outcome=Outcome.FAILED)).answer
    assert [hit.lesson.municipality for hit in answer.hits] == ["Deventer"]
    answer = seeded.service.ask("burgerbegroting", asker(), filters=Filters(province="Overijssel")).answer
    assert {hit.lesson.municipality for hit in answer.hits} == {"Zwolle", "Deventer"}


def test_contrast_brings_a_failure_into_view(app):
    for n, place in enumerate(["Zwolle", "Ede", "Breda", "Leiden"]):
        capture(app.service, f"Burgerpanel voor peilingen, ronde {n}. Het is gelukt. #burgerpanel\ngemeente: {place}")
    capture(app.service, "Burgerpanel voor peilingen: het werkte niet, niemand deed mee. #burgerpanel\n"
                         "gemeente: Hoorn")
    answer = app.service.ask("burgerpanel voor peilingen", asker(), k=3).answer
    assert len(answer.hits) == 3
    assert any(hit.lesson.outcome is Outcome.FAILED for hit in answer.hits)


def test_private_lesson_is_not_shown_in_a_public_channel(app):
    capture(app.service, "Vertrouwelijk: de pilot met sensoren is mislukt. #zorgtechnologie",
            channel="team-zorg", visibility=Visibility.PRIVATE)
    outsider = app.service.ask("pilot met sensoren zorgtechnologie", asker(BRAM, "algemeen"))
    assert outsider.answer.hits == [] and outsider.private_hits == []
    inside = app.service.ask("pilot met sensoren zorgtechnologie",
                             asker(BRAM, "team-zorg", Visibility.PRIVATE))
    assert [hit.lesson.themes for hit in inside.answer.hits] == [["zorgtechnologie"]]


def test_private_lesson_the_asker_may_see_goes_only_to_them(app):
    class MemberOfEverything:
        def can_see(self, asker, platform, workspace, channel_id):
            return True

    app.service.access = MemberOfEverything()
    capture(app.service, "De pilot met sensoren is mislukt. #zorgtechnologie", channel="team-zorg",
            visibility=Visibility.PRIVATE)
    result = app.service.ask("pilot met sensoren", asker(BRAM, "algemeen"))
    assert result.answer.hits == []
    assert result.answer.withheld == 1 and len(result.private_hits) == 1
    assert "besloten" in render_answer(result.answer)


def test_delete_own_lesson_and_not_someone_elses(app):
    lesson = capture(app.service, "Deelauto's in de nieuwbouwwijk. #mobiliteit").lesson
    with pytest.raises(PermissionDenied):
        app.service.delete_lesson(BRAM, lesson.id)
    app.service.delete_lesson(ANNA, lesson.id)
    assert app.service.ask("deelauto nieuwbouwwijk", asker()).answer.hits == []


def test_source_edit_and_delete_flow_to_the_answer(app):
    capture(app.service, "Tegels eruit, groen erin: een wedstrijd tussen straten.", message_id="msg-9")
    src = ("console", "local", "algemeen", "msg-9")
    app.service.update_from_source(*src, "Geveltuinen in plaats van tegels: wedstrijd tussen straten.")
    hits = app.service.ask("geveltuinen", asker()).answer.hits
    assert hits and "Geveltuinen" in hits[0].lesson.text
    assert app.service.remove_by_source(*src)
    assert app.service.ask("geveltuinen", asker()).answer.hits == []


def test_forget_me_removes_everything_and_it_is_no_longer_found(seeded):
    seeded.service.ask("burgerbegroting", asker(ANNA))
    seeded.service.feedback(ANNA, None, None, True)
    data = seeded.service.export_person(ANNA)
    assert len(data["lessons"]) == 5 and len(data["questions"]) == 1 and len(data["feedback"]) == 1
    counts = seeded.service.forget(ANNA)
    assert counts["lessons"] == 5 and counts["questions"] == 1 and counts["feedback"] == 1
    assert seeded.service.ask("burgerbegroting", asker(BRAM)).answer.hits == []
    assert seeded.service.export_person(ANNA)["lessons"] == []


def test_questions_are_recorded_for_statistics(seeded):
    seeded.service.ask("burgerbegroting", asker())
    seeded.service.ask("Wat is een goed recept voor appeltaart?", asker())
    assert seeded.repo.question_counts() == (2, 1)
    assert [text for text, _ in seeded.repo.unanswered_questions()] == ["Wat is een goed recept voor appeltaart?"]


def test_unknown_municipality_is_refused(app):
    with pytest.raises(InputError):
        app.service.set_municipality(PersonRef("console", "x", "X"), "Atlantis")


def test_events_are_claimed_once(app):
    assert app.service.claim_event("slack:Ev123")
    assert not app.service.claim_event("slack:Ev123")


def test_forget_me_leaves_no_trace_and_hands_over_lessons_where_one_is_only_the_contact(app):
    from bot.storage.tables import LessonRow, ProcessedEvent

    own = capture(app.service, "Buurtkamer in vijf wijken. #eenzaamheid", message_id="m-anna",
                  channel="dm-anna").lesson
    theirs = capture(app.service, "Taalcafé in de bibliotheek. Gelukt. #taal", person=BRAM, contact=ANNA).lesson
    assert app.repo.claim_event("mm:reacted:p1:anna:bulb:1")
    counts = app.service.forget(ANNA)
    assert counts["lessons"] == 1 and counts["handed_over"] == 1
    handed = app.repo.get_lesson(theirs.id)
    assert handed is not None and handed.contact is not None and handed.contact.user_id == "bram"
    with app.db.session() as session:
        row = session.get(LessonRow, own.id)
        assert row is not None and row.deleted_at is not None
        kept = {row.captured_by_user_id, row.contact_user_id, row.permalink, row.source_channel_id,
                row.source_message_id, row.text}
        assert not any("anna" in value for value in kept)
        assert session.get(ProcessedEvent, "mm:reacted:p1:anna:bulb:1") is None
    assert own.id not in [h.lesson.id for h in app.service.ask("buurtkamer eenzaamheid", asker(BRAM)).answer.hits]
    assert "Taalcafé" in app.service.ask("taalcafé bibliotheek", asker(BRAM)).answer.hits[0].lesson.title


def test_forget_me_takes_ones_words_out_of_other_peoples_thread_stories(app):
    story = ("Buurtkamer in vijf wijken; ouderen komen wekelijks terug. #eenzaamheid\n\n"
             "Anna de Vries: bel me gerust op 06-12345678, ik vertel hoe we het regelden.\n\n"
             "Cees Jansen: De woningcorporatie gaf de ruimtes gratis in gebruik.")
    lesson = capture(app.service, story, person=BRAM).lesson
    assert app.service.forget(ANNA)["quotes_removed"] == 1
    text = app.repo.get_lesson(lesson.id).text
    assert "06-12345678" not in text and "Anna" not in text
    assert "Buurtkamer in vijf wijken" in text and "De woningcorporatie gaf de ruimtes gratis" in text
    hits = app.service.ask("woningcorporatie ruimtes gratis buurtkamer", asker(BRAM)).answer.hits
    assert hits and hits[0].lesson.id == lesson.id and "06-12345678" not in hits[0].lesson.text


def test_erased_words_are_gone_from_the_database_files_and_the_saved_indexes(app, settings):
    """After `verwijder` and after forget-me, a unique word of the erased lessons is nowhere on disk."""
    from bot.bootstrap import bootstrap
    from bot.search.embedder import HashingEmbedder

    if not app.repo.db.is_sqlite:
        pytest.skip("the database files are SQLite's; PostgreSQL's dead rows are vacuumed instead")
    kept = capture(app.service, "Buurtpreventie via een appgroep in drie wijken. #veiligheid").lesson
    deleted = capture(app.service, "Het Zwartewaterkloosterplan voor bewonersavonden werkte niet. #wonen").lesson
    capture(app.service, "Het Kraggenburgspreekuur werkte goed voor mantelzorgers. #zorg", person=BRAM)
    app.engine.save()

    def on_disk(word: bytes) -> list[str]:  # the database with its journal files, the data and index dirs
        files = Path(settings.data_dir).parent.rglob("*")
        return sorted(f.name for f in files if f.is_file() and word in f.read_bytes().lower())

    # the words as stored and as indexed (stemmed): the check sees them in the database and in the index
    assert len(on_disk(b"zwartewaterkloost")) == 2 and on_disk(b"kraggenburgspreek")
    app.service.delete_lesson(ANNA, deleted.id)
    app.service.forget(BRAM)
    assert on_disk(b"zwartewaterkloost") == [] and on_disk(b"kraggenburgspreek") == []
    assert on_disk(b"buurtpreventie")  # what was not erased is still there
    app.close()
    again = bootstrap(settings, embedder=HashingEmbedder())  # and the index saved after erasure loads
    assert set(again.engine.meta) == {kept.id}
    again.close()
