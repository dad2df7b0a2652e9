"""The permission matrix over every surface that shows a lesson or a question, on Slack and Mattermost (the
real clients against the loopback fakes decide membership), and through the same command router the
console uses: answers with matches, answers with related lessons, `contact N`, introductions, the open
list, the follow-up message, the digest, statistics (table and the data the chart is drawn from) and the
export of one's own data. Lessons come from a public channel, a private channel and a DM; anna is in each
of those places, bram in none; they ask from a public channel, another private channel and a DM.
Every lesson and question carries a secret word of its place, so a leak is a word where it must not be. A
learning circle's lessons are checked the same way: its members see them, nobody else does."""

from __future__ import annotations

import itertools
import json
import math
import re
from datetime import UTC, datetime, timedelta

import pytest
from worlds import ASKED_IN, LESSONS, WHERE, world

from bot.commands import CommandContext
from bot.digest import render_digest
from bot.errors import NotFoundError
from bot.model import Asker, PersonRef, Source, Visibility
from bot.search.decision import MatchDecision
from bot.service import CaptureRequest
from bot.stats import compute, render_table

ALL_MATCH = MatchDecision(match_at=-math.inf, related_at=-math.inf)
ALL_RELATED = MatchDecision(match_at=math.inf, related_at=-math.inf)
NONE_CLOSE = MatchDecision(match_at=math.inf, related_at=math.inf)
PEOPLE = ("anna", "bram")


class Matrix:
    """The cases of a permission matrix tried so far, and those where a surface showed what it must not."""

    def __init__(self) -> None:
        self.cases: list[str] = []
        self.leaks: list[tuple[str, object, object]] = []

    def expect(self, surface: str, shown: object, expected: object) -> None:
        self.cases.append(surface)
        if shown != expected:
            self.leaks.append((surface, shown, expected))


def words_in(text: str) -> set[str]:
    return {word for word in LESSONS.values() if word in text}


