"""Learning in groups, on every platform through its fake: failures shared without a name and approved by a
coordinator, the sessions that discuss them, learning circles, and open questions that reach the colleague
whose lesson comes close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from platforms import ANNA, BRAM, CEES, DIRK, PRIVATE, PUBLIC, platforms, wait_for
from sqlalchemy import update

from bot.model import Asker, PersonRef
from bot.search.decision import MatchDecision
from bot.storage.tables import CircleRoundRow, CircleRow, FailureSessionRow

FAILURE = ("We hielden de inspraakavond pas na het raadsbesluit over de speeltuin; er kwam niemand en de "
           "buurt voelde zich gepasseerd.")


def coordinate(chat: Any, *users: str) -> None:
    """Make `users` the network's coordinators (LEERKRING_COORDINATORS)."""
    chat.core.settings.coordinators = ",".join(f"{chat.name}:{chat.ids[u]}" for u in users)


def press(chat: Any, user: str, label: str, command: str) -> None:
    """A button where the platform has one; the console types the command instead."""
    if chat.name == "console":
        chat.command(user, PUBLIC, command)
    else:
        chat.choose(user, label)


def lessons(chat: Any) -> list[Any]:
    return list(chat.core.repo.iter_lessons())


@platforms("slack", "mattermost", "teams", "console")
def test_a_failure_shared_anonymously_is_posted_without_a_name_after_a_coordinator_approves(chat):
    coordinate(chat, BRAM)
    chat.command(ANNA, PUBLIC, f"anoniem {FAILURE} patroon=te_laat_betrokken volgen=ja")
    told = wait_for(lambda: [p for p in chat.private(ANNA) if "zonder je naam" in p])[-1]
    assert "alleen om je te laten weten" in told
    review = wait_for(lambda: [m for m in chat.direct(BRAM) if "inspraakavond" in m])[-1]
    assert "te laat betrokken" in review and "Anna" not in review and chat.handle(ANNA) not in review
    if chat.threads:
        assert not any("inspraakavond" in p for p in chat.public(PUBLIC))  # nothing before approval
    press(chat, BRAM, "Goedkeuren", "anoniem goedkeuren 1")
    posted = wait_for(lambda: [p for p in chat.public(PUBLIC) if "deelt anoniem" in p and "inspraakavond" in p])
    if chat.threads:  # the channel's post (the console prints it among the rest of the terminal's output)
        assert "te laat betrokken" in posted[0] and "Anna" not in posted[0] and chat.ids[ANNA] not in posted[0]
    else:
        assert "[#algemeen] 🕯️ Een collega deelt anoniem wat mislukte (patroon: te laat betrokken)" in posted[0]
    lesson = wait_for(lambda: lessons(chat))[0]
    assert lesson.outcome.value == "failed" and lesson.why == "te laat betrokken"
    assert (lesson.contact.user_id, lesson.captured_by.user_id, lesson.contact.name) == ("", "", "anoniem")
    assert wait_for(lambda: [m for m in chat.direct(ANNA) if "staat nu in #algemeen" in m])
    press(chat, BRAM, "Goedkeuren", "anoniem goedkeuren 1")  # once decided, decided
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "al beslist" in p])
    assert len(lessons(chat)) == 1
    from bot.stats import compute, render_table

    data = compute(chat.core.repo)  # the coordinators' statistics count the pattern, never the author
    assert data["failure_patterns"] == {"late": 1} and "    1  te laat betrokken" in render_table(data)
    kept = chat.core.service.export_person(PersonRef(chat.name, chat.ids[ANNA]))
    assert [f["id"] for f in kept["anonymous_failures"]] == [1]
    chat.command(ANNA, PUBLIC, "vergeet bevestig")  # forget-me takes her story and the link to her
    wait_for(lambda: not lessons(chat) and chat.core.repo.failures_of(chat.name, chat.ids[ANNA]) == [])


