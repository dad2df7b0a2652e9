"""A workspace's admin chooses for the whole workspace: whether its public lessons reach the rest of the
network, and whether they stay when the app is uninstalled (lessons from private channels never do). Slack
tells the bot of an uninstall or a revoked bot token; the loopback fake delivers those events only because
the manifest subscribes to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from platforms import ANNA, BRAM, PRIVATE, PUBLIC, platforms, wait_for

from bot.digest import render_digest
from bot.errors import NotFoundError
from bot.model import Asker, PersonRef, Source, Visibility
from bot.service import CaptureRequest
from bot.stats import compute

STORY = "Burgerbegroting in drie wijken: zonder begeleiding deden alleen de gebruikelijke bewoners mee. #participatie"


@platforms("slack", "mattermost", "teams", "console")
def test_only_a_workspace_admin_changes_its_settings(chat) -> None:  # type: ignore[no-untyped-def]
    if chat.name != "console":  # whoever runs the console runs the installation
        chat.command(BRAM, PUBLIC, "werkruimte delen uit")
        assert wait_for(lambda: [m for m in chat.private(BRAM) if "Alleen een beheerder" in m])
    chat.command(ANNA, PUBLIC, "werkruimte delen uit")
    assert wait_for(lambda: [m for m in chat.private(ANNA) if "lessen blijven binnen deze werkruimte" in m])
    chat.command(ANNA, PUBLIC, "workspace uninstall erase")
    assert wait_for(lambda: [m for m in chat.private(ANNA) if "are erased as well" in m])
    workspace = {"slack": chat.team if chat.name == "slack" else "", "console": "local"}.get(chat.name)
    if workspace is not None:
        settings = chat.core.repo.workspace_settings(chat.name, workspace)
        assert not settings.sharing and not settings.keep_public


def _lesson(service, workspace: str, word: str, visibility=Visibility.PUBLIC):  # type: ignore[no-untyped-def]
    carla = PersonRef("slack", "U0CARLA", "Carla")
    return service.capture(CaptureRequest(
        text=f"Burgerbegroting met sensoren, {word}. #participatie", author=carla, captured_by=carla,
        source=Source("slack", workspace, f"C-{word}", word, visibility, f"m-{word}"))).lesson


def test_a_workspace_that_stops_sharing_keeps_its_lessons_to_itself(app) -> None:  # type: ignore[no-untyped-def]
    from bot.tending import BrowseQuery, Coordinator, Tending

    service = app.service
    _lesson(service, "T-ZWOLLE", "zwolsgeheim")
    _lesson(service, "T-EDE", "edegedeeld")
    app.repo.set_workspace_settings("slack", "T-ZWOLLE", "U0ADMIN", sharing=False)

    def seen(workspace: str) -> set[str]:
        asked = Asker("slack", "U0ASK", "Vrager", "C-algemeen", Visibility.PUBLIC, "", workspace)
        found = service.ask("burgerbegroting sensoren", asked, record=False).answer.hits
        listed = service.ask("", asked, filters=__import__("bot.model", fromlist=["Filters"]).Filters(
            theme="participatie"), record=False).answer.hits
        return {word for hit in [*found, *listed] for word in ("zwolsgeheim", "edegedeeld") if word in hit.lesson.text}

    zwolle_asks = Asker("slack", "U0ASK", "Vrager", "C-algemeen", Visibility.PUBLIC, "", "T-ZWOLLE")
    service.ask("Wie regelde zwerfafval bij de zwolse kermis?", zwolle_asks)  # stays open: nothing matches
    with app.db.session() as session:  # whatever the test embedder found, it is unanswered
        for row in session.query(__import__("bot.storage.tables", fromlist=["QuestionRow"]).QuestionRow):
            row.answered, row.hit_ids, row.status = False, [], "open"
    assert "kermis" not in render_digest(service.digest(datetime.now(UTC) - timedelta(days=1)))
    assert "kermis" not in str(compute(app.repo))
    assert seen("T-ZWOLLE") == {"zwolsgeheim", "edegedeeld"}
    assert seen("T-EDE") == {"edegedeeld"}
    assert "zwolsgeheim" not in render_digest(service.digest(datetime.now(UTC) - timedelta(days=1)))
    assert "zwolsgeheim" not in str(compute(app.repo))
    tending = Tending(service)
    network = {lesson.text for lesson in tending.public_lessons()}
    assert not any("zwolsgeheim" in text for text in network) and any("edegedeeld" in text for text in network)
    zwolle, ede = Coordinator("Zwolle", frozenset({("slack", "T-ZWOLLE")})), Coordinator("Ede", frozenset())
    own, _ = tending.browse(zwolle, BrowseQuery())
    assert any("zwolsgeheim" in lesson.text for lesson in own)
    kept_in = next(lesson for lesson in own if "zwolsgeheim" in lesson.text)
    assert tending.lesson(zwolle, kept_in.id).id == kept_in.id
    with pytest.raises(NotFoundError):  # nor by its number, on the page or its contacts list
        tending.lesson(ede, kept_in.id)
    assert [n for _, _, _, n in app.repo.contacts(ede.workspaces)] == [1]
    assert [n for _, _, _, n in app.repo.contacts(zwolle.workspaces)] == [2]
    app.repo.set_workspace_settings("slack", "T-ZWOLLE", "U0ADMIN", sharing=True)
    assert seen("T-EDE") == {"zwolsgeheim", "edegedeeld"}
    assert "kermis" in str(compute(app.repo))  # shared again: the open question counts for the network


@platforms("slack")
def test_uninstalling_erases_the_private_lessons_and_keeps_public_ones_as_the_admin_chose(chat) -> None:  # type: ignore[no-untyped-def]
    for channel, text in ((PUBLIC, STORY), (PRIVATE, "Intern: reorganisatie van het stadhuis mislukte. #organisatie")):
        message = chat.say(ANNA, channel, text)
        chat.tag(ANNA, channel, message)
    wait_for(lambda: chat.core.repo.count_lessons() == 2)
    chat.ask(ANNA, PRIVATE, "Wie weet iets over de verbouwing van het stadhuis, intern?")
    chat.ask(ANNA, PUBLIC, "Wie weet iets over zwerfafval bij evenementen?")
    wait_for(lambda: chat.core.repo.question_counts()[0] == 2)
    chat._event({"type": "tokens_revoked", "tokens": {"oauth": ["U0ANNA"], "bot": []}})
    chat._event({"type": "app_uninstalled"})
    wait_for(lambda: chat.core.repo.count_lessons() == 1)
    assert chat.core.repo.question_counts()[0] == 1  # the question from the private channel went too
    assert "zwerfafval" in str(chat.core.repo.person_data("slack", chat.ids[ANNA]))
    kept = list(chat.core.repo.iter_lessons())
    assert [lesson.source.visibility for lesson in kept] == [Visibility.PUBLIC]
    assert not chat.fake.refused  # both events are in the manifest's subscriptions


@platforms("slack")
def test_a_revoked_bot_token_erases_public_lessons_too_when_the_admin_chose_so(chat) -> None:  # type: ignore[no-untyped-def]
    message = chat.say(ANNA, PUBLIC, STORY)
    chat.tag(ANNA, PUBLIC, message)
    wait_for(lambda: chat.core.repo.count_lessons() == 1)
    chat.command(ANNA, PUBLIC, "werkruimte verwijderen wissen")
    wait_for(lambda: not chat.core.repo.workspace_settings("slack", chat.team).keep_public)
    chat._event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})
    wait_for(lambda: chat.core.repo.count_lessons() == 0)
    assert chat.core.repo.get_lesson(1) is None