@pytest.mark.parametrize("platform", ["slack", "mattermost", "teams"])
def test_no_surface_shows_a_lesson_or_question_to_someone_outside_its_place(platform, settings):
    core, fake, channels, _ = world(platform, settings)
    service, router = core.service, core.router
    told: list[tuple[int, str]] = []  # (question id, lesson text) for each follow-up message sent
    service.notifiers[platform] = lambda question, lesson: told.append((question.id, lesson.text))
    carla = PersonRef(platform, "carla", "Carla")
    matrix = Matrix()
    expect, cases, leaks = matrix.expect, matrix.cases, matrix.leaks

    def asker(user: str, where: Visibility, *, in_lesson_channel: Visibility | None = None) -> Asker:
        channel = channels[in_lesson_channel] if in_lesson_channel else ASKED_IN[where]
        return Asker(platform, user, user.title(), channel, where, "", "T")

    def ctx(user: str, where: Visibility) -> CommandContext:
        return CommandContext(asker=asker(user, where), person=PersonRef(platform, user, user.title()))

    try:
        # -- questions asked in each place, before any lesson answers them ---------------------------------
        service.engine.decision = NONE_CLOSE
        for visibility, word in LESSONS.items():
            service.ask(f"Wie heeft sensoren in de zorg geprobeerd, {word}?", asker("anna", visibility,
                                                                               in_lesson_channel=visibility))
        for user, where in itertools.product(PEOPLE, WHERE):
            listed = words_in(router.handle_command("open", ctx(user, where)).text)
            expect(f"open list {user} {where.value}", listed,
                   {"openbaar", "besloten", "direct"} if user == "anna" else {"openbaar"})
        digest = render_digest(service.digest(datetime.now(UTC) - timedelta(days=7)))
        expect("digest questions", words_in(digest), {"openbaar"})
        expect("stats questions", words_in(json.dumps(compute(service.repo))), {"openbaar"})  # unanswered, public

        # -- lessons from each place; each capture tells the askers of open questions it answers ------------
        lesson_ids = {}
        for visibility, word in LESSONS.items():
            service.engine.decision = NONE_CLOSE
            asked = {user: service.ask("sensoren in de zorg pilot", asker(user, Visibility.PUBLIC)).answer.question_id
                     for user in PEOPLE}
            service.engine.decision = ALL_MATCH
            result = service.capture(CaptureRequest(
                text=f"Pilot met sensoren in de zorg, {word} gedeeld. #zorgtechnologie #{word}",
                source=Source(platform, "T", channels[visibility], word, visibility, f"m-{word}"),
                author=carla, captured_by=carla, contact=carla))
            lesson_ids[visibility] = result.lesson.id
            for user, question_id in asked.items():
                heard = {words for qid, text in told if qid == question_id for words in words_in(text)}
                expect(f"follow-up {user} {visibility.value}", heard,
                       {word} if user == "anna" or visibility is Visibility.PUBLIC else set())

        # -- answers, contact N and introductions, from every place -----------------------------------------
        for (lesson_kind, word), user, where in itertools.product(LESSONS.items(), PEOPLE, WHERE):
            may_see = lesson_kind is Visibility.PUBLIC or user == "anna"
            in_channel = lesson_kind is Visibility.PUBLIC or (may_see and where is Visibility.DM)
            expected = ({word} if in_channel else set(), {word} if may_see and not in_channel else set())
            for label, decision in (("match", ALL_MATCH), ("related", ALL_RELATED)):
                service.engine.decision = decision
                result = service.ask("pilot met sensoren zorgtechnologie", asker(user, where), record=False)
                shown = {w for hit in result.answer.hits for w in words_in(hit.lesson.text)} & {word}
                private = {w for hit in result.private_hits for w in words_in(hit.lesson.text)} & {word}
                expect(f"answer ({label}) {lesson_kind.value} {user} {where.value}", (shown, private), expected)
            reply = router.handle_command(f"contact {lesson_ids[lesson_kind]}", ctx(user, where))
            expect(f"contact N {lesson_kind.value} {user} {where.value}", words_in(reply.text),
                   {word} if may_see else set())
            try:
                introduced = words_in(service.introduction(asker(user, where), lesson_ids[lesson_kind]).text)
            except NotFoundError:
                introduced = set()
            expect(f"introduction {lesson_kind.value} {user} {where.value}", introduced,
                   {word} if may_see else set())

        # -- what is posted for everyone, and one's own export ----------------------------------------------
        for lesson_id in lesson_ids.values():  # every lesson reported outdated: stats list the public one only
            service.feedback(PersonRef(platform, "bram", "Bram"), None, lesson_id, helpful=False, reason="outdated")
        digest = render_digest(service.digest(datetime.now(UTC) - timedelta(days=7)))
        expect("digest", words_in(digest), {"openbaar"})
        data = compute(service.repo)
        expect("stats table", words_in(render_table(data)), {"openbaar"})
        expect("stats chart data", words_in(json.dumps(data)), {"openbaar"})
        reply = router.handle_command("vergeet export", ctx("bram", Visibility.DM))
        expect("export of bram's data", words_in(reply.text), set())

        assert leaks == []
        # 6 open lists, 2 digest/stats checks on questions, 6 follow-ups, 18 places x 4 surfaces, 4 at the end
        assert len(cases) == 6 + 2 + 6 + 18 * 4 + 4
    finally:
        fake.stop()
        core.close()


@pytest.mark.parametrize("platform", ["slack", "mattermost", "teams"])
def test_a_learning_circle_s_lessons_show_only_to_its_members_on_every_surface(platform, settings):
    """A takeaway of a circle (anna joined, bram declined) on the surfaces above, asked from every place."""
    core, fake, _, _ = world(platform, settings)
    service, router = core.service, core.router
    matrix = Matrix()
    expect, cases, leaks = matrix.expect, matrix.cases, matrix.leaks

    try:
        circle = core.repo.create_circle(platform, "Kring Oost", ["Wat werkte?"], 14, datetime.now(UTC), "coord",
                                         [("anna", "Anna"), ("bram", "Bram"), ("cees", "Cees"), ("dirk", "Dirk")])
        core.repo.answer_invitation(circle.id, "anna", True)
        core.repo.answer_invitation(circle.id, "bram", False)
        anna = PersonRef(platform, "anna", "Anna")
        service.engine.decision = ALL_MATCH
        lesson = service.capture(CaptureRequest(
            text="Pilot met sensoren in de zorg, kringgeheim gedeeld. #zorgtechnologie",
            source=Source(platform, "", circle.channel, circle.name, Visibility.PRIVATE, "kring-takeaway"),
            author=anna, captured_by=anna, contact=anna)).lesson
        secret = {"kringgeheim"}
        for user, where in itertools.product(PEOPLE, WHERE):
            asker = Asker(platform, user, user.title(), ASKED_IN[where], where, "", "T")
            member = user == "anna"
            expected = (secret if member and where is Visibility.DM else set(),
                        secret if member and where is not Visibility.DM else set())
            for label, decision in (("match", ALL_MATCH), ("related", ALL_RELATED)):
                service.engine.decision = decision
                result = service.ask("pilot met sensoren zorgtechnologie", asker, record=False)
                shown = {w for h in result.answer.hits for w in secret if w in h.lesson.text}
                private = {w for h in result.private_hits for w in secret if w in h.lesson.text}
                expect(f"answer ({label}) {user} {where.value}", (shown, private), expected)
            reply = router.handle_command(f"contact {lesson.id}", CommandContext(asker=asker, person=PersonRef(
                platform, user, user.title())))
            expect(f"contact N {user} {where.value}", {w for w in secret if w in reply.text},
                   secret if member else set())
        digest = render_digest(service.digest(datetime.now(UTC) - timedelta(days=7)))
        expect("digest", {w for w in secret if w in digest}, set())
        data = compute(service.repo)
        expect("stats", {w for w in secret if w in render_table(data) + json.dumps(data)}, set())
        reply = router.handle_command("vergeet export", CommandContext(
            asker=Asker(platform, "bram", "Bram", ASKED_IN[Visibility.DM], Visibility.DM),
            person=PersonRef(platform, "bram", "Bram")))
        expect("export of bram's data", {w for w in secret if w in reply.text}, set())
        assert leaks == []
        assert len(cases) == 6 * 3 + 3
    finally:
        fake.stop()
        core.close()