@platforms("slack", "mattermost", "teams")
def test_without_consent_the_author_is_not_kept_and_no_one_outside_a_private_channel_reviews_it(chat):
    coordinate(chat, BRAM)
    chat.command(ANNA, PUBLIC, f"anoniem {FAILURE}")  # no pattern given: she is asked for one
    asked = wait_for(lambda: [p for p in chat.private(ANNA) if "Welk patroon" in p])[-1]
    assert "Wie je bent, bewaar ik niet" in asked and "te breed mandaat" in asked
    chat.choose(ANNA, "verkeerde doelgroep bereikt")
    wait_for(lambda: chat.core.repo.get_failure(1).pattern == "audience")
    assert chat.core.repo.get_failure(1).author_id == ""
    chat.command(CEES, PUBLIC, "anonymous approve 1")  # not a coordinator
    assert wait_for(lambda: [p for p in chat.private(CEES) if "Only a coordinator" in p])
    press(chat, BRAM, "Afwijzen", "")
    wait_for(lambda: chat.core.repo.get_failure(1).status == "rejected")
    assert chat.core.repo.get_failure(1).text == "" and not lessons(chat)  # a rejected story is erased
    assert not [m for m in chat.direct(ANNA) if "niet geplaatst" in m]  # she kept no link: nobody to tell
    chat.command(ANNA, PUBLIC, f"anoniem {FAILURE} patroon=laat volgen=ja")  # now she wants to hear back
    wait_for(lambda: len([m for m in chat.direct(BRAM) if "inspraakavond" in m]) == 2)
    chat.choose(BRAM, "Afwijzen")
    told = wait_for(lambda: [m for m in chat.direct(ANNA) if "niet geplaatst" in m])
    assert "(nr. 2)" in told[0] and chat.core.repo.get_failure(2).text == ""
    chat.command(ANNA, PRIVATE, f"anoniem {FAILURE} patroon=laat")  # Bram is not in the private channel
    assert wait_for(lambda: [p for p in chat.private(ANNA) if "geen coördinator die dit kanaal kan zien" in p])
    assert chat.core.repo.get_failure(3) is None
    assert len([m for m in chat.direct(BRAM) if "inspraakavond" in m]) == 2


@platforms("slack", "mattermost", "teams")
def test_a_session_posts_the_period_s_failures_and_lessons_from_its_discussion_point_back(chat):
    coordinate(chat, BRAM)
    chat.command(ANNA, PUBLIC, "sessie 2030-01-15 14:00 Wat mislukte er dit kwartaal")
    assert wait_for(lambda: [p for p in chat.private(ANNA) if "Dat kan alleen een coördinator" in p])
    chat.command(BRAM, PUBLIC, "sessie 2030-01-15 14:00 Wat mislukte er dit kwartaal")
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "gepland op 15 jan 2030 14:00" in p])
    assert wait_for(lambda: [p for p in chat.public(PUBLIC) if "📅" in p and "Wat mislukte er" in p])
    chat.command(ANNA, PUBLIC, f"anoniem {FAILURE} patroon=laat volgen=ja")
    wait_for(lambda: [m for m in chat.direct(BRAM) if "inspraakavond" in m])
    chat.choose(BRAM, "Goedkeuren")
    wait_for(lambda: lessons(chat))
    chat.follow_up()
    assert not [p for p in chat.public(PUBLIC) if "anoniem gedeelde mislukking(en)" in p]  # not yet
    with chat.core.db.session() as session:  # the day has come
        session.execute(update(FailureSessionRow).values(at=datetime(2026, 1, 15, 13, 0, tzinfo=UTC)))
    chat.follow_up()
    post = wait_for(lambda: [p for p in chat.public(PUBLIC) if "1 anoniem gedeelde mislukking(en)" in p])[0]
    assert "inspraakavond" in post and "(te laat betrokken)" in post and "Anna" not in post
    assert wait_for(lambda: [m for m in chat.direct(ANNA) if "besproken in de sessie" in m])
    chat.follow_up()  # posted once, whichever process looks
    assert len([p for p in chat.public(PUBLIC) if "anoniem gedeelde mislukking(en)" in p]) == 1
    with chat.core.db.session() as session:
        root = session.query(FailureSessionRow).one().message_id
    reply = chat.say(CEES, PUBLIC, "Wat wij leerden: nodig de buurt uit vóór het ontwerp, niet erna. #speeltuin",
                     thread=root)
    chat.tag(DIRK, PUBLIC, reply)
    wait_for(lambda: len(lessons(chat)) == 2)
    chat.core.engine.decision = MatchDecision(match_at=-1e9, related_at=-1e9)  # every close lesson answers
    chat.ask(DIRK, PUBLIC, "Hoe betrek je de buurt bij het ontwerp van een speeltuin?")
    answer = wait_for(lambda: [p for p in chat.public(PUBLIC) if "Uit de sessie" in p])[0]
    assert "Uit de sessie “Wat mislukte er dit kwartaal” van 15 jan 2026" in answer
    result = chat.core.service.ask("speeltuin ontwerp buurt", Asker(chat.name, chat.ids[DIRK]), record=False)
    sessions = {h.lesson.id: h.lesson.session for h in result.answer.hits}
    assert sessions[1] is None and sessions[2] is not None  # the failure itself was not said in the discussion


