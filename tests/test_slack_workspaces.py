"""One Slack app in many workspaces: each workspace installs it through slack-bolt's OAuth flow (its
`/slack/install` page and `/slack/oauth_redirect`, slack_sdk's SQLAlchemy stores in Leerkring's database),
events arrive signed over HTTP, and every Web API call goes out with the token of the workspace it
concerns: the loopback fake Slack refuses a token outside its own workspace, as Slack does. The network shares
public lessons across workspaces; private lessons never leave theirs; an uninstall erases them; a channel
shared between two workspaces (Slack Connect) gives one lesson and one answer, whichever copy arrives."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

pytest.importorskip("slack_bolt")

from fakes.slack_server import BOT_USER, TEAM, FakeSlack
from pydantic import SecretStr

from bot.bootstrap import bootstrap
from bot.handlers.slack.run import build_bolt, http_server
from bot.model import Visibility
from bot.search.embedder import HashingEmbedder

EDE = "T0002"
ANNA, BRAM = "U0ANNA", "U0BRAM"  # anna works in Zwolle's workspace, bram in Ede's
ZWOLLE_PUBLIC, ZWOLLE_PRIVATE, EDE_PUBLIC, SHARED = "C0ZWOLLE", "G0ZWOLLE", "C0EDE", "C0SAMEN"
SECRET = "ondertekengeheim"
STORY = "Burgerbegroting in drie wijken: zonder begeleiding deden alleen de gebruikelijke bewoners mee. #participatie"


@pytest.fixture
def world(settings) -> Iterator[tuple[FakeSlack, Any, str]]:  # type: ignore[no-untyped-def]
    fake = FakeSlack()
    fake.add_team(EDE, "Gemeente Ede", "xoxb-ede")
    fake.add_user(ANNA, "Anna de Vries", is_admin=True)
    fake.add_user(BRAM, "Bram Peters", team=EDE)
    fake.add_channel(ZWOLLE_PUBLIC, "zwolle-algemeen", [ANNA, BOT_USER])
    fake.add_channel(ZWOLLE_PRIVATE, "zwolle-team", [ANNA, BOT_USER], private=True)
    fake.add_channel(EDE_PUBLIC, "ede-algemeen", [BRAM, BOT_USER], team=EDE)
    fake.add_channel(SHARED, "samen-leren", [ANNA, BRAM, BOT_USER], shared_with=(EDE,))
    fake.start()
    settings = settings.model_copy(update={
        "slack_api_url": fake.base_url, "slack_mode": "http", "slack_signing_secret": SecretStr(SECRET),
        "slack_client_id": fake.client_id, "slack_client_secret": SecretStr(fake.client_secret),
        "slack_authorize_url": f"http://127.0.0.1:{fake.port}/oauth/v2/authorize"})
    core = bootstrap(settings, embedder=HashingEmbedder())
    bolt, adapter = build_bolt(core, http=True)
    server = http_server(bolt, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield fake, adapter, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        core.close()
        fake.stop()
    assert not fake.refused, f"the bot used what slack-manifest.yml does not grant: {fake.refused}"


def install(fake: FakeSlack, base: str, team: str) -> str:
    """An admin of `team` opens the install page, approves on Slack, and comes back with a code. (bolt's state
    cookie is Secure: a browser sends it over HTTPS; here it is handed back by hand over loopback HTTP.)"""
    page = urllib.request.urlopen(f"{base}/slack/install", timeout=10)
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    link = unescape(re.search(r'href="([^"]*oauth/v2/authorize[^"]*)"', page.read().decode()).group(1))  # type: ignore[union-attr]
    query = parse_qs(urlsplit(link).query)
    assert set(query["scope"][0].split(",")) == fake.scopes and query["client_id"] == [fake.client_id]
    back = urlencode({"code": fake.authorise(team), "state": query["state"][0]})
    request = urllib.request.Request(f"{base}/slack/oauth_redirect?{back}", headers={"Cookie": cookie})
    return urllib.request.urlopen(request, timeout=10).read().decode()


def event(base: str, team: str, payload: dict[str, Any], *, event_id: str = "") -> None:
    """Slack delivers an event to the app's request URL, signed with the app's signing secret."""
    body = json.dumps({"token": "x", "team_id": team, "api_app_id": "A1", "event": payload, "type": "event_callback",
                       "event_id": event_id or "Ev" + uuid.uuid4().hex[:10], "event_time": int(time.time()),
                       "authorizations": [{"team_id": team, "user_id": BOT_USER, "is_bot": True}]}).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{base}/slack/events", data=body, headers={
        "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
    assert urllib.request.urlopen(request, timeout=10).status == 200


def tag(fake: FakeSlack, base: str, teams: list[str], channel: str, user: str, text: str) -> str:
    message = fake.post(channel, user, text, reactions=[{"name": "bulb", "users": [user], "count": 1}])
    stamp = message["ts"]
    for team in teams:  # a shared channel's event comes once for each workspace the app is installed in
        event(base, team, {"type": "reaction_added", "user": user, "reaction": "bulb", "event_ts": stamp,
                           "item": {"type": "message", "channel": channel, "ts": stamp}})
    return stamp


def answers(fake: FakeSlack, channel: str) -> list[str]:
    return [m.get("text", "") + json.dumps(m.get("blocks") or [], ensure_ascii=False)
            for m in fake.messages[channel] if m.get("bot_id")]


def test_two_workspaces_install_one_app_and_learn_from_each_other(world) -> None:  # type: ignore[no-untyped-def]
    fake, adapter, base = world
    core = adapter.core
    install(fake, base, TEAM)
    install(fake, base, EDE)
    assert adapter.installations.teams() == sorted([TEAM, EDE])

    tag(fake, base, [TEAM], ZWOLLE_PUBLIC, ANNA, STORY + " gemeente: Zwolle")
    tag(fake, base, [TEAM], ZWOLLE_PRIVATE, ANNA, "Burgerbegroting intern besproken, zwolsgeheim. #participatie")
    fake.wait_for(lambda: core.repo.count_lessons() == 2)
    lessons = list(core.repo.iter_lessons())
    assert {(lesson.source.workspace, lesson.source.visibility) for lesson in lessons} == {
        (TEAM, Visibility.PUBLIC), (TEAM, Visibility.PRIVATE)}

    question = fake.post(EDE_PUBLIC, BRAM, f"<@{BOT_USER}> Heeft een gemeente al eens een burgerbegroting geprobeerd?")
    event(base, EDE, {"type": "app_mention", "user": BRAM, "text": question["text"], "ts": question["ts"],
                      "channel": EDE_PUBLIC})
    answer = fake.wait_for(lambda: [a for a in answers(fake, EDE_PUBLIC) if "Zwolle" in a])[0]
    assert "Anna de Vries" in answer and "zwolsgeheim" not in answer
    posted = [c for c in fake.called("chat.postMessage") if c.params.get("channel") == EDE_PUBLIC]
    assert posted and all(c.token == "xoxb-ede" for c in posted)  # Ede's answer with Ede's token


def test_an_uninstall_erases_that_workspace_s_private_lessons(world) -> None:  # type: ignore[no-untyped-def]
    fake, adapter, base = world
    core = adapter.core
    install(fake, base, TEAM)
    install(fake, base, EDE)
    tag(fake, base, [TEAM], ZWOLLE_PUBLIC, ANNA, STORY)
    tag(fake, base, [TEAM], ZWOLLE_PRIVATE, ANNA, "Intern: reorganisatie van het stadhuis. #organisatie")
    fake.wait_for(lambda: core.repo.count_lessons() == 2)
    fake.revoke(TEAM)
    event(base, TEAM, {"type": "app_uninstalled"})
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    assert [lesson.source.visibility for lesson in core.repo.iter_lessons()] == [Visibility.PUBLIC]
    assert fake.wait_for(lambda: adapter.installations.teams() == [EDE])


def test_a_shared_channel_gives_one_lesson_and_one_answer(world) -> None:  # type: ignore[no-untyped-def]
    fake, adapter, base = world
    core = adapter.core
    install(fake, base, TEAM)
    install(fake, base, EDE)
    tag(fake, base, [TEAM, EDE], SHARED, ANNA, STORY)
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    question = fake.post(SHARED, BRAM, f"<@{BOT_USER}> Wie hield een burgerbegroting in wijken?")
    for team in (EDE, TEAM):
        event(base, team, {"type": "app_mention", "user": BRAM, "text": question["text"], "ts": question["ts"],
                           "channel": SHARED, "event_ts": question["ts"]})
    fake.wait_for(lambda: answers(fake, SHARED))
    time.sleep(1.0)
    assert len(answers(fake, SHARED)) == 1
    assert core.repo.count_lessons() == 1


def press(fake: FakeSlack, base: str, team: str, user: str, channel: str, action_id: str, value: str) -> None:
    """A person presses a button; Slack posts the signed action to the request URL."""
    payload = {"type": "block_actions", "team": {"id": team}, "user": {"id": user, "team_id": team},
               "api_app_id": "A1", "token": "x", "channel": {"id": channel}, "trigger_id": uuid.uuid4().hex,
               "response_url": fake.response_url(), "container": {"type": "message", "channel_id": channel},
               "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button",
                            "action_ts": str(time.time())}]}
    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"{base}/slack/events", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature})
    assert urllib.request.urlopen(request, timeout=10).status == 200


def buttons(message: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """label -> (action id, value) of a message's buttons."""
    return {element["text"]["text"]: (element["action_id"], element["value"]) for block in message.get("blocks") or []
            if block.get("type") == "actions" for element in block["elements"]}


