"""Feedback that counts, and the age of what is shown: readers' votes move a lesson a little (measurably, and
never above a clearly better one), a reason is one of three, and every answer says how old each lesson is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helpers import ANNA, BRAM, asker, capture, run_console

from bot.errors import InputError
from bot.model import PersonRef
from bot.peer import FEEDBACK_NUDGE, feedback_nudge
from bot.render import age_text

READERS = [PersonRef("console", f"lezer{n}", f"Lezer {n}") for n in range(4)]
TWIN = "Repaircafé in de bibliotheek: bewoners repareren samen spullen. #circulair"


OTHER_TOPICS = ["Deelauto's in de nieuwbouwwijk", "Energiecoaches bij huishoudens", "Taalcafé voor nieuwkomers",
                "Burgerbegroting in drie wijken", "Jongerenraad via sportclubs", "Geveltuinen in plaats van tegels",
                "Buurtbemiddeling met vrijwilligers", "Schuldhulp aan de keukentafel", "Wijkagent op de fiets",
                "Zonnepanelen op scholen", "Speeltuin ontworpen door kinderen", "Mantelzorgcafé in het dorpshuis"]


def base(app) -> None:  # type: ignore[no-untyped-def]
    """Lessons on other topics, so that scores are those of a base, not of two lessons alone."""
    for n, topic in enumerate(OTHER_TOPICS):
        capture(app.service, f"{topic}: een verhaal uit de praktijk. #thema{n}", message_id=f"ander-{n}")


def order(app, question: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.lesson.municipality for h in app.service.ask(question, asker(BRAM)).answer.hits]


def test_votes_move_a_lesson_a_little_and_measurably(app):
    base(app)
    capture(app.service, TWIN + "\ngemeente: Zwolle")
    capture(app.service, TWIN + "\ngemeente: Deventer", person=BRAM)
    first, second = order(app, "repaircafé bibliotheek spullen repareren")[:2]
    top = next(lesson for lesson in app.repo.iter_lessons() if lesson.municipality == first)
    for reader in READERS[:3]:
        app.service.feedback(reader, None, top.id, helpful=False, reason="outdated")
    assert order(app, "repaircafé bibliotheek spullen repareren")[:2] == [second, first]
    for reader in READERS[:3]:  # minds changed: the same three now found it useful, and it is back on top
        app.service.feedback(reader, None, top.id, helpful=True)
    assert order(app, "repaircafé bibliotheek spullen repareren")[:2] == [first, second]


def test_votes_never_lift_a_lesson_over_a_clearly_better_one(app):
    base(app)
    capture(app.service, "Repaircafé in de bibliotheek van Zwolle: bewoners repareren samen spullen. #circulair"
                         "\ngemeente: Zwolle")
    capture(app.service, "Repaircafé in de bibliotheek, en ook kledingruil, een weggeefkast en een tuinbank in het "
                         "wijkcentrum. #circulair\ngemeente: Ede", person=BRAM)
    best, weaker = order(app, "repaircafé in de bibliotheek")[:2]
    weaker_id = next(lesson.id for lesson in app.repo.iter_lessons() if lesson.municipality == weaker)
    for reader in READERS:
        app.service.feedback(reader, None, weaker_id, helpful=True)
    assert order(app, "repaircafé in de bibliotheek")[:2] == [best, weaker]
    assert feedback_nudge(40, 0) <= FEEDBACK_NUDGE and feedback_nudge(0, 40) >= -FEEDBACK_NUDGE
    assert feedback_nudge(2, 0) > 0 > feedback_nudge(0, 2) and feedback_nudge(1, 1) == 0


def test_a_reason_is_one_of_three(app):
    lesson = capture(app.service, TWIN).lesson
    with pytest.raises(InputError):
        app.service.feedback(ANNA, None, lesson.id, helpful=False, reason="saai")
    app.service.feedback(ANNA, None, lesson.id, helpful=False, reason="incomplete")
    assert app.repo.reported("incomplete") == [(lesson.id, 1)] and app.repo.reported("outdated") == []


def test_every_answer_says_how_old_each_lesson_is(app):
    now = datetime(2026, 12, 3, tzinfo=UTC)
    assert age_text(datetime(2026, 11, 20, tzinfo=UTC), "nl", now) == "deze maand"
    assert age_text(datetime(2026, 6, 1, tzinfo=UTC), "nl", now) == "6 mnd geleden"
    assert age_text(datetime(2023, 10, 12, tzinfo=UTC), "en", now) == "3 years ago"
    out = run_console(app, ["/les Repaircafé in de bibliotheek. gemeente=Zwolle #circulair", "repaircafé"])
    assert "— deze maand)" not in out and "(deze maand)" in out


def test_introductions_and_check_backs_are_in_a_persons_export_and_go_with_forget_me(app):
    from datetime import timedelta

    from sqlalchemy import update

    from bot.storage.tables import LessonRow

    lesson = capture(app.service, TWIN + "\ngemeente: Zwolle").lesson  # Anna's, outcome unknown
    app.repo.ask_introduction("console", BRAM.user_id, BRAM.name, ANNA.user_id, lesson.id)
    with app.db.session() as session:
        session.execute(update(LessonRow).values(created_at=datetime.now(UTC) - timedelta(days=100)))
    assert app.repo.claim_checkbacks("console", [90.0]) == [(lesson.id, 1, ANNA.user_id)]
    held = app.repo.person_data("console", ANNA.user_id)
    assert held["introductions"] == [{"lesson_id": lesson.id, "asked_by_you": False, "status": "asked",
                                      "asked_at": held["introductions"][0]["asked_at"], "your_reason": ""}]
    assert held["checkbacks"] == {"asked": [{"lesson_id": lesson.id, "period": 1, "answer": "", "note": ""}],
                                  "opted_out": False}
    assert app.repo.person_data("console", BRAM.user_id)["introductions"][0]["asked_by_you"] is True
    app.service.forget(ANNA)
    held = app.repo.person_data("console", ANNA.user_id)
    assert held["introductions"] == [] and held["checkbacks"]["asked"] == []
    assert app.repo.person_data("console", BRAM.user_id)["introductions"] == []  # asked of her: gone too
