"""Peer learning: open questions answered later, introductions, similar municipalities, contacts that
leave, the digest and the knowledge-gap statistics — through the console and the core."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner
from helpers import ANNA, BRAM, asker, capture
from helpers import run_console as run
from sqlalchemy import update

from bot.cli import cli
from bot.digest import DigestScheduler, parse_channels
from bot.model import PersonRef
from bot.storage.tables import QuestionRow


def test_an_open_question_is_answered_when_a_matching_lesson_arrives(app):
    out = run(app, ["Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?"], user="Bram")
    assert "nog geen les gevonden" in out
    assert "[1] Heeft iemand ervaring met deelauto's" in run(app, ["/open"], user="Anna")
    out = run(app, ["/les Deelauto's in een nieuwbouwwijk: minder parkeerplekken, bezoekers parkeren in de buurt. "
                    "#mobiliteit gemeente=Houten"], user="Anna")
    assert "beantwoordt 1 open vraag" in out
    assert "(Bram) 📬 Je vroeg op" in out and "“Deelauto's in een nieuwbouwwijk" in out and "Houten" in out
    assert "Er staan geen open vragen." in run(app, ["/open"], user="Anna")


def test_an_asker_who_could_not_be_told_is_told_on_a_later_round_once(app):
    app.service.ask("Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?", asker())
    told: list[str] = []

    def unreachable(question, lesson):  # type: ignore[no-untyped-def]
        raise ConnectionError("the chat server is away")

    app.service.notifiers["console"] = unreachable
    capture(app.service, "Deelauto's in een nieuwbouwwijk: bezoekers parkeren in de buurt. #mobiliteit\n"
                         "gemeente: Houten")
    assert [q.user_id for q, _ in app.repo.pending_answers("console")] == [BRAM.user_id]
    app.service.notifiers["console"] = lambda question, lesson: told.append(lesson.municipality)
    assert app.service.deliver_pending("console") == 1 and told == ["Houten"]
    assert app.service.deliver_pending("console") == 0 and told == ["Houten"]
    assert app.repo.pending_answers("console") == [] and app.service.open_questions() == []


def test_a_lesson_can_answer_a_question_explicitly_and_askers_close_their_own(app):
    run(app, ["Hoe krijg je ambtenaren enthousiast voor leren van andere gemeenten?"], user="Bram")
    run(app, ["Wat is een goede aanpak voor laaggeletterdheid?"], user="Bram")
    assert "niet (meer) een open vraag van jou" in run(app, ["/open sluit 2"], user="Anna")
    assert "Vraag 2 is gesloten." in run(app, ["/open sluit 2"], user="Bram")
    out = run(app, ["/les Leercirkels tussen drie gemeenten, elke maand een praktijkverhaal. antwoord=1"], user="Anna")
    assert "beantwoordt 1 open vraag" in out and "📬" in out
    assert "Er staan geen open vragen." in run(app, ["/open"], user="Bram")


def test_old_open_questions_expire_quietly(app):
    run(app, ["Heeft iemand een bibliotheek als wijkcentrum ingericht?"], user="Bram")
    with app.db.session() as session:
        session.execute(update(QuestionRow).values(asked_at=datetime.now(UTC) - timedelta(days=200)))
    assert "Er staan geen open vragen." in run(app, ["/open"], user="Bram")


def test_questions_stay_closed_when_keeping_them_open_is_switched_off(app):
    app.service.settings = app.service.settings.model_copy(update={"keep_questions_open": False})
    run(app, ["Heeft iemand een bibliotheek als wijkcentrum ingericht?"], user="Bram")
    assert "Er staan geen open vragen." in run(app, ["/open"], user="Bram")


def test_people_choose_whether_they_accept_introductions(app):
    run(app, ["/les Taalcafé voor nieuwkomers in de bibliotheek. #taal"], user="Anna")
    assert "Neem contact op met Anna over les #1" in run(app, ["/contact 1"], user="Bram")
    assert "Ik stel niemand meer aan je voor" in run(app, ["/introducties uit"], user="Anna")
    assert "liever niet via mij worden voorgesteld" in run(app, ["/contact 1"], user="Bram")
    assert "Colleagues can be introduced" in run(app, ["/introductions on"], user="Anna")
    assert "Neem contact op met Anna" in run(app, ["/contact 1"], user="Bram")


def test_similar_municipalities_rank_a_little_higher_and_can_be_asked_for(app):
    for n, other in enumerate(["Afvalscheiding bij flats", "Taalcafé in de bibliotheek", "Energiecoaches aan huis",
                               "Jongerenraad met eigen budget", "Groene schoolpleinen", "Schuldhulp via huisbezoek"]):
        capture(app.service, f"{other}: een verhaal over de aanpak, nummer {n}.", person=ANNA)
    text = "Wijkbudget voor bewoners: zij verdelen zelf het geld voor hun straat. #wijkbudget"
    capture(app.service, text + "\ngemeente: Amsterdam", person=ANNA)
    capture(app.service, text + "\ngemeente: Dinkelland", person=ANNA)
    app.service.set_municipality(BRAM, "Tubbergen")  # small, Overijssel, like Dinkelland
    hits = app.service.ask("wijkbudget voor bewoners", asker(BRAM)).answer.hits
    assert [h.lesson.municipality for h in hits] == ["Dinkelland", "Amsterdam"]
    app.service.set_municipality(BRAM, "Rotterdam")  # very large, like Amsterdam
    hits = app.service.ask("wijkbudget voor bewoners", asker(BRAM)).answer.hits
    assert hits[0].lesson.municipality == "Amsterdam"
    similar = app.service.ask("wijkbudget voor bewoners in vergelijkbare gemeenten", asker(BRAM)).answer.hits
    assert [h.lesson.municipality for h in similar] == ["Amsterdam"]


def test_a_contact_who_left_is_marked_and_their_lessons_can_be_handed_over(app):
    carla = PersonRef("console", "carla", "Carla")
    lesson = capture(app.service, "Buurtkamer in vijf wijken. #eenzaamheid", person=BRAM,
                     contact=PersonRef("console", "anna", "Anna")).lesson
    assert app.service.person_left("console", "anna")[0].id == lesson.id
    out = run(app, ["buurtkamer eenzaamheid", "/contact 1"], user="Cees")
    assert "Anna (niet meer bereikbaar)" in out and "weet ik niemand die ik kan voorstellen" in out
    assert "Alleen de contactpersoon zelf" in run(app, ["/contact overdragen Bram Carla"], user="Cees")
    assert "1 les(sen) hebben nu Carla als contactpersoon." in run(app, ["/contact overdragen Anna Carla"],
                                                                     user="Bram")
    hit = app.service.ask("buurtkamer eenzaamheid", asker()).answer.hits[0]
    assert hit.lesson.contact.name == "Carla" and hit.lesson.contact_active
    del carla


def test_digest_posts_once_per_period_and_not_when_nothing_is_new(app):
    posted: list[tuple[str, str]] = []
    scheduler = DigestScheduler(app.service, "slack", parse_channels("slack:C1,mattermost:x,slack:C2", "slack"),
                                lambda channel, text: posted.append((channel, text)))
    monday = datetime(2026, 11, 23, 8, 5, tzinfo=UTC)  # 09:05 in Amsterdam
    assert scheduler.run_once(monday) == []  # nothing new: nothing posted
    capture(app.service, "Burgerpanel voor snelle peilingen. Gelukt. #burgerpanel\ngemeente: Leiden")
    app.service.ask("Hoe organiseer je een burgerberaad over klimaat?", asker())
    assert scheduler.run_once(monday) == ["C1", "C2"]
    text = posted[0][1]
    assert "#burgerpanel (1)" in text and "Leiden" in text and "burgerberaad over klimaat" in text
    again = DigestScheduler(app.service, "slack", ["C1", "C2"], lambda c, t: posted.append((c, t)))
    assert again.run_once(monday + timedelta(hours=2)) == []  # a restart in the same week: no double post
    assert len(posted) == 2


def test_digest_is_written_in_the_channel_language_with_lessons_without_a_theme(app, settings):
    capture(app.service, "Een wandeling met de wethouder door de wijk. Gelukt.\ngemeente: Leiden")
    app.service.settings = settings.model_copy(update={"default_language": "en"})
    posted: list[tuple[str, str]] = []
    DigestScheduler(app.service, "slack", ["C1"], lambda channel, text: posted.append((channel, text))).run_once(
        datetime(2026, 11, 23, 8, 5, tzinfo=UTC))
    text = posted[0][1]
    assert "Leerkring digest since" in text and "New lessons by theme:" in text and "• other (1)" in text
    assert "Nieuwe lessen" not in text and "overig" not in text


def test_stats_show_knowledge_gaps_as_table_json_and_chart(app, settings, tmp_path):
    capture(app.service, "Burgerbegroting in drie wijken. Gelukt. #burgerbegroting\ngemeente: Zwolle")
    app.service.ask("burgerbegroting", asker())
    app.service.ask("Hoe pak je laaggeletterdheid aan?", asker())
    capture(app.service, "Een ander verhaal zonder antwoord. #laaggeletterdheid\ngemeente: Gouda")
    app.service.ask("Wie weet iets over laaggeletterdheid bij ouderen in de wijk?", asker())
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"}
    chart = tmp_path / "stats.png"
    result = CliRunner().invoke(cli, ["stats", "--json", "--png", str(chart)], env=env)
    data = json.loads(result.stdout)
    assert data["provinces"] == {"Overijssel": 1, "Zuid-Holland": 1}
    assert data["questions_by_theme"]["burgerbegroting"] == {"asked": 1, "answered": 1}
    assert data["questions"]["asked"] == 3
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = CliRunner().invoke(cli, ["stats"], env=env).stdout
    assert "Provincie:" in table and "Vragen: 3 gesteld" in table
    assert "Lessen: 2" in run(app, ["/stats"], user="Bram")


def test_private_questions_and_lessons_stay_out_of_open_lists_digests_and_stats(app, settings):
    from bot.model import Visibility

    capture(app.service, "Vertrouwelijk: pilot met sensoren bij ouderen mislukt. #zorgtechnologie\ngemeente: Gouda",
            channel="team-zorg", visibility=Visibility.PRIVATE)
    capture(app.service, "Burgerpanel voor snelle peilingen. Gelukt. #burgerpanel\ngemeente: Leiden")
    app.service.ask("Hoe regel je nachtzorg voor mijn moeder met dementie?", asker(ANNA, "dm-anna", Visibility.DM))
    app.service.ask("Wie heeft een reorganisatie van het sociaal team meegemaakt?",
                    asker(ANNA, "team-zorg", Visibility.PRIVATE))
    app.service.ask("Hoe organiseer je een burgerberaad over klimaat?", asker(BRAM))
    outside = run(app, ["/open"], user="Cees", channel="algemeen")
    assert "burgerberaad over klimaat" in outside
    assert "nachtzorg" not in outside and "reorganisatie" not in outside and "Anna" not in outside
    assert "reorganisatie" in run(app, ["/open"], user="Cees", channel="team-zorg", private=True)
    assert "nachtzorg" in run(app, ["/open"], user="Anna", channel="dm-anna", private=True)  # her own
    digest = app.service.digest(datetime.now(UTC) - timedelta(days=7))
    assert [q.text for q in digest.open_questions] == ["Hoe organiseer je een burgerberaad over klimaat?"]
    assert [lesson.municipality for lessons in digest.new_by_theme.values() for lesson in lessons] == ["Leiden"]
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"}
    data = json.loads(CliRunner().invoke(cli, ["stats", "--json"], env=env).stdout)
    assert data["lessons"] == 1 and "zorgtechnologie" not in data["themes"] and data["provinces"] == {"Zuid-Holland": 1}
    assert data["questions"]["asked"] == 1
    assert not any("nachtzorg" in q or "reorganisatie" in q for q in data["unanswered"])


def test_feedback_is_one_vote_per_person_per_lesson_and_can_be_changed(app):
    lesson = capture(app.service, "Burgerpanel voor snelle peilingen. Gelukt. #burgerpanel\ngemeente: Leiden").lesson
    week = datetime.now(UTC) - timedelta(days=7)
    for _ in range(5):
        app.service.feedback(BRAM, None, lesson.id, True)
    assert app.repo.most_helpful(week) == [(app.repo.get_lesson(lesson.id), 1)]
    app.service.feedback(ANNA, None, lesson.id, True)
    assert [n for _, n in app.repo.most_helpful(week)] == [2]
    app.service.feedback(BRAM, None, lesson.id, False)  # Bram changes his mind
    assert [n for _, n in app.repo.most_helpful(week)] == [1]


def test_a_capture_checks_open_questions_with_their_saved_vectors_in_one_product(settings, tmp_path):
    from bot.bootstrap import bootstrap
    from bot.search.embedder import HashingEmbedder

    topics = ["afvalinzameling", "laaggeletterdheid", "schuldhulpverlening", "windmolens", "jongerenraad",
              "eenzaamheid", "statushouders", "hondenpoep", "parkeren", "groene schoolpleinen", "burgerberaad",
              "mantelzorg", "energiearmoede", "domotica", "inloopspreekuur", "wijkbudget"]
    asking = bootstrap(settings, embedder=HashingEmbedder())
    for n, topic in enumerate(topics):
        asking.service.ask(f"Wie heeft ervaring met {topic} in kleine kernen?", asker(PersonRef("slack", f"U{n}")))
    asking.service.ask("Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?", asker(PersonRef("slack", "UX")))
    assert len(asking.service.open_questions()) == len(topics) + 1
    asking.close()

    class Counting(HashingEmbedder):
        queries = 0

        def embed_queries(self, texts):  # type: ignore[no-untyped-def]
            Counting.queries += len(texts)
            return super().embed_queries(texts)

    saving = bootstrap(settings.model_copy(update={"index_dir": tmp_path / "other-process"}), embedder=Counting())
    searched: list[str] = []
    search = saving.engine.search
    saving.engine.search = lambda question, **kw: searched.append(question) or search(question, **kw)  # type: ignore[method-assign]
    capture(saving.service, "Deelauto's in een nieuwbouwwijk: bezoekers parkeren in de buurt. #mobiliteit\n"
                            "gemeente: Houten", person=ANNA)
    assert Counting.queries == 0  # the open questions' saved vectors, not a new embedding
    assert searched == ["Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?"]  # only the plausible one
    assert [q.user_id for q, _ in saving.repo.pending_answers("slack")] == ["UX"]
    saving.close()
