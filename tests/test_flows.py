"""The flows of the chat contract, one test body each, run on every platform that has them (Slack and
Mattermost through their loopback fakes with the real client libraries, and the console)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from platforms import ANNA, BRAM, CEES, PRIVATE, PUBLIC, platforms, wait_for

STORY = ("Burgerbegroting in drie wijken: bewoners verdeelden 150.000 euro. Het is gelukt. #burgerbegroting\n"
         "gemeente: Zwolle")
HIDDEN = "Zorgrobots in de thuiszorg: cliënten wilden ze niet. Het is mislukt. #zorg\ngemeente: Deventer"


def lessons(chat: Any) -> list[Any]:
    return list(chat.core.repo.iter_lessons())


@platforms("slack", "mattermost", "teams")
def test_a_tagged_message_becomes_a_lesson_and_only_the_tagger_is_told(chat):
    message = chat.say(ANNA, PUBLIC, STORY)
    chat.tag(BRAM, PUBLIC, message)
    told = wait_for(lambda: chat.private(BRAM))
    assert "Bewaard als les #1" in told[0] and "Zwolle" in told[0] and "Anna de Vries" in told[0]
    assert not chat.public(PUBLIC) and not chat.private(ANNA)
    lesson = lessons(chat)[0]
    assert lesson.contact.user_id == chat.ids[ANNA] and lesson.captured_by.user_id == chat.ids[BRAM]
    link = lesson.source.permalink
    assert link.startswith("http") and (chat.ids[PUBLIC] in link or link.endswith(message))


@platforms("slack", "mattermost", "teams")
def test_a_tagged_thread_is_one_story_of_the_people_in_it_without_the_bots_replies(chat):
    root = chat.say(ANNA, PUBLIC, "Wij probeerden een jongerenraad. #jongeren")
    chat.say(BRAM, PUBLIC, "Hoe kregen jullie de jongeren binnen?", thread=root)
    chat.bot_says(PUBLIC, "Dit vond ik over jongerenraden: …", thread=root)
    chat.say(ANNA, PUBLIC, "Via de sportclubs; scholen werkten niet.", thread=root)
    chat.tag(BRAM, PUBLIC, root)
    wait_for(lambda: lessons(chat))
    text = lessons(chat)[0].text
    assert "jongerenraad" in text and "Bram Peters: Hoe kregen" in text and "sportclubs" in text
    assert "Dit vond ik" not in text
    later = chat.say(BRAM, PUBLIC, "Update: de raad komt nu elke maand bijeen.", thread=root)
    wait_for(lambda: "elke maand" in lessons(chat)[0].text)
    chat.delete(PUBLIC, later)
    wait_for(lambda: "elke maand" not in lessons(chat)[0].text)


@platforms("slack", "mattermost")
def test_a_lesson_follows_its_source_edited_untagged_and_deleted(chat):
    message = chat.say(ANNA, PUBLIC, STORY)
    chat.tag(BRAM, PUBLIC, message)
    wait_for(lambda: lessons(chat))
    chat.edit(PUBLIC, message, "Geveltuinen in plaats van tegels, een wedstrijd tussen straten. #groen")
    wait_for(lambda: "Geveltuinen" in lessons(chat)[0].text)
    chat.tag(BRAM, PUBLIC, message, added=False)
    wait_for(lambda: not lessons(chat))
    other = chat.say(ANNA, PUBLIC, "Taalcafé voor nieuwkomers in de bibliotheek. #taal")
    chat.tag(BRAM, PUBLIC, other)
    wait_for(lambda: lessons(chat))
    chat.delete(PUBLIC, other)
    wait_for(lambda: not lessons(chat))


@platforms("slack", "mattermost", "teams")
def test_a_question_is_answered_in_its_thread_and_a_private_lesson_only_to_its_member(chat):
    chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    chat.tag(ANNA, PRIVATE, chat.say(ANNA, PRIVATE, HIDDEN))
    wait_for(lambda: len(lessons(chat)) == 2)
    question = chat.ask(ANNA, PUBLIC, "Heeft een gemeente een burgerbegroting of zorgrobots geprobeerd?")
    answer = wait_for(lambda: chat.public(PUBLIC, thread=question))
    assert "Zwolle" in answer[0] and "Zorgrobots" not in answer[0] and "Deventer" not in answer[0]
    only_anna = wait_for(lambda: [p for p in chat.private(ANNA) if "Zorgrobots" in p])
    assert "Deventer" in only_anna[0]
    chat.ask(BRAM, PUBLIC, "Zijn er lessen over zorgrobots in de thuiszorg?")
    wait_for(lambda: len(chat.public(PUBLIC)) == 2)
    assert not any("Zorgrobots" in p for p in chat.public(PUBLIC) + chat.private(BRAM))


@platforms("slack", "mattermost", "teams", "console")
def test_an_open_question_is_told_privately_when_a_lesson_answers_it(chat):
    chat.ask(CEES, PUBLIC, "Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?")
    wait_for(lambda: chat.core.repo.open_questions())
    story = ("Deelauto's in een nieuwbouwwijk: minder parkeerplekken, bewoners delen twaalf auto's. "
             "#mobiliteit\ngemeente: Houten")
    if chat.threads:
        chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, story))
    else:
        chat.say(ANNA, PUBLIC, story)
    if chat.name == "console":  # the console tells at the next line typed
        chat.ask(ANNA, PUBLIC, "/help")
    told = wait_for(lambda: chat.direct(CEES), timeout=30)
    assert "Houten" in told[0] and f"Contact: {chat.handle(ANNA)}" in told[0]
    assert not chat.core.repo.open_questions()


@platforms("slack", "mattermost", "teams", "console")
def test_a_command_is_answered_privately_and_its_chart_goes_to_direct_messages(chat):
    if chat.threads:
        chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    else:
        chat.say(ANNA, PUBLIC, STORY)
    wait_for(lambda: lessons(chat))
    chat.command(BRAM, PUBLIC, "stats")
    table = wait_for(lambda: [p for p in chat.private(BRAM) if "Lessen: 1" in p])
    assert table and not any("Lessen" in p for p in chat.public(PUBLIC) if chat.threads)
    assert wait_for(lambda: chat.images(BRAM))
    assert not chat.images(ANNA)


@platforms("slack", "mattermost", "teams", "console")
def test_why_and_conditions_travel_with_the_lesson_into_every_answer(chat):
    story = ("Buurtbemiddeling met vrijwilligers: 40 conflicten opgelost. #buurt\nuitkomst: gelukt\n"
             "gemeente: Ede\nwaarom: bemiddelaars uit de eigen wijk\nvoorwaarden: een vaste coördinator")
    if chat.threads:
        chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, story))
    else:
        chat.say(ANNA, PUBLIC, "Buurtbemiddeling met vrijwilligers: 40 conflicten opgelost. #buurt uitkomst=gelukt "
                               "gemeente=Ede waarom=bemiddelaars uit de eigen wijk voorwaarden=een vaste coördinator")
    wait_for(lambda: lessons(chat))
    assert (lessons(chat)[0].why, lessons(chat)[0].conditions) == ("bemiddelaars uit de eigen wijk",
                                                                    "een vaste coördinator")
    chat.ask(BRAM, PUBLIC, "Heeft een gemeente buurtbemiddeling met vrijwilligers geprobeerd?")
    answer = wait_for(lambda: [p for p in chat.public(PUBLIC) if "Buurtbemiddeling" in p and "Ede" in p
                               and "Bewaard als les" not in p])[-1]
    assert "Waarom" in answer and "bemiddelaars uit de eigen wijk" in answer
    assert "Voorwaarden" in answer and "een vaste co" in answer


@platforms("slack", "mattermost", "teams")
def test_not_useful_asks_why_and_an_outdated_report_reaches_the_statistics(chat):
    chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    wait_for(lambda: lessons(chat))
    lesson = lessons(chat)[0].id
    chat.vote(BRAM, lesson, helpful=False)
    asked = wait_for(lambda: [p for p in chat.private(BRAM) if "Wat schortte eraan" in p])
    assert "verouderd" in asked[-1] and "niet relevant" in asked[-1] and "onvolledig" in asked[-1]
    assert not any("Wat schortte" in p for p in chat.private(ANNA) + chat.public(PUBLIC))
    chat.choose(BRAM, "verouderd")
    wait_for(lambda: chat.core.repo.reported("outdated") == [(lesson, 1)])
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "Dank je" in p])
    from bot.stats import compute, render_table

    data = compute(chat.core.repo)
    assert data["outdated"] == [{"id": lesson, "title": lessons(chat)[0].title, "reports": 1}]
    assert "Door lezers als verouderd gemeld:" in render_table(data)
    chat.vote(BRAM, lesson, helpful=True)  # changing one's mind replaces the vote and its reason
    wait_for(lambda: chat.core.repo.reported("outdated") == [])


@platforms("slack", "mattermost")
def test_an_introduction_asks_the_contact_first_and_later_whether_they_met(chat):
    chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    wait_for(lambda: lessons(chat))
    lesson = lessons(chat)[0].id
    chat.introduce(CEES, lesson)
    assert wait_for(lambda: [p for p in chat.private(CEES) if "I have asked Anna" in p])  # Cees reads English
    request = wait_for(lambda: [m for m in chat.direct(ANNA) if "wil je graag spreken" in m])[0]
    assert chat.handle(CEES) in request and f"#{lesson}" in request
    assert not chat.groups()  # nothing is opened before the contact says yes
    chat.introduce(CEES, lesson)  # asking again while Anna has not answered asks her no second time
    wait_for(lambda: [p for p in chat.private(CEES) if "asked Anna de Vries already" in p])
    assert len([m for m in chat.direct(ANNA) if "wil je graag spreken" in m]) == 1
    chat.choose(ANNA, "Ja, graag")
    assert wait_for(lambda: chat.groups()) == [{ANNA, CEES}]
    assert wait_for(lambda: [m for m in chat.direct(CEES) if "would like to talk with you" in m])
    chat.choose(ANNA, "Ja, graag")  # a second press changes nothing
    wait_for(lambda: [p for p in chat.private(ANNA) if "al beantwoord" in p])
    assert len(chat.groups()) == 1
    # a fortnight later (LEERKRING_INTRO_CHECK_DAYS), each is asked, once across processes
    from bot.followup import FollowUps

    with chat.core.db.session() as session:  # the fortnight has passed
        from sqlalchemy import update

        from bot.storage.tables import IntroductionRow
        session.execute(update(IntroductionRow).values(check_after=IntroductionRow.asked_at))
    assert FollowUps(chat.core.service, chat.name).run_once() == 0  # no answers pending, but the check ran
    assert wait_for(lambda: [m for m in chat.direct(ANNA) if "Hebben jullie elkaar gesproken" in m])
    assert wait_for(lambda: [m for m in chat.direct(CEES) if "Did you two talk" in m])
    assert chat.core.service.check_introductions(chat.name) == 0  # claimed once
    chat.choose(CEES, "Yes")
    wait_for(lambda: chat.core.repo.introduction_counts() == {"asked": 1, "accepted": 1, "met": 1})


@platforms("slack", "mattermost", "teams")
def test_a_contact_who_cannot_now_is_not_exposed(chat):
    chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    wait_for(lambda: lessons(chat))
    chat.introduce(BRAM, lessons(chat)[0].id)
    wait_for(lambda: [m for m in chat.direct(ANNA) if "wil je graag spreken" in m])
    chat.choose(ANNA, "Liever niet")
    told = wait_for(lambda: [m for m in chat.direct(BRAM) if "kan nu niet" in m])[0]
    assert "Liever niet" not in told and "declined" not in told  # no or not now: Bram hears the same
    chat.choose(ANNA, "geen tijd")  # why, if she likes: kept with the bot
    wait_for(lambda: [p for p in chat.private(ANNA) if "Je reden blijft bij mij" in p])
    kept = chat.core.repo.person_data(chat.name, chat.ids[ANNA])["introductions"][0]
    assert kept["your_reason"] == "no_time" and "your_reason" not in \
        chat.core.repo.person_data(chat.name, chat.ids[BRAM])["introductions"][0]
    assert not [m for m in chat.direct(BRAM) + chat.private(BRAM) if "geen tijd" in m]
    assert not chat.groups()
    assert chat.core.repo.introduction_counts() == {"asked": 1, "accepted": 0, "met": 0}


@platforms("slack", "mattermost", "teams")
def test_months_later_the_contact_is_asked_how_it_ended_and_the_answer_joins_the_lesson(chat):
    from sqlalchemy import update

    from bot.followup import FollowUps
    from bot.storage.tables import LessonRow

    chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, "Proef met een wijkbudget via loting, loopt nog. #wijkbudget\n"
                                                  "gemeente: Ede"))
    wait_for(lambda: lessons(chat))
    lesson = lessons(chat)[0]
    assert lesson.outcome.value == "unknown"
    followups = FollowUps(chat.core.service, chat.name)
    followups.run_once()
    assert not [m for m in chat.direct(ANNA) if "Hoe is het afgelopen" in m]  # too soon
    with chat.core.db.session() as session:  # three months and a bit later
        session.execute(update(LessonRow).values(created_at=datetime.now(UTC) - timedelta(days=100)))
    followups.run_once()
    asked = wait_for(lambda: [m for m in chat.direct(ANNA) if "Hoe is het afgelopen" in m])
    assert f"#{lesson.id}" in asked[0] and not [m for m in chat.direct(BRAM) if "Hoe is het" in m]
    followups.run_once()  # asked once per period, whichever process looks
    assert len([m for m in chat.direct(ANNA) if "Hoe is het afgelopen" in m]) == 1
    assert f"afloop #{lesson.id}" in asked[0]  # besides the buttons, a text of her own
    chat.choose(ANNA, "gelukt")
    wait_for(lambda: lessons(chat)[0].outcome.value == "worked")
    chat.command(ANNA, PUBLIC, f"afloop #{lesson.id} Door de loting kwamen ook huurders en jongeren.")
    assert wait_for(lambda: [p for p in chat.private(ANNA) if f"toelichting staat bij les #{lesson.id}" in p])
    chat.command(BRAM, PUBLIC, f"afloop #{lesson.id} Ik weet het beter.")  # not asked: nothing added
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "niet gevraagd" in p])
    chat.ask(CEES, PUBLIC, "Heeft iemand een wijkbudget via loting geprobeerd?")
    answer = wait_for(lambda: [p for p in chat.public(PUBLIC) if "Asked later" in p or "Later nagevraagd" in p])
    assert "worked" in answer[0] or "gelukt" in answer[0]
    assert "huurders en jongeren" in answer[0] and "Ik weet het beter" not in answer[0]
    chat.choose(ANNA, "mislukt")  # answered already: nothing changes
    wait_for(lambda: [p for p in chat.private(ANNA) if "al beantwoord" in p])
    assert lessons(chat)[0].outcome.value == "worked"


@platforms("console")
def test_who_opts_out_of_check_backs_is_not_asked(chat):
    from sqlalchemy import update

    from bot.storage.tables import LessonRow

    chat.say(ANNA, PUBLIC, "Proef met deelfietsen bij het station, loopt nog. #mobiliteit gemeente=Ede")
    chat.command(ANNA, PUBLIC, "terugvragen uit")
    assert "niet meer" in chat.private(ANNA)[-1]
    with chat.core.db.session() as session:
        session.execute(update(LessonRow).values(created_at=datetime.now(UTC) - timedelta(days=200)))
    chat.command(ANNA, PUBLIC, "help")  # every line typed first does what came due, as the chat bots do
    assert not [m for m in chat.direct(ANNA) if "Hoe is het afgelopen" in m]
    chat.command(ANNA, PUBLIC, "terugvragen aan")
    chat.command(ANNA, PUBLIC, "help")
    assert len([m for m in chat.direct(ANNA) if "Hoe is het afgelopen" in m]) == 2  # both periods are due now


@platforms("slack", "mattermost", "teams")
def test_notices_come_no_more_often_than_each_person_chose(chat):
    from sqlalchemy import update

    from bot.followup import FollowUps
    from bot.storage.tables import NotificationPref

    chat.command(CEES, PUBLIC, "notifications daily")
    assert wait_for(lambda: [p for p in chat.private(CEES) if "at most once a day" in p])
    chat.ask(CEES, PUBLIC, "Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?")
    chat.ask(CEES, PUBLIC, "Heeft iemand ervaring met een repaircafé in de bibliotheek?")
    wait_for(lambda: len(chat.core.repo.open_questions()) == 2)
    for story in ("Deelauto's in een nieuwbouwwijk: bewoners delen twaalf auto's. #mobiliteit\ngemeente: Houten",
                  "Repaircafé in de bibliotheek: bewoners repareren samen. #circulair\ngemeente: Zwolle"):
        chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, story))
    wait_for(lambda: not chat.core.repo.open_questions())
    assert not chat.direct(CEES)  # held for the day's bundle
    followups = FollowUps(chat.core.service, chat.name)
    followups.run_once()
    bundle = wait_for(lambda: [m for m in chat.direct(CEES) if "2 notice(s)" in m])[0]
    assert "Houten" in bundle and "Zwolle" in bundle and bundle.count(chat.handle(ANNA)) == 2
    chat.ask(CEES, PUBLIC, "Heeft iemand ervaring met geveltuinen in plaats van tegels?")
    wait_for(lambda: chat.core.repo.open_questions())
    chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, "Geveltuinen in plaats van tegels. #groen\ngemeente: Ede"))
    wait_for(lambda: not chat.core.repo.open_questions())
    followups.run_once()
    assert len([m for m in chat.direct(CEES) if "notice(s)" in m]) == 1  # not twice in a day
    with chat.core.db.session() as session:  # the next day
        session.execute(update(NotificationPref).values(last_sent_at=datetime.now(UTC) - timedelta(days=1, hours=1)))
    followups.run_once()
    assert wait_for(lambda: [m for m in chat.direct(CEES) if "1 notice(s)" in m and "Ede" in m])


@platforms("console")
def test_who_turns_notices_off_hears_nothing_and_finds_the_answer_under_open(chat):
    chat.command(BRAM, PUBLIC, "meldingen uit")
    assert "geen meldingen" in chat.private(BRAM)[-1]
    chat.ask(BRAM, PUBLIC, "Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?")
    chat.say(ANNA, PUBLIC, "Deelauto's in een nieuwbouwwijk: bewoners delen twaalf auto's. #mobiliteit "
                           "gemeente=Houten")
    chat.ask(ANNA, PUBLIC, "/help")
    assert not chat.direct(BRAM) and not chat.core.repo.open_questions()
    assert chat.core.repo.person_data("console", "bram")["notifications"] == {"mode": "off", "held": 0}