@pytest.mark.parametrize("platform", ["slack", "mattermost", "teams"])
def test_the_coordinators_page_shows_private_lessons_only_to_coordinators_of_their_workspace(platform, settings):
    """The web page as one more surface: the list and a lesson's page show a private lesson only to a
    coordinator of its workspace; open questions, charts and every export are network-wide and show neither
    private lessons nor questions from private places, to anyone."""
    from urllib.parse import urlsplit

    from starlette.testclient import TestClient

    from bot.web.app import create_app
    from bot.web.auth import create_admin_link

    core, fake, channels, _ = world(platform, settings)
    service = core.service
    carla = PersonRef(platform, "carla", "Carla")
    matrix = Matrix()
    expect, cases, leaks = matrix.expect, matrix.cases, matrix.leaks

    try:
        service.engine.decision = NONE_CLOSE
        for visibility, word in LESSONS.items():
            service.ask(f"Wie heeft sensoren in de zorg geprobeerd, {word}?",
                        Asker(platform, "anna", "Anna", channels[visibility], visibility, "", "T"))
        ids = {}
        for visibility, word in LESSONS.items():
            ids[visibility] = service.capture(CaptureRequest(
                text=f"Pilot met sensoren in de zorg, {word} gedeeld. #zorgtechnologie #{word}",
                source=Source(platform, "T", channels[visibility], word, visibility, f"m-{word}"),
                author=carla, captured_by=carla, contact=carla)).lesson.id
        everything = set(LESSONS.values())
        for label, workspaces, listed in (("own workspace", [f"{platform}:T"], everything),
                                          ("other workspace", [f"{platform}:T-ANDERS"], {"openbaar"})):
            with TestClient(create_app(core), follow_redirects=False) as client:
                client.get(urlsplit(create_admin_link(core.repo, "http://testserver", workspaces)).path)
                expect(f"lesson list, {label}", words_in(client.get("/lessen").text), listed)
                pages = {word for visibility, word in LESSONS.items()
                         if client.get(f"/lessen/{ids[visibility]}").status_code == 200}
                expect(f"lesson pages, {label}", pages, listed)
                counted = re.search(r"<td>Carla</td><td>\w+</td><td>(\d+)</td>", client.get("/contacten").text)
                expect(f"contacts, {label}", counted.group(1) if counted else None, str(len(listed)))
                expect(f"open questions, {label}", words_in(client.get("/hiaten").text), {"openbaar"})
                charts = client.get("/grafieken").text + "".join(
                    client.get(f"/grafieken/{name}.csv").text for name in ("outcomes", "themes", "answered"))
                expect(f"charts, {label}", words_in(charts), {"openbaar"})
                for fmt in ("jsonl", "csv", "md"):
                    expect(f"export {fmt}, {label}", words_in(client.get(f"/export.{fmt}").text), {"openbaar"})
        assert leaks == []
        assert len(cases) == 2 * 8
    finally:
        fake.stop()
        core.close()