@platforms("slack", "mattermost", "teams", "console")
def test_a_learning_circle_invites_rotates_reminds_and_keeps_takeaways_for_its_members(chat):
    coordinate(chat, BRAM)
    members = ",".join(chat.handle(u) for u in (ANNA, CEES, DIRK, BRAM))
    chat.command(BRAM, PUBLIC, f'kring nieuw "Participatie Oost" leden={members} elke=14 '
                               f'vragen="Hoe bereik je stille bewoners?; Wat doe je met kritiek?"')
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "Kring nr. 1 “Participatie Oost” gemaakt" in p])
    for user in (ANNA, CEES, DIRK, BRAM):
        assert wait_for(lambda u=user: [m for m in chat.direct(u) if "Participatie Oost" in m])
    press(chat, ANNA, "Ik doe mee", "kring ja 1")
    if chat.name == "console":
        for user, answer in ((CEES, "ja"), (DIRK, "nee"), (BRAM, "ja")):
            chat.command(user, PUBLIC, f"kring {answer} 1")
    else:
        chat.choose(CEES, "I'll join")
        chat.choose(DIRK, "Liever niet")
        chat.choose(BRAM, "Ik doe mee")
    wait_for(lambda: [m.user_id for m in chat.core.repo.get_circle(1).joined] == [
        chat.ids[ANNA], chat.ids[CEES], chat.ids[BRAM]])
    press(chat, DIRK, "Ik doe mee", "kring ja 1")  # declined is declined: a second press changes nothing
    wait_for(lambda: [p for p in chat.private(DIRK) if "al beantwoord" in p])
    chat.follow_up()
    assert not [m for m in chat.direct(ANNA) if "brengt de casus in" in m]  # the first round is a week away
    with chat.core.db.session() as session:  # the first round is tomorrow morning
        session.execute(update(CircleRow).values(start_at=datetime.now(UTC) + timedelta(hours=12)))
    chat.follow_up()
    chat.follow_up()
    for user in (ANNA, CEES, BRAM):
        reminded = wait_for(lambda u=user: [m for m in chat.direct(u) if "ronde 1 op" in m or "round 1 on" in m])
        assert len(reminded) == 1 and "stille bewoners" in reminded[0] and chat.handle(ANNA) in reminded[0]
    assert [m for m in chat.direct(ANNA) if "Jij brengt deze keer" in m]  # the first who joined starts
    assert not [m for m in chat.direct(CEES) if "You bring the case" in m]
    assert not [m for m in chat.direct(DIRK) if "ronde 1 op" in m]
    with chat.core.db.session() as session:  # the round was yesterday
        session.execute(update(CircleRoundRow).values(at=datetime.now(UTC) - timedelta(days=1)))
    chat.follow_up()
    assert wait_for(lambda: [m for m in chat.direct(ANNA) if "wat neem je mee" in m])
    assert not [m for m in chat.direct(DIRK) if "wat neem je mee" in m]
    chat.command(ANNA, PUBLIC, "meenemen Begin elke ronde met een klein succes; dan durven mensen ook hun "
                               "mislukkingen te delen.")
    assert wait_for(lambda: [p for p in chat.private(ANNA) if "van de kring “Participatie Oost”" in p])
    lesson = wait_for(lambda: lessons(chat))[0]
    from bot.stats import compute

    assert compute(chat.core.repo)["circles"] == {"circles": 1, "members": 3, "rounds": 1}
    assert lesson.source.channel_id == "kring-1" and lesson.source.visibility.value == "private"
    assert lesson.title.startswith("Participatie Oost, ronde 1")
    question = "vraag Hoe durven mensen hun mislukkingen te delen?"
    chat.command(CEES, PUBLIC, question)  # a member finds it, privately
    assert wait_for(lambda: [p for p in chat.private(CEES) if "klein succes" in p or "#1" in p])
    chat.command(DIRK, PUBLIC, question)  # who declined does not
    wait_for(lambda: [p for p in chat.private(DIRK) if "mislukkingen" in p])
    assert not [p for p in chat.private(DIRK) if "klein succes" in p]
    chat.command(DIRK, PUBLIC, "meenemen iets")
    assert wait_for(lambda: [p for p in chat.private(DIRK) if "nog geen kringronde" in p])


def test_who_brings_the_case_rotates_through_the_members_who_joined(app):
    repo = app.repo
    start = datetime.now(UTC) + timedelta(hours=6)
    circle = repo.create_circle("console", "Wijkteams", ["Vraag een", "Vraag twee"], 7, start, "bram",
                                [("anna", "Anna"), ("cees", "Cees"), ("dirk", "Dirk"), ("eva", "Eva")])
    for user in ("anna", "cees", "eva"):
        repo.answer_invitation(circle.id, user, True)
    presenters = []
    for week in range(4):
        now = start + timedelta(days=7 * week) - timedelta(hours=6)
        due = repo.due_reminders("console", now=now)
        assert len(due) == 1 and repo.due_reminders("console", now=now) == []  # claimed once
        presenters.append((due[0].presenter_id, due[0].question))
    assert presenters == [("anna", "Vraag een"), ("cees", "Vraag twee"), ("eva", "Vraag een"),
                          ("anna", "Vraag twee")]