def test_an_introduction_across_workspaces_is_a_message_in_each(world) -> None:  # type: ignore[no-untyped-def]
    fake, adapter, base = world
    core = adapter.core
    install(fake, base, TEAM)
    install(fake, base, EDE)
    tag(fake, base, [TEAM], ZWOLLE_PUBLIC, ANNA, STORY + " gemeente: Zwolle")
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    question = fake.post(EDE_PUBLIC, BRAM, f"<@{BOT_USER}> Heeft een gemeente al eens een burgerbegroting geprobeerd?")
    event(base, EDE, {"type": "app_mention", "user": BRAM, "text": question["text"], "ts": question["ts"],
                      "channel": EDE_PUBLIC})
    answer = fake.wait_for(lambda: [m for m in fake.messages[EDE_PUBLIC] if m.get("bot_id")])[0]
    assert f"<@{ANNA}>" not in json.dumps(answer["blocks"])  # no mention of someone Ede's workspace cannot see
    assert "Anna de Vries (Zwolle)" in json.dumps(answer["blocks"], ensure_ascii=False)
    intro = next(v for label, v in buttons(answer).items() if v[0] == "leerkring_intro")
    press(fake, base, EDE, BRAM, EDE_PUBLIC, *intro)
    asked = fake.wait_for(lambda: [m for m in fake.messages.get("D" + ANNA, []) if buttons(m)])[0]
    assert all(c.token == "xoxb-test" for c in fake.called("chat.postMessage") if c.params.get("channel") == ANNA)
    yes = next(v for v in buttons(asked).values() if (v[0].startswith("leerkring_answer_") and '"yes"' in v[1])
               or v[0].endswith("_0"))
    press(fake, base, TEAM, ANNA, "D" + ANNA, *yes)

    to_bram = fake.wait_for(lambda: [m for m in fake.messages.get("D" + BRAM, []) if "Anna" in m.get("text", "")])
    to_anna = fake.wait_for(lambda: [m for m in fake.messages.get("D" + ANNA, []) if "Bram" in m.get("text", "")])
    assert to_bram and to_anna
    assert f"<@{BRAM}>" not in json.dumps(fake.messages["D" + ANNA]) and f"<@{ANNA}>" not in json.dumps(
        fake.messages["D" + BRAM])  # named, not mentioned: neither workspace knows the other's people
    assert fake.wait_for(lambda: [m for m in fake.messages["D" + BRAM]
                                  if "verschillende werkruimtes" in m.get("text", "")])
    assert all(c.token == "xoxb-ede" for c in fake.called("chat.postMessage") if c.params.get("channel") == BRAM)
    assert not fake.called("conversations.open")  # no group conversation can hold two workspaces


