"""The Slack adapter, driven through the real slack-bolt and slack_sdk clients against a loopback fake Slack."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

pytest.importorskip("slack_bolt")

from fakes.slack_server import BOT_USER, TEAM, FakeSlack

from bot.bootstrap import bootstrap
from bot.handlers.slack.run import build_bolt, http_server, socket_mode_handler, web_client
from bot.model import Asker
from bot.search.embedder import HashingEmbedder

ANNA, BRAM, CEES = "U0ANNA", "U0BRAM", "U0CEES"
PUBLIC, PRIVATE = "C0ALGEMEEN", "G0ZORG"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.add_user(ANNA, "Anna de Vries")
    server.add_user(BRAM, "Bram Peters")
    server.add_user(CEES, "Cees Jansen", locale="en-US")
    server.add_channel(PUBLIC, "algemeen", [ANNA, BRAM, CEES, BOT_USER])
    server.add_channel(PRIVATE, "team-zorg", [ANNA, BOT_USER], private=True)
    server.start()
    yield server
    server.stop()
    assert not server.refused, f"the bot used what slack-manifest.yml does not grant: {server.refused}"


@pytest.fixture
def slack(fake, settings):  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"slack_api_url": fake.base_url})
    core = bootstrap(settings, embedder=HashingEmbedder())
    bolt, adapter = build_bolt(core, client=web_client(settings, token="xoxb-test"))
    handler = socket_mode_handler(bolt, "xapp-test")
    handler.connect()
    yield core, adapter
    close_quietly(handler)
    core.close()


def close_quietly(handler: Any) -> None:
    """Close a Socket Mode handler. slack_sdk's builtin client can wait forever in close() for a session thread
    that is blocked reading the socket; a test does not wait for that thread beyond a few seconds."""
    closer = threading.Thread(target=handler.close, daemon=True)
    closer.start()
    closer.join(10)


def event(payload: dict[str, Any], event_id: str = "") -> dict[str, Any]:
    return {"token": "legacy", "team_id": TEAM, "api_app_id": "A1", "event": payload, "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:10], "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]}


def react(fake: FakeSlack, user: str, channel: str, ts: str, emoji: str = "bulb", *, added: bool = True,
          event_id: str = "") -> str:
    if added:
        message = fake.find(channel, ts)
        reactions = message.setdefault("reactions", [])
        existing = next((r for r in reactions if r["name"] == emoji), None)
        if existing is None:
            reactions.append({"name": emoji, "users": [user], "count": 1})
        elif user not in existing["users"]:
            existing["users"].append(user)
            existing["count"] += 1
    payload = event({"type": "reaction_added" if added else "reaction_removed", "user": user, "reaction": emoji,
                     "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": ts}, event_id)
    fake.send("events_api", payload)
    return payload["event_id"]


def ephemeral_texts(fake: FakeSlack, user: str) -> list[str]:
    return [c.params.get("text", "") for c in fake.called("chat.postEphemeral") if c.params.get("user") == user]


def all_block_text(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def mention(fake: FakeSlack, user: str, channel: str, text: str, thread_ts: str = "") -> dict[str, Any]:
    message = fake.post(channel, user, f"<@{BOT_USER}> {text}", thread_ts=thread_ts)
    fake.send("events_api", event({"type": "app_mention", "user": user, "text": message["text"],
                                   "ts": message["ts"], "channel": channel,
                                   **({"thread_ts": thread_ts} if thread_ts else {})}))
    return message


def bot_posts(fake: FakeSlack) -> list[dict[str, Any]]:
    return [c.params for c in fake.called("chat.postMessage")]


STORY = ("Burgerbegroting in drie wijken: bewoners verdeelden 150.000 euro. Het is gelukt. #burgerbegroting\n"
         "gemeente: Zwolle")


# -- capture ------------------------------------------------------------------------------------------
def test_reaction_captures_the_message_and_confirms_privately(fake, slack):
    core, _ = slack
    message = fake.post(PUBLIC, ANNA, STORY)
    react(fake, BRAM, PUBLIC, message["ts"])
    text = fake.wait_for(lambda: ephemeral_texts(fake, BRAM))[0]
    assert "Bewaard als les #1" in text and "Zwolle" in text and "Contact: Anna de Vries" in text
    lesson = core.repo.get_lesson(1)
    assert lesson.contact.user_id == ANNA and lesson.captured_by.user_id == BRAM
    assert lesson.source.permalink.startswith("https://gemeenten.slack.test/archives/C0ALGEMEEN/p")
    confirm = fake.called("chat.postEphemeral")[0].params
    assert {e["action_id"] for b in confirm["blocks"] if b["type"] == "actions" for e in b["elements"]} == {
        "leerkring_edit", "leerkring_undo"}


def test_the_same_event_delivered_twice_makes_one_lesson_and_one_confirmation(fake, slack):
    core, _ = slack
    message = fake.post(PUBLIC, ANNA, STORY)
    event_id = react(fake, BRAM, PUBLIC, message["ts"])
    fake.wait_for(lambda: ephemeral_texts(fake, BRAM))
    react(fake, BRAM, PUBLIC, message["ts"], event_id=event_id)  # Slack's retry
    react(fake, CEES, PUBLIC, message["ts"])  # another person tags the same message
    fake.wait_for(lambda: ephemeral_texts(fake, CEES))
    time.sleep(0.5)
    assert len(ephemeral_texts(fake, BRAM)) == 1
    assert core.repo.count_lessons() == 1


def test_reaction_on_a_thread_parent_captures_the_thread_as_one_story(fake, slack):
    core, _ = slack
    parent = fake.post(PUBLIC, ANNA, "Wij probeerden een jongerenraad. #jongeren")
    fake.post(PUBLIC, BRAM, "Hoe kregen jullie de jongeren binnen?", thread_ts=parent["ts"])
    fake.post(PUBLIC, ANNA, "Via de sportclubs; scholen werkten niet.", thread_ts=parent["ts"])
    react(fake, BRAM, PUBLIC, parent["ts"])
    fake.wait_for(lambda: ephemeral_texts(fake, BRAM))
    text = core.repo.get_lesson(1).text
    assert "jongerenraad" in text and "Bram Peters: Hoe kregen" in text and "sportclubs" in text


def test_other_emojis_are_ignored_and_the_capture_emoji_is_configurable(fake, settings):
    for emojis, ignored, captured in ((None, "tada", "leerkring"), ("les,idee", "bulb", "idee")):
        update = {"slack_api_url": fake.base_url, **({"slack_capture_emojis": emojis} if emojis else {})}
        core = bootstrap(settings.model_copy(update=update), embedder=HashingEmbedder())
        bolt, _ = build_bolt(core, client=web_client(core.settings, token="xoxb-test"))
        handler = socket_mode_handler(bolt, "xapp-test")
        handler.connect()
        try:
            skipped = fake.post(PUBLIC, ANNA, f"Een verhaal met {ignored}: niet bewaren. #test")
            kept = fake.post(PUBLIC, ANNA, f"Een verhaal met {captured}: wel bewaren. #test")
            react(fake, BRAM, PUBLIC, skipped["ts"], emoji=ignored)
            react(fake, BRAM, PUBLIC, kept["ts"], emoji=captured)
            fake.wait_for(lambda core=core, kept=kept: core.repo.find_by_source("slack", TEAM, PUBLIC, kept["ts"]))
            time.sleep(0.3)  # the other reaction had as long to be handled
            assert core.repo.find_by_source("slack", TEAM, PUBLIC, skipped["ts"]) is None
        finally:
            close_quietly(handler)
            core.close()


def test_removing_the_last_capture_reaction_withdraws_the_lesson(fake, slack):
    core, _ = slack
    message = fake.post(PUBLIC, ANNA, STORY)
    react(fake, BRAM, PUBLIC, message["ts"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    fake.find(PUBLIC, message["ts"])["reactions"] = []
    react(fake, BRAM, PUBLIC, message["ts"], added=False)
    fake.wait_for(lambda: core.repo.count_lessons() == 0)


def test_editing_and_deleting_the_source_message_updates_and_removes_the_lesson(fake, slack):
    core, _ = slack
    message = fake.post(PUBLIC, ANNA, STORY)
    react(fake, BRAM, PUBLIC, message["ts"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    edited = {**message, "text": "Geveltuinen in plaats van tegels, een wedstrijd tussen straten. #groen"}
    fake.send("events_api", event({"type": "message", "subtype": "message_changed", "channel": PUBLIC,
                                   "message": edited, "previous_message": message, "ts": "1.1",
                                   "channel_type": "channel"}))
    fake.wait_for(lambda: "Geveltuinen" in core.repo.get_lesson(1).text)
    fake.send("events_api", event({"type": "message", "subtype": "message_deleted", "channel": PUBLIC,
                                   "deleted_ts": message["ts"], "ts": "1.2", "channel_type": "channel"}))
    fake.wait_for(lambda: core.repo.count_lessons() == 0)


def test_mention_with_bewaar_in_a_thread_captures_the_thread(fake, slack):
    core, _ = slack
    parent = fake.post(PUBLIC, ANNA, "Buurtkamer in vijf wijken; ouderen komen wekelijks terug. #eenzaamheid")
    mention(fake, BRAM, PUBLIC, "bewaar", thread_ts=parent["ts"])
    fake.wait_for(lambda: ephemeral_texts(fake, BRAM))
    lesson = core.repo.get_lesson(1)
    assert "Buurtkamer" in lesson.text and lesson.contact.user_id == ANNA


# -- asking ---------------------------------------------------------------------------------------
def seed(fake: FakeSlack, core: Any) -> None:
    for user, text in ((ANNA, STORY),
                       (BRAM, "Burgerbegroting binnenstad: het is niet gelukt om jongeren te bereiken. "
                              "#burgerbegroting\ngemeente: Deventer")):
        message = fake.post(PUBLIC, user, text)
        react(fake, CEES, PUBLIC, message["ts"])
    fake.wait_for(lambda: core.repo.count_lessons() == 2)


def test_mention_is_answered_in_the_thread_with_stories_contacts_and_buttons(fake, slack):
    core, _ = slack
    seed(fake, core)
    question = mention(fake, CEES, PUBLIC, "Heeft een gemeente al eens een burgerbegroting geprobeerd?")
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if p.get("thread_ts") == question["ts"]])[0]
    blocks = all_block_text(post["blocks"])
    assert "Zwolle" in blocks and "Deventer" in blocks and "mislukt" in blocks
    assert f"<@{ANNA}>" in blocks and f"<@{BRAM}>" in blocks  # contacts as real mentions
    assert "2 gemeenten: 1 gelukt, 1 mislukt" in blocks
    assert "leerkring_intro" in blocks and "leerkring_helpful" in blocks
    assert "Zwolle" in post["text"]  # the plain-text fallback
    assert len(post["blocks"]) <= 50


def test_direct_message_is_answered_in_the_dm(fake, slack):
    core, _ = slack
    seed(fake, core)
    fake.add_channel("D0CEES", "", [CEES, BOT_USER], im=True)
    fake.send("events_api", event({"type": "message", "channel": "D0CEES", "channel_type": "im", "user": CEES,
                                   "text": "burgerbegroting", "ts": "1700000999.000100"}))
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if p["channel"] == "D0CEES"])[0]
    assert "Zwolle" in all_block_text(post["blocks"])


def test_a_story_with_channel_mentions_never_pings(fake, slack):
    core, _ = slack
    message = fake.post(PUBLIC, ANNA, "<!channel> <!here> <!everyone> Wijkbudget met <@U0CEES> & co: "
                                      "<https://evil.test|klik> #wijkbudget")
    react(fake, BRAM, PUBLIC, message["ts"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    mention(fake, CEES, PUBLIC, "wijkbudget")
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p])[0]
    everything = post["text"] + all_block_text(post["blocks"])
    for dangerous in ("<!channel>", "<!here>", "<!everyone>", "<@U0CEES>", "<https://evil.test"):
        assert dangerous not in everything
    assert "&lt;!channel&gt;" in everything
    confirmation = fake.called("chat.postEphemeral")[0].params
    assert "<!channel>" not in confirmation["text"] + all_block_text(confirmation["blocks"])


def test_private_channel_lessons_are_not_shown_to_outsiders_and_only_privately_to_members(fake, slack):
    core, _ = slack
    secret = fake.post(PRIVATE, ANNA, "Vertrouwelijk: de pilot met sensoren is mislukt. #zorgtechnologie")
    react(fake, ANNA, PRIVATE, secret["ts"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    mention(fake, BRAM, PUBLIC, "pilot met sensoren")  # Bram is not in #team-zorg
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p])[0]
    assert "Vertrouwelijk" not in all_block_text(post["blocks"]) + post["text"]
    mention(fake, ANNA, PUBLIC, "pilot met sensoren")  # Anna is; the public answer still may not quote it
    posts = fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p][1:])
    assert "Vertrouwelijk" not in all_block_text(posts[0]["blocks"]) + posts[0]["text"]
    private = fake.wait_for(lambda: [c.params for c in fake.called("chat.postEphemeral")
                                     if c.params.get("user") == ANNA and "Vertrouwelijk" in json.dumps(c.params)
                                     and c.params.get("blocks")])
    assert private


def test_rate_limited_then_delivered_once(fake, slack):
    core, _ = slack
    seed(fake, core)
    fake.fail_next["chat.postMessage"] = [429]
    mention(fake, CEES, PUBLIC, "burgerbegroting")
    fake.wait_for(lambda: len(fake.called("chat.postMessage")) >= 2, timeout=20)  # a 429, then the retry
    time.sleep(1.5)
    assert len(fake.called("chat.postMessage")) == 2
    delivered = [m for m in fake.messages[PUBLIC] if m.get("bot_id")]
    assert len(delivered) == 1 and "Zwolle" in json.dumps(delivered[0]["blocks"])


# -- slash command, shortcut, buttons -------------------------------------------------------------
def command(fake: FakeSlack, user: str, text: str, channel: str = PUBLIC) -> None:
    fake.send("slash_commands", {"token": "legacy", "team_id": TEAM, "team_domain": "gemeenten",
                                 "channel_id": channel, "channel_name": "algemeen", "user_id": user,
                                 "user_name": user.lower(), "command": "/leerkring", "text": text,
                                 "api_app_id": "A1", "response_url": fake.response_url(),
                                 "trigger_id": uuid.uuid4().hex})


def test_slash_commands_answer_privately(fake, slack):
    core, _ = slack
    seed(fake, core)
    command(fake, BRAM, "")
    help_text = fake.wait_for(lambda: fake.responses)[0]
    assert help_text["response_type"] == "ephemeral" and "/leerkring les &lt;verhaal&gt;" in help_text["text"]
    command(fake, BRAM, "gemeente Den Haag")
    assert "'s-Gravenhage" in fake.wait_for(lambda: fake.responses[1:])[0]["text"]
    command(fake, BRAM, "vraag burgerbegroting")
    answer = fake.wait_for(lambda: fake.responses[2:])[0]
    assert answer["response_type"] == "ephemeral" and "Zwolle" in all_block_text(answer["blocks"])
    command(fake, BRAM, "les Taalcafé voor nieuwkomers in de bibliotheek. Gelukt. #taal")
    saved = fake.wait_for(lambda: fake.responses[3:])[0]
    assert "Bewaard als les #3" in saved["text"] and "'s-Gravenhage" in saved["text"]
    command(fake, BRAM, "vergeet")
    assert "Ik bewaar over jou" in fake.wait_for(lambda: fake.responses[4:])[0]["text"]


def test_english_locale_gets_english(fake, slack):
    core, _ = slack
    seed(fake, core)
    command(fake, CEES, "help")
    assert "I'm Leerkring" in fake.wait_for(lambda: fake.responses)[0]["text"]


def test_message_shortcut_opens_a_prefilled_form_and_saves_it(fake, slack):
    core, _ = slack
    message = fake.post(PUBLIC, ANNA, "Energiecoaches bij 1.800 huishoudens. Het is gelukt. #energiearmoede")
    fake.send("interactive", {"type": "message_action", "callback_id": "leerkring_save",
                              "trigger_id": "trig-1", "team": {"id": TEAM}, "channel": {"id": PUBLIC},
                              "user": {"id": BRAM}, "message": message, "response_url": fake.response_url()})
    view = fake.wait_for(lambda: fake.called("views.open"))[0].params["view"]
    text_block = next(b for b in view["blocks"] if b["block_id"] == "text")
    assert text_block["element"]["initial_value"].startswith("Energiecoaches")
    contact_block = next(b for b in view["blocks"] if b["block_id"] == "contact")
    assert contact_block["element"]["initial_user"] == ANNA
    state = {"values": {
        "text": {"value": {"type": "plain_text_input", "value": "Energiecoaches bij 1.800 huishoudens."}},
        "municipality": {"value": {"type": "plain_text_input", "value": "Groningen"}},
        "themes": {"value": {"type": "plain_text_input", "value": "energiearmoede, armoede"}},
        "outcome": {"value": {"type": "static_select", "selected_option": {"value": "mixed"}}},
        "learned": {"value": {"type": "plain_text_input", "value": "Breng iets tastbaars mee."}},
        "why": {"value": {"type": "plain_text_input", "value": "een coach aan de keukentafel"}},
        "conditions": {"value": {"type": "plain_text_input", "value": "samen met de woningcorporatie"}},
        "contact": {"value": {"type": "users_select", "selected_user": CEES}}}}
    fake.send("interactive", {"type": "view_submission", "team": {"id": TEAM}, "user": {"id": BRAM},
                              "view": {**view, "state": state}})
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    lesson = core.repo.get_lesson(1)
    assert (lesson.municipality, lesson.outcome.value, lesson.learned) == ("Groningen", "mixed",
                                                                          "Breng iets tastbaars mee.")
    assert lesson.themes == ["energiearmoede", "armoede"] and lesson.contact.user_id == CEES
    assert (lesson.why, lesson.conditions) == ("een coach aan de keukentafel", "samen met de woningcorporatie")
    assert {"why", "conditions"} <= {b["block_id"] for b in view["blocks"]}
    assert lesson.edited_by_form and lesson.source.message_id == message["ts"]


def block_action(fake: FakeSlack, user: str, action_id: str, value: str) -> None:
    fake.send("interactive", {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": user},
                              "channel": {"id": PUBLIC}, "trigger_id": uuid.uuid4().hex,
                              "response_url": fake.response_url(), "container": {"type": "message"},
                              "actions": [{"action_id": action_id, "value": value, "type": "button",
                                           "block_id": "b1", "action_ts": "1"}]})


def lesson_in(core: Any, municipality: str) -> int:
    return next(lesson.id for lesson in core.repo.iter_lessons() if lesson.municipality == municipality)


def test_introduction_button_asks_the_contact_first_then_opens_a_group_dm(fake, slack):
    core, _ = slack
    seed(fake, core)
    zwolle = lesson_in(core, "Zwolle")
    block_action(fake, CEES, "leerkring_intro", json.dumps({"l": zwolle, "q": None}))
    asked = fake.wait_for(lambda: [c.params for c in fake.called("chat.postMessage")
                                   if c.params.get("channel") == ANNA and c.params.get("blocks")])[0]
    assert f"<@{CEES}>" in asked["text"] and f"#{zwolle}" in asked["text"]
    assert not fake.called("conversations.open")  # nothing opens before Anna says yes
    yes = next(e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == "leerkring_answer_0")
    block_action(fake, ANNA, yes["action_id"], yes["value"])
    opened = fake.wait_for(lambda: fake.called("conversations.open"))[0]
    assert set(opened.params["users"].split(",")) == {CEES, ANNA}
    intro = fake.wait_for(lambda: [p for p in bot_posts(fake) if p["channel"].startswith("G")])[0]
    assert f"<@{ANNA}>" in intro["text"] and f"<@{CEES}>" in intro["text"] and f"#{zwolle}" in intro["text"]


def test_feedback_and_undo_buttons(fake, slack):
    core, _ = slack
    seed(fake, core)
    zwolle = lesson_in(core, "Zwolle")  # Anna's story, tagged by Cees
    block_action(fake, BRAM, "leerkring_helpful", json.dumps({"l": zwolle, "q": None}))
    assert "Dank je" in fake.wait_for(lambda: fake.responses)[0]["text"]
    block_action(fake, BRAM, "leerkring_undo", str(zwolle))  # Bram neither tagged it nor is its contact
    refusal = fake.wait_for(lambda: fake.responses[1:])[0]
    assert "alleen lessen verwijderen" in refusal["text"] and core.repo.get_lesson(zwolle) is not None
    block_action(fake, CEES, "leerkring_undo", str(zwolle))
    fake.wait_for(lambda: core.repo.get_lesson(zwolle) is None)
    assert core.repo.person_data("slack", BRAM)["feedback"][0]["helpful"] is True


def test_cross_platform_a_slack_lesson_is_found_from_the_console(fake, slack):
    core, _ = slack
    seed(fake, core)
    result = core.service.ask("burgerbegroting", Asker("console", "piet", "Piet"))
    assert {h.lesson.municipality for h in result.answer.hits} == {"Zwolle", "Deventer"}
    assert all(h.lesson.source.permalink.startswith("https://gemeenten.slack.test/") for h in result.answer.hits)


# -- HTTP mode ------------------------------------------------------------------------------------
def signed(secret: str, body: bytes, *, stamp: int | None = None) -> dict[str, str]:
    stamp = stamp or int(time.time())
    base = f"v0:{stamp}:{body.decode()}".encode()
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(stamp), "X-Slack-Signature": signature}


def test_http_mode_checks_signatures_and_has_a_health_endpoint(fake, settings):
    from pydantic import SecretStr

    settings = settings.model_copy(update={"slack_api_url": fake.base_url, "slack_mode": "http",
                                           "slack_signing_secret": SecretStr("s3cret")})
    core = bootstrap(settings, embedder=HashingEmbedder())
    bolt, _ = build_bolt(core, client=web_client(settings, token="xoxb-test"), http=True)
    server = http_server(bolt, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert urllib.request.urlopen(base + "/healthz", timeout=5).read() == b"ok"
        body = urlencode({"command": "/leerkring", "text": "help", "user_id": BRAM, "channel_id": PUBLIC,
                          "team_id": TEAM, "response_url": fake.response_url(), "trigger_id": "t1"}).encode()
        bad = urllib.request.Request(base + "/slack/events", data=body, headers={
            **signed("wrong", body), "Content-Type": "application/x-www-form-urlencoded"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(bad, timeout=5)
        assert info.value.code == 401
        good = urllib.request.Request(base + "/slack/events", data=body, headers={
            **signed("s3cret", body), "Content-Type": "application/x-www-form-urlencoded"})
        assert urllib.request.urlopen(good, timeout=5).status == 200
        assert "/leerkring les &lt;verhaal&gt;" in fake.wait_for(lambda: fake.responses)[0]["text"]
    finally:
        server.shutdown()
        core.close()


# -- backfill --------------------------------------------------------------------------------------
def test_backfill_imports_tagged_history_and_can_run_again(fake, slack):
    from bot.handlers.slack.run import backfill

    core, adapter = slack
    tagged = fake.post(PUBLIC, ANNA, STORY, reactions=[{"name": "bulb", "users": [BRAM], "count": 1}])
    fake.post(PUBLIC, BRAM, "Gewoon een bericht zonder label.")
    assert backfill(core, adapter, PUBLIC, None) == (2, 1)
    assert backfill(core, adapter, PUBLIC, None) == (2, 1)
    assert core.repo.count_lessons() == 1
    assert core.repo.get_lesson(1).source.message_id == tagged["ts"]


def test_cross_platform_a_console_lesson_is_answered_in_slack(fake, slack):
    from helpers import capture

    core, _ = slack
    capture(core.service, "Inloopspreekuur zonder afspraak in het dorpshuis. Het werkte goed. #wmo\ngemeente: Emmen")
    mention(fake, CEES, PUBLIC, "inloopspreekuur zonder afspraak")
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p])[0]
    blocks = all_block_text(post["blocks"])
    assert "Emmen" in blocks and "Anna de Vries" in blocks  # a console contact is named, not mentioned


# -- peer learning ---------------------------------------------------------------------------------
def test_an_open_question_gets_a_direct_message_when_answered(fake, slack):
    _core, _ = slack
    mention(fake, CEES, PUBLIC, "Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?")
    fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p])
    message = fake.post(PUBLIC, ANNA, "Deelauto's in een nieuwbouwwijk: bezoekers parkeren nu in de buurt. "
                                      "#mobiliteit\ngemeente: Houten")
    react(fake, BRAM, PUBLIC, message["ts"])
    dm = fake.wait_for(lambda: [p for p in bot_posts(fake) if p["channel"] == CEES])[0]
    assert "📬" in dm["text"] and "Houten" in dm["text"] and f"<@{ANNA}>" in dm["text"]


def test_an_answer_saved_by_the_mattermost_process_reaches_the_slack_asker(fake, slack, settings, tmp_path):
    """Two processes on one database, one per platform: the Mattermost bot saves the lesson, and only the
    Slack bot can tell the Slack asker. The question is answered once the asker has been told."""
    from fakes.mattermost_server import FakeMattermost
    from pydantic import SecretStr

    from bot.followup import FollowUps
    from bot.handlers.mattermost.run import MattermostBot

    core, _ = slack
    mention(fake, CEES, PUBLIC, "Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?")
    fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p])
    assert [q.user_id for q in core.service.open_questions()] == [CEES]

    mm = FakeMattermost()
    dirk, eva, town = "dirkid00000000000000000000", "evaid000000000000000000000", "townsquare0000000000000000"
    mm.add_user(dirk, "dirk", first="Dirk", last="Bos")
    mm.add_user(eva, "eva", first="Eva", last="Smit")
    mm.add_channel(town, "town-square", "O", [dirk, eva])
    mm.start()
    mm_core = bootstrap(settings.model_copy(update={
        "mattermost_url": mm.url, "mattermost_token": SecretStr(mm.token), "index_dir": tmp_path / "mm-index",
        "mattermost_public_url": "http://127.0.0.1:9"}), embedder=HashingEmbedder())
    bot = MattermostBot(mm_core, reconnect_base=0.05)
    bot.start_websocket()
    followups = None
    try:
        assert bot.websocket.connected.wait(10)
        post = mm.new_post(town, dirk, "Deelauto's in een nieuwbouwwijk: bezoekers parkeren nu in de buurt. "
                                       "#mobiliteit\ngemeente: Houten")
        mm.react(eva, post["id"])
        # the Mattermost process cannot reach Cees: the answer waits for the Slack process
        pending = mm.wait_for(lambda: core.repo.pending_answers("slack"))
        assert [(q.user_id, lesson) for q, lesson in pending] == [(CEES, 1)]
        assert core.service.open_questions() == [] and not [p for p in bot_posts(fake) if p["channel"] == CEES]
        followups = FollowUps(core.service, "slack", interval=0.2).start()
        dm = fake.wait_for(lambda: [p for p in bot_posts(fake) if p["channel"] == CEES])[0]
        assert "📬" in dm["text"] and "Houten" in dm["text"] and "Dirk Bos" in dm["text"]
        assert core.repo.pending_answers("slack") == []
        time.sleep(0.5)  # later rounds tell nobody again
        assert len([p for p in bot_posts(fake) if p["channel"] == CEES]) == 1
    finally:
        if followups is not None:
            followups.stop()
        bot.stop()
        mm_core.close()
        mm.stop()


def test_a_declined_contact_gets_no_introduction_button(fake, slack):
    core, _ = slack
    seed(fake, core)
    command(fake, ANNA, "introducties uit")
    fake.wait_for(lambda: fake.responses)
    mention(fake, CEES, PUBLIC, "burgerbegroting")
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if "blocks" in p])[0]
    zwolle = lesson_in(core, "Zwolle")
    actions = next(b for b in post["blocks"] if b.get("block_id") == f"lesson-{zwolle}")
    assert "leerkring_intro" not in json.dumps(actions)
    deventer = next(b for b in post["blocks"] if b.get("block_id") == f"lesson-{lesson_in(core, 'Deventer')}")
    assert "leerkring_intro" in json.dumps(deventer)


def test_a_contact_who_leaves_is_marked_and_the_tagger_is_asked_for_a_new_one(fake, slack):
    core, _ = slack
    seed(fake, core)
    user = {**fake.users[ANNA], "deleted": True}
    fake.users[ANNA] = user
    fake.send("events_api", event({"type": "user_change", "user": user}))
    ask = fake.wait_for(lambda: [p for p in bot_posts(fake) if p["channel"] == CEES])[0]
    assert "niet meer bereikbaar" in ask["text"] or "can no longer be reached" in ask["text"]
    assert not core.repo.get_lesson(lesson_in(core, "Zwolle")).contact_active
    command(fake, CEES, f"contact overdragen <@{ANNA}> <@{BRAM}>")
    fake.wait_for(lambda: fake.responses)
    assert core.repo.get_lesson(lesson_in(core, "Zwolle")).contact.user_id == BRAM


def test_stats_command_answers_with_a_table_and_uploads_a_chart(fake, slack):
    core, _ = slack
    seed(fake, core)
    command(fake, BRAM, "stats")
    table = fake.wait_for(lambda: fake.responses)[0]
    assert "Lessen: 2" in table["text"] and table["response_type"] == "ephemeral"
    upload = fake.wait_for(lambda: fake.uploads)[0]
    assert upload["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    completed = fake.wait_for(lambda: fake.called("files.completeUploadExternal"))
    assert len(completed) == 1


def test_server_errors_for_a_while_still_deliver_the_answer_once(fake, slack):
    core, _ = slack
    seed(fake, core)
    fake.fail_next["chat.postMessage"] = [500, 503, 429, 500]
    mention(fake, CEES, PUBLIC, "burgerbegroting")
    fake.wait_for(lambda: [m for m in fake.messages[PUBLIC] if m.get("bot_id")], timeout=60)
    time.sleep(1.0)
    assert len([m for m in fake.messages[PUBLIC] if m.get("bot_id")]) == 1
    assert len(fake.called("chat.postMessage")) == 5


def test_an_answer_posted_before_a_server_error_is_not_posted_again(fake, slack):
    core, _ = slack
    seed(fake, core)
    fake.fail_after["chat.postMessage"] = [500, 503]  # Slack posts, then the reply is lost twice
    question = mention(fake, CEES, PUBLIC, "burgerbegroting")
    fake.wait_for(lambda: fake.called("conversations.replies") and len(fake.called("chat.postMessage")) >= 1,
                  timeout=30)
    time.sleep(2.0)
    answers = [m for m in fake.messages[PUBLIC] if m.get("bot_id") and m.get("thread_ts") == question["ts"]]
    assert len(answers) == 1 and len(fake.called("chat.postMessage")) == 1
    assert answers[0]["metadata"]["event_payload"]["answers"] == f"{PUBLIC}:{question['ts']}"


def test_related_lessons_are_labelled_and_a_listing_needs_no_question(fake, slack):
    from bot.search.decision import MatchDecision

    core, _ = slack
    seed(fake, core)
    core.engine.decision = MatchDecision(match_at=1e9, related_at=-1e9)  # close, but nothing answers
    question = mention(fake, CEES, PUBLIC, "budget voor bewoners?")
    post = fake.wait_for(lambda: [p for p in bot_posts(fake) if p.get("thread_ts") == question["ts"]])[0]
    blocks = all_block_text(post["blocks"])
    assert post["blocks"][0]["text"]["text"].startswith("Geen directe les over “budget voor bewoners?”, wel verwant")
    assert "Je vraag blijft open" in blocks and "leerkring_keep_open" not in blocks  # already kept open
    assert "1 gelukt, 1 mislukt" not in blocks
    command(fake, BRAM, "vraag sinds=2000 thema=burgerbegroting")
    listing = fake.wait_for(lambda: fake.responses)[0]
    assert listing["response_type"] == "ephemeral"
    assert "Lessen met thema=burgerbegroting sinds=2000-01-01 (nieuwste eerst)" in listing["text"]
    assert listing["text"].index("Deventer") < listing["text"].index("Zwolle")  # newest first


def test_the_fake_holds_the_bot_to_the_manifest(settings, tmp_path):
    from fakes.slack_server import MANIFEST

    narrow = tmp_path / "manifest.yml"
    narrow.write_text(MANIFEST.read_text(encoding="utf-8").replace("      - files:write\n", "")
                      .replace("      - user_change\n", ""), encoding="utf-8")
    server = FakeSlack(manifest=narrow)
    server.add_user(BRAM, "Bram Peters")
    server.add_channel(PUBLIC, "algemeen", [BRAM, BOT_USER])
    server.start()
    settings = settings.model_copy(update={"slack_api_url": server.base_url})
    core = bootstrap(settings, embedder=HashingEmbedder())
    bolt, _ = build_bolt(core, client=web_client(settings, token="xoxb-test"))
    handler = socket_mode_handler(bolt, "xapp-test")
    handler.connect()
    try:
        server.send("events_api", event({"type": "user_change", "user": {"id": BRAM, "deleted": True}}))
        command(server, BRAM, "stats")
        server.wait_for(lambda: server.responses)
        server.wait_for(lambda: server.refused and any(m == "files.getUploadURLExternal" for m, _ in server.refused))
        assert ("user_change", "not subscribed") in server.refused
        assert ("files.getUploadURLExternal", "files:write") in server.refused and not server.uploads
    finally:
        close_quietly(handler)
        core.close()
        server.stop()


def test_a_thread_story_holds_the_peoples_replies_not_the_bots_or_the_tag(fake, slack):
    core, _ = slack
    parent = fake.post(PUBLIC, ANNA, "Buurtkamer in vijf wijken; ouderen komen wekelijks terug. #eenzaamheid")
    fake.post(PUBLIC, BRAM, "Wat kostte de huur van die ruimtes?", thread_ts=parent["ts"])
    fake.post(PUBLIC, ANNA, "De woningcorporatie gaf ze gratis in gebruik.", thread_ts=parent["ts"])
    fake.post(PUBLIC, BOT_USER, "Dit vond ik over buurtkamers: ...", thread_ts=parent["ts"], bot_id="BBOT")
    mention(fake, CEES, PUBLIC, "bewaar", thread_ts=parent["ts"])
    fake.wait_for(lambda: ephemeral_texts(fake, CEES))
    text = core.repo.get_lesson(1).text
    assert "Buurtkamer in vijf wijken" in text
    assert "Bram Peters: Wat kostte de huur" in text and "Anna de Vries: De woningcorporatie gaf ze gratis" in text
    assert "Dit vond ik" not in text and "bewaar" not in text


def test_a_saved_thread_follows_replies_added_edited_and_deleted_after_capture(fake, slack):
    core, _ = slack
    parent = fake.post(PUBLIC, ANNA, "Buurtkamer in vijf wijken; ouderen komen wekelijks terug. #eenzaamheid")
    first = fake.post(PUBLIC, BRAM, "Wat kostte de huur van die ruimtes?", thread_ts=parent["ts"])
    mention(fake, CEES, PUBLIC, "bewaar", thread_ts=parent["ts"])
    fake.wait_for(lambda: ephemeral_texts(fake, CEES))

    def story() -> str:
        return core.repo.get_lesson(1).text

    def message_event(inner: dict[str, Any]) -> None:
        fake.send("events_api", event({"type": "message", "channel": PUBLIC, "channel_type": "channel", **inner}))

    added = fake.post(PUBLIC, ANNA, "De woningcorporatie gaf ze gratis in gebruik.", thread_ts=parent["ts"])
    message_event({k: added[k] for k in ("user", "text", "ts", "thread_ts")})
    fake.wait_for(lambda: "Anna de Vries: De woningcorporatie gaf ze gratis" in story())

    first["text"] = "Wat kostte de huur per maand?"
    message_event({"subtype": "message_changed", "ts": "1800000000.000001",
                   "message": {k: first[k] for k in ("user", "text", "ts", "thread_ts")}})
    fake.wait_for(lambda: "Bram Peters: Wat kostte de huur per maand?" in story())

    fake.messages[PUBLIC].remove(added)
    message_event({"subtype": "message_deleted", "ts": "1800000000.000002", "deleted_ts": added["ts"],
                   "previous_message": {k: added[k] for k in ("user", "text", "ts", "thread_ts")}})
    fake.wait_for(lambda: "woningcorporatie" not in story())
    assert "Buurtkamer in vijf wijken" in story() and "per maand" in story()
    assert core.repo.get_lesson(1) is not None and len(list(core.repo.iter_lessons())) == 1


def test_backfill_pages_through_long_history_and_reads_thread_replies(fake, slack):
    from bot.handlers.slack.run import backfill

    core, adapter = slack
    bulb = [{"name": "bulb", "users": [BRAM], "count": 1}]
    for n in range(450):  # three pages of 200
        extra = {"reactions": bulb} if n % 50 == 0 else {}
        fake.post(PUBLIC, ANNA, f"Bericht {n}: inloopspreekuur in dorp {n}. #wmo", **extra)
    parent = fake.post(PUBLIC, ANNA, "Wie heeft ervaring met een repaircafé in de bibliotheek?")
    fake.post(PUBLIC, CEES, "Wij: vrijwilligers repareren, het afval daalde. #afval", thread_ts=parent["ts"],
              reactions=bulb)
    seen_before = len(fake.called("conversations.history"))
    assert backfill(core, adapter, PUBLIC, None) == (452, 10)
    assert len(fake.called("conversations.history")) - seen_before == 3
    texts = [lesson.text for lesson in core.repo.iter_lessons()]
    assert any(text.startswith("Wij: vrijwilligers repareren") for text in texts)  # the tagged reply
    assert sum(text.startswith("Bericht ") for text in texts) == 9
    assert backfill(core, adapter, PUBLIC, None) == (452, 10) and core.repo.count_lessons() == 10
    # a backfill confirms nothing in the channels it reads: what it saved is only in its own report
    assert not fake.called("chat.postMessage") and not fake.called("chat.postEphemeral")


def test_a_one_line_lesson_with_fields_is_stored_field_by_field(fake, slack):
    core, _ = slack
    command(fake, ANNA, "les Wijkteams op vaste dagen in het buurthuis. gemeente: Den Bosch uitkomst: gemengd "
                        "contact: Karin Smit #sociaal")
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    lesson = core.repo.get_lesson(1)
    assert lesson.municipality in ("Den Bosch", "'s-Hertogenbosch") and "gemeente" not in lesson.text
    assert lesson.contact.name == "Karin Smit" and lesson.outcome.value == "mixed" and lesson.themes == ["sociaal"]