@platforms("slack", "mattermost", "teams")
def test_an_open_question_reaches_the_colleague_whose_lesson_comes_close_as_often_as_they_chose(chat):
    chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, "Jongerenraad via de sportclubs: twintig jongeren praten "
                                                  "mee over de wijk. #jongeren\ngemeente: Zwolle"))
    chat.tag(ANNA, PUBLIC, chat.say(CEES, PUBLIC, "Jongerenpanel online: weinig animo. #jongeren\ngemeente: Ede"))
    wait_for(lambda: len(lessons(chat)) == 2)
    chat.command(CEES, PUBLIC, "notifications off")
    chat.core.engine.decision = MatchDecision(match_at=1e9, related_at=-1e9)  # close, but nothing answers
    chat.ask(DIRK, PUBLIC, "Hoe krijg je jongeren aan tafel bij de omgevingsvisie?")
    wait_for(lambda: chat.core.repo.open_questions())
    told = wait_for(lambda: [m for m in chat.direct(ANNA) if "Een collega vroeg in #algemeen" in m])
    assert "omgevingsvisie" in told[0] and "Jongerenraad" in told[0]
    assert not chat.direct(CEES) and not chat.direct(DIRK)  # Cees chose no notices; the asker is not told
    chat.ask(ANNA, PUBLIC, "Hoe krijg je jongeren aan tafel bij een jongerenraad?")  # her own question
    wait_for(lambda: len(chat.core.repo.open_questions()) == 2)
    assert len([m for m in chat.direct(ANNA) if "Een collega vroeg" in m]) == 1
    chat.tag(ANNA, PRIVATE, chat.say(ANNA, PRIVATE, "Jongeren in de zorg. #jongeren\ngemeente: Ede"))
    chat.ask(ANNA, PRIVATE, "Hoe krijg je jongeren aan tafel in de zorg?")  # asked in a private channel
    wait_for(lambda: len(chat.core.repo.open_questions()) == 3)
    assert not [m for m in chat.direct(CEES) + chat.direct(BRAM) if "in de zorg" in m]


def test_a_circle_is_suggested_from_comparable_municipalities_that_share_the_theme(app):
    from bot.groups import suggest_members
    from bot.model import Source
    from bot.service import CaptureRequest

    people = {"anna": ("Zwolle", "jongeren"), "bram": ("Ede", "jongeren"), "cees": ("Deventer", "jongeren"),
              "dirk": ("Zwolle", "jongeren"), "eva": ("Urk", "jongeren"), "fien": ("Ede", "energie")}
    for n, (user, (place, theme)) in enumerate(people.items()):
        ref = PersonRef("slack", user, user.title())
        app.service.set_municipality(ref, place)
        for m in range(2 if user == "dirk" else 1):
            app.service.capture(CaptureRequest(text=f"Les {n}.{m} over {theme} in {place}. #{theme}",
                                               source=Source("slack", "T", "C1", "algemeen", message_id=f"{n}-{m}"),
                                               author=ref, captured_by=ref, contact=ref))
    chosen = suggest_members(app.repo, "slack", theme="jongeren")
    # very large municipalities are the most common size among those on the theme; Zwolle once (Dirk has more)
    assert [(c.user_id, c.municipality, c.size_class) for c in chosen] == [
        ("dirk", "Zwolle", "zeer groot"), ("bram", "Ede", "zeer groot"), ("cees", "Deventer", "zeer groot")]
    assert [c.user_id for c in suggest_members(app.repo, "slack", theme="jongeren", size_class="middelgroot")] == [
        "eva"]
    assert [c.user_id for c in suggest_members(app.repo, "slack", theme="energie")] == ["fien"]
    assert suggest_members(app.repo, "mattermost", theme="jongeren") == []


@platforms("console")
def test_a_coordinator_asks_who_would_make_a_circle(chat):
    for user, place in ((ANNA, "Zwolle"), (BRAM, "Ede"), (DIRK, "Urk")):
        chat.command(user, PUBLIC, f"gemeente {place}")
        chat.say(user, PUBLIC, f"Jongerenraad in {place}: jongeren praten mee over de wijk. #jongeren")
    chat.command(CEES, PUBLIC, "circle suggest theme=jongeren size=\"very large\"")
    shown = chat.private(CEES)[-1]
    assert "Suggestion for a circle (jongeren, very large)" in shown
    assert "anna (Zwolle, very large; 1 lesson(s) on jongeren)" in shown and "bram (Ede" in shown
    assert "dirk" not in shown
    chat.command(CEES, PUBLIC, 'circle new "Jongeren" members=anna,bram')  # too few for a circle
    assert "A circle has 4 to 8 people; you named 2." in chat.private(CEES)[-1]