def test_the_permission_matrix_per_workspace(world) -> None:  # type: ignore[no-untyped-def]
    """Lessons from public and private channels of two workspaces, asked for by people of each, from a public
    channel and a direct message: public lessons travel, private ones reach only their channel's members
    (privately), and a workspace that stops sharing keeps even its public lessons in."""
    import math

    from bot.commands import CommandContext
    from bot.model import Asker, PersonRef, Source
    from bot.search.decision import MatchDecision
    from bot.service import CaptureRequest

    fake, adapter, base = world
    core = adapter.core
    fake.add_channel("G0EDE", "ede-team", [BRAM, BOT_USER], private=True, team=EDE)
    install(fake, base, TEAM)
    install(fake, base, EDE)
    words = {(TEAM, ZWOLLE_PUBLIC): "zwolsopenbaar", (TEAM, ZWOLLE_PRIVATE): "zwolsbesloten",
             (EDE, EDE_PUBLIC): "edeopenbaar", (EDE, "G0EDE"): "edebesloten"}
    ids = {}
    for (team, channel), word in words.items():
        author = PersonRef("slack", ANNA if team == TEAM else BRAM)
        visibility = Visibility.PRIVATE if channel.startswith("G") else Visibility.PUBLIC
        ids[word] = core.service.capture(CaptureRequest(
            text=f"Burgerbegroting met bewoners, {word}. #participatie", author=author, captured_by=author,
            source=Source("slack", team, channel, channel, visibility, f"m-{word}"))).lesson.id
    core.engine.decision = MatchDecision(match_at=-math.inf, related_at=-math.inf)
    people = {ANNA: (TEAM, ZWOLLE_PUBLIC, "zwolsbesloten"), BRAM: (EDE, EDE_PUBLIC, "edebesloten")}
    leaks = []
    for sharing in (True, False):
        core.repo.set_workspace_settings("slack", TEAM, ANNA, sharing=sharing)
        for user, (team, public, own_private) in people.items():
            for channel, where in ((public, Visibility.PUBLIC), ("D" + user, Visibility.DM)):
                asker = Asker("slack", user, user, channel, where, "", team)
                result = core.service.ask("burgerbegroting met bewoners", asker, record=False)
                shown = {w for h in result.answer.hits for w in words.values() if w in h.lesson.text}
                private = {w for h in result.private_hits for w in words.values() if w in h.lesson.text}
                public_words = {"edeopenbaar"} | ({"zwolsopenbaar"} if sharing or team == TEAM else set())
                expected = ((public_words, {own_private}) if where is Visibility.PUBLIC
                            else (public_words | {own_private}, set()))
                if (shown, private) != expected:
                    leaks.append(("answer", sharing, user, where.value, shown, private))
                for word, lesson_id in ids.items():
                    reply = core.router.handle_command(f"contact {lesson_id}", CommandContext(
                        asker=asker, person=PersonRef("slack", user, user)))
                    visible = word in public_words or word == own_private
                    if (word in reply.text) != visible:
                        leaks.append(("contact N", sharing, user, where.value, word))
    assert leaks == []
