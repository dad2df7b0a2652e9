"""`leerkring run`: every configured platform in one process, on one model, one index and one database; a
lesson saved on one platform answers a question on the others, and each platform's private places are
checked by that platform."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

pytest.importorskip("slack_bolt")
pytest.importorskip("mattermostautodriver")
pytest.importorskip("microsoft_teams.apps")

from fakes.mattermost_server import BOT as MM_BOT
from fakes.mattermost_server import FakeMattermost
from fakes.slack_server import BOT_USER, TEAM, FakeSlack
from fakes.teams_server import FakeTeams

from bot.bootstrap import bootstrap
from bot.cli_support import serve
from bot.handlers import configured
from bot.handlers.mattermost import run as mattermost_run
from bot.handlers.slack import run as slack_run
from bot.handlers.teams import run as teams_run
from bot.search.embedder import HashingEmbedder

ANNA, BRAM = "U0ANNA", "U0BRAM"
MM_ANNA, MM_BRAM = "anna0000000000000000000000", "bram0000000000000000000000"


def listening(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def every(settings) -> Iterator[tuple[Any, FakeSlack, FakeMattermost, FakeTeams]]:  # type: ignore[no-untyped-def]
    slack, mattermost, teams = FakeSlack(), FakeMattermost(), FakeTeams()
    slack.add_user(ANNA, "Anna de Vries")
    slack.add_user(BRAM, "Bram Peters")
    slack.add_channel("C0PUBLIC", "algemeen", [ANNA, BRAM, BOT_USER])
    slack.add_channel("G0ZORG", "team-zorg", [ANNA, BOT_USER], private=True)
    mattermost.add_user(MM_ANNA, "anna", first="Anna", last="Visser")
    mattermost.add_user(MM_BRAM, "bram", first="Bram", last="Smit")
    mattermost.add_channel("town", "town-square", "O", [MM_ANNA, MM_BRAM])
    teams.add_user("29:carla", "Carla Mulder")
    teams.add_channel("19:oost@thread.tacv2", "oost", ["29:carla"])
    slack.start()
    mattermost.start()
    teams.start()
    port = free_port()
    teams.bot_url = f"http://127.0.0.1:{port}/api/messages"
    settings = settings.model_copy(update={
        "slack_api_url": slack.base_url, "slack_bot_token": SecretStr(slack.bot_token),
        "slack_app_token": SecretStr(slack.app_token), "mattermost_url": mattermost.url,
        "mattermost_token": SecretStr(mattermost.token), "mattermost_command_token": SecretStr("cmd"),
        "mattermost_listen": "127.0.0.1:0", **teams.settings, "teams_listen": f"127.0.0.1:{port}"})
    core = bootstrap(settings, embedder=HashingEmbedder())
    yield core, slack, mattermost, teams
    core.close()
    slack.stop()
    mattermost.stop()
    teams.stop()


def slack_event(fake: FakeSlack, payload: dict[str, Any]) -> None:
    fake.send("events_api", {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "event": payload,
                             "type": "event_callback", "event_id": "Ev" + uuid.uuid4().hex[:10],
                             "event_time": int(time.time()),
                             "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})


def slack_ask(fake: FakeSlack, user: str, text: str) -> dict[str, Any]:
    message = fake.post("C0PUBLIC", user, f"<@{BOT_USER}> {text}")
    slack_event(fake, {"type": "app_mention", "user": user, "text": message["text"], "ts": message["ts"],
                       "channel": "C0PUBLIC"})
    return message


def test_one_process_serves_slack_mattermost_and_teams_on_one_lesson_base(every):
    core, slack, mattermost, teams = every
    assert configured(core.settings) == ["slack", "mattermost", "teams"]
    stop = threading.Event()
    failures: list[Any] = []
    runner = threading.Thread(target=lambda: failures.extend(
        serve(core, [("slack", slack_run), ("mattermost", mattermost_run), ("teams", teams_run)], stop)), daemon=True)
    runner.start()
    try:
        slack.wait_for(lambda: slack.called("apps.connections.open") and mattermost.connections() == 1
                       and set(core.service.access.checkers) == {"slack", "mattermost", "teams"})
        # a lesson saved on Mattermost answers a question on Slack
        post = mattermost.new_post("town", MM_ANNA, "Burgerbegroting in de wijk: 2.300 stemmers. Het is gelukt. "
                                   "#burgerbegroting\ngemeente: Zwolle")
        mattermost.react(MM_BRAM, post["id"])
        mattermost.wait_for(lambda: core.repo.count_lessons() == 1)
        question = slack_ask(slack, BRAM, "Heeft een gemeente een burgerbegroting geprobeerd?")
        answer = slack.wait_for(lambda: [m for m in slack.messages["C0PUBLIC"]
                                         if m.get("bot_id") and m.get("thread_ts") == question["ts"]])
        assert "Zwolle" in json.dumps(answer[0]["blocks"], ensure_ascii=False)
        # a lesson from a private Slack channel: its member on Slack is told privately, Mattermost never sees it
        hidden = slack.post("G0ZORG", ANNA, "Zorgrobots in de thuiszorg: cliënten wilden ze niet. #zorg")
        hidden.setdefault("reactions", []).append({"name": "bulb", "users": [ANNA], "count": 1})
        slack_event(slack, {"type": "reaction_added", "user": ANNA, "reaction": "bulb",
                            "item": {"type": "message", "channel": "G0ZORG", "ts": hidden["ts"]}})
        slack.wait_for(lambda: core.repo.count_lessons() == 2)
        slack_ask(slack, ANNA, "zorgrobots thuiszorg")
        assert slack.wait_for(lambda: [c for c in slack.called("chat.postEphemeral")
                                       if c.params.get("user") == ANNA and "Zorgrobots" in json.dumps(c.params)])
        mattermost.user_posts("town", MM_ANNA, "@leerkring zorgrobots thuiszorg", mentions=[MM_BOT])
        replies = mattermost.wait_for(lambda: [p for p in mattermost.bot_posts() if p["channel_id"] == "town"])
        assert "Zorgrobots" not in json.dumps(replies) + json.dumps(mattermost.ephemeral)
        # Teams asks too: the Mattermost lesson answers, named with its platform; the Slack-private one never
        slack.wait_for(lambda: listening(teams.bot_url.replace("/api/messages", "/healthz")))
        for text in ("Heeft een gemeente een burgerbegroting geprobeerd?", "zorgrobots thuiszorg"):
            teams.post("29:carla", "19:oost@thread.tacv2", text, mention_bot=True)
        answers = slack.wait_for(lambda: len(teams.bot_messages("19:oost@thread.tacv2")) >= 2 and
                                 teams.bot_messages("19:oost@thread.tacv2"))
        shown = json.dumps(answers, ensure_ascii=False)
        assert "Zwolle" in shown and "Anna Visser (Mattermost)" in shown and "Zorgrobots" not in shown
        assert not teams.refused
    finally:
        stop.set()
        runner.join(30)
    assert not runner.is_alive() and not failures
