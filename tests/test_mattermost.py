"""The Mattermost adapter, driven through the real mattermostautodriver against a loopback fake Mattermost."""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr

pytest.importorskip("mattermostautodriver")

from fakes.mattermost_server import BOT, TEAM, FakeMattermost

from bot.bootstrap import bootstrap
from bot.handlers.mattermost.run import MattermostBot
from bot.model import Asker
from bot.search.embedder import HashingEmbedder

ANNA, BRAM, CEES = "annaid00000000000000000000", "bramid00000000000000000000", "ceesid00000000000000000000"
TOWN, ZORG, DM_CEES = "townsquare0000000000000000", "zorgprivate000000000000000", "dmcees00000000000000000000"
STORY = ("Burgerbegroting in drie wijken: bewoners verdeelden 150.000 euro. Het is gelukt. #burgerbegroting\n"
         "gemeente: Zwolle")


@pytest.fixture
def fake() -> Iterator[FakeMattermost]:
    server = FakeMattermost()
    server.add_user(ANNA, "anna", first="Anna", last="de Vries")
    server.add_user(BRAM, "bram", first="Bram", last="Peters")
    server.add_user(CEES, "cees", first="Cees", last="Jansen", locale="en")
    server.add_channel(TOWN, "town-square", "O", [ANNA, BRAM, CEES])
    server.add_channel(ZORG, "team-zorg", "P", [ANNA])
    server.add_channel(DM_CEES, "", "D", [CEES])
    server.start()
    yield server
    server.stop()


def mm_settings(settings: Any, fake: FakeMattermost) -> Any:
    return settings.model_copy(update={"mattermost_url": fake.url, "mattermost_token": SecretStr(fake.token),
                                       "mattermost_command_token": SecretStr("cmd-token"),
                                       "mattermost_public_url": "http://127.0.0.1:9"})


def start_bot(settings: Any, fake: FakeMattermost) -> tuple[Any, MattermostBot, str]:
    core = bootstrap(mm_settings(settings, fake), embedder=HashingEmbedder())
    bot = MattermostBot(core, reconnect_base=0.05)
    server = bot.start_http("127.0.0.1", 0)
    bot.start_websocket()
    assert bot.websocket.connected.wait(10)
    return core, bot, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def mm(fake, settings):  # type: ignore[no-untyped-def]
    core, bot, base = start_bot(settings, fake)
    yield core, bot, base
    bot.stop()
    core.close()


def ephemeral_for(fake: FakeMattermost, user: str) -> list[dict[str, Any]]:
    return [e for e in fake.ephemeral if e["user_id"] == user]


def answers(fake: FakeMattermost) -> list[dict[str, Any]]:
    return [p for p in fake.bot_posts() if p["channel_id"] in (TOWN, ZORG, DM_CEES)]


def everything(post: dict[str, Any]) -> str:
    return post.get("message", "") + json.dumps(post.get("props") or {}, ensure_ascii=False)


def seed(fake: FakeMattermost, core: Any) -> None:
    for user, text in ((ANNA, STORY), (BRAM, "Burgerbegroting binnenstad: het is niet gelukt om jongeren te "
                                             "bereiken. #burgerbegroting\ngemeente: Deventer")):
        post = fake.new_post(TOWN, user, text)
        fake.react(CEES, post["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 2)


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def command(base: str, user: str, text: str, token: str = "cmd-token", channel: str = TOWN) -> tuple[int, Any]:
    body = urlencode({"channel_id": channel, "channel_name": "town-square", "command": "/leerkring",
                      "response_url": "http://127.0.0.1:9/unused", "team_id": TEAM, "text": text,
                      "token": token, "trigger_id": f"trig-{time.time()}", "user_id": user,
                      "user_name": "x"}).encode()
    request = urllib.request.Request(base + "/mattermost/command", data=body, headers={
        "Authorization": f"Token {token}", "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


# -- capture ------------------------------------------------------------------------------------------
def test_reaction_captures_a_post_with_permalink_and_confirms_privately(fake, mm):
    core, _, _ = mm
    post = fake.new_post(TOWN, ANNA, STORY)
    fake.react(BRAM, post["id"])
    note = fake.wait_for(lambda: ephemeral_for(fake, BRAM))[0]
    assert "Bewaard als les #1" in note["post"]["message"] and "Zwolle" in note["post"]["message"]
    buttons = note["post"]["props"]["attachments"][0]["actions"]
    assert [b["integration"]["context"]["action"] for b in buttons] == ["edit", "undo"]
    lesson = core.repo.get_lesson(1)
    assert lesson.contact.user_id == ANNA and lesson.captured_by.user_id == BRAM
    assert lesson.source.permalink == f"{fake.url}/gemeenten/pl/{post['id']}"


def test_reaction_on_a_thread_root_captures_the_thread(fake, mm):
    core, _, _ = mm
    root = fake.new_post(TOWN, ANNA, "Wij probeerden een jongerenraad. #jongeren")
    fake.new_post(TOWN, BRAM, "Hoe kregen jullie de jongeren binnen?", root_id=root["id"])
    fake.new_post(TOWN, ANNA, "Via de sportclubs; scholen werkten niet.", root_id=root["id"])
    fake.react(BRAM, root["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    text = core.repo.get_lesson(1).text
    assert "jongerenraad" in text and "Bram Peters: Hoe kregen" in text and "sportclubs" in text


def test_edit_delete_and_removed_reaction_follow_the_source(fake, mm):
    core, _, _ = mm
    post = fake.new_post(TOWN, ANNA, STORY)
    fake.react(BRAM, post["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    post.update(message="Geveltuinen in plaats van tegels, een wedstrijd tussen straten. #groen",
                edit_at=int(time.time() * 1000))
    fake.broadcast("post_edited", {"post": json.dumps(post)}, TOWN)
    fake.wait_for(lambda: "Geveltuinen" in core.repo.get_lesson(1).text)
    fake.broadcast("post_deleted", {"post": json.dumps(post)}, TOWN)
    fake.wait_for(lambda: core.repo.count_lessons() == 0)
    other = fake.new_post(TOWN, ANNA, "Taalcafé voor nieuwkomers. #taal")
    fake.react(BRAM, other["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    fake.react(BRAM, other["id"], removed=True)
    fake.wait_for(lambda: core.repo.count_lessons() == 0)


def test_mention_with_bewaar_in_a_thread_captures_the_thread(fake, mm):
    core, _, _ = mm
    root = fake.new_post(TOWN, ANNA, "Buurtkamer in vijf wijken; ouderen komen wekelijks terug. #eenzaamheid")
    fake.user_posts(TOWN, CEES, "De woningcorporatie gaf de ruimtes gratis in gebruik.", root_id=root["id"])
    fake.user_posts(TOWN, BRAM, "@leerkring bewaar", root_id=root["id"], mentions=[BOT])
    fake.wait_for(lambda: ephemeral_for(fake, BRAM))
    lesson = core.repo.get_lesson(1)
    assert "Buurtkamer" in lesson.text and lesson.contact.user_id == ANNA
    assert "De woningcorporatie gaf de ruimtes gratis" in lesson.text  # each person's reply
    assert "@leerkring" not in lesson.text and "bewaar" not in lesson.text  # not the tag itself


# -- asking ---------------------------------------------------------------------------------------
def test_mention_is_answered_in_the_thread_with_attachments(fake, mm):
    core, _, _ = mm
    seed(fake, core)
    question = fake.user_posts(TOWN, BRAM, "@leerkring Heeft een gemeente al eens een burgerbegroting geprobeerd?",
                               mentions=[BOT])
    answer = fake.wait_for(lambda: answers(fake))[0]
    assert answer["root_id"] == question["id"]
    text = everything(answer)
    assert "Zwolle" in text and "Deventer" in text and "mislukt" in text
    assert "2 gemeenten: 1 gelukt, 1 mislukt" in answer["message"]
    assert "@anna" in text  # the contact, as a mention the bot builds itself
    attachment = answer["props"]["attachments"][0]
    assert attachment["title_link"].startswith(f"{fake.url}/gemeenten/pl/")
    assert {a["integration"]["context"]["action"] for a in attachment["actions"]} >= {"helpful", "unhelpful"}


def test_direct_message_is_answered_in_the_dm_in_english(fake, mm):
    core, _, _ = mm
    seed(fake, core)
    fake.user_posts(DM_CEES, CEES, "Has a municipality tried a participatory budget (burgerbegroting)?")
    answer = fake.wait_for(lambda: [p for p in answers(fake) if p["channel_id"] == DM_CEES])[0]
    assert answer["root_id"] == "" and answer["message"].startswith("This is what I found")


def test_own_posts_and_messages_without_event_are_ignored(fake, mm):
    core, bot, _ = mm
    seed(fake, core)
    bot.adapter.handle_raw(json.dumps({"status": "OK", "seq_reply": 7}))
    bot.adapter.handle_raw("not json")
    echo = fake.user_posts(TOWN, BOT, "@leerkring burgerbegroting", mentions=[BOT])  # the server's echo
    time.sleep(0.8)
    assert [p for p in answers(fake) if p["id"] != echo["id"]] == []


def test_quoted_mentions_never_ping(fake, mm):
    core, _, _ = mm
    post = fake.new_post(TOWN, ANNA, "@all @channel @here en @bram: wijkbudget met bewoners. #wijkbudget")
    fake.react(BRAM, post["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    fake.user_posts(TOWN, CEES, "@leerkring wijkbudget", mentions=[BOT])
    text = everything(fake.wait_for(lambda: answers(fake))[0])
    for dangerous in ("@all", "@channel", "@here", "@bram"):
        assert dangerous not in text
    assert "@\u200ball" in text or "@\\u200ball" in text


def test_private_channel_lessons_stay_with_members(fake, mm):
    core, _, _ = mm
    secret = fake.new_post(ZORG, ANNA, "Vertrouwelijk: de pilot met sensoren is mislukt. #zorgtechnologie")
    fake.react(ANNA, secret["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    fake.user_posts(TOWN, BRAM, "@leerkring pilot met sensoren", mentions=[BOT])  # not a member
    first = fake.wait_for(lambda: answers(fake))[0]
    assert "Vertrouwelijk" not in everything(first)
    fake.user_posts(TOWN, ANNA, "@leerkring pilot met sensoren", mentions=[BOT])  # member, public channel
    second = fake.wait_for(lambda: answers(fake)[1:])[0]
    assert "Vertrouwelijk" not in everything(second)
    private = fake.wait_for(lambda: [e for e in ephemeral_for(fake, ANNA) if "Vertrouwelijk" in json.dumps(e)])
    assert private


def test_rate_limited_post_is_delivered_once(fake, mm):
    core, _, _ = mm
    seed(fake, core)
    fake.fail_next["POST /api/v4/posts"] = [429]
    fake.user_posts(TOWN, CEES, "@leerkring burgerbegroting", mentions=[BOT])
    fake.wait_for(lambda: answers(fake), timeout=20)
    time.sleep(1.0)
    assert len(answers(fake)) == 1
    assert len([c for c in fake.calls if c.method == "POST" and c.path == "/posts"]) == 2


# -- slash command and buttons -------------------------------------------------------------------
def test_slash_command_checks_its_token_and_answers_ephemerally(fake, mm, caplog):
    core, _, base = mm
    seed(fake, core)
    with caplog.at_level("INFO"):
        assert command(base, BRAM, "vraag burgerbegroting", token="wrong-secret")[0] == 401
    assert "wrong token rejected" in caplog.text
    assert "wrong-secret" not in caplog.text and "cmd-token" not in caplog.text and fake.token not in caplog.text
    status, body = command(base, BRAM, "vraag burgerbegroting")
    assert status == 200 and body["response_type"] == "ephemeral"
    assert "Zwolle" in json.dumps(body["props"]["attachments"])
    assert "'s-Gravenhage" in command(base, BRAM, "gemeente Den Haag")[1]["text"]
    assert "les &lt;" not in command(base, BRAM, "")[1]["text"]
    assert "/leerkring les <verhaal>" in command(base, BRAM, "help")[1]["text"]
    saved = command(base, BRAM, "les Taalcafé voor nieuwkomers in de bibliotheek. Gelukt. #taal")[1]
    assert "Bewaard als les #3" in saved["text"] and "'s-Gravenhage" in saved["text"]


def test_buttons_need_a_valid_signature(fake, mm):
    core, bot, base = mm
    seed(fake, core)
    forged = {"user_id": CEES, "channel_id": TOWN, "context": {"action": "undo", "lesson": 1, "sig": "0" * 64}}
    assert post_json(base + "/mattermost/action", forged)[0] == 403
    unsigned = {"user_id": CEES, "context": {"action": "undo", "lesson": 1}}
    assert post_json(base + "/mattermost/action", unsigned)[0] == 403
    assert core.repo.count_lessons() == 2
    zwolle = next(lesson.id for lesson in core.repo.iter_lessons() if lesson.municipality == "Zwolle")
    signed = bot.adapter.signer.sign({"action": "helpful", "lesson": zwolle, "question": None})
    status, body = post_json(base + "/mattermost/action", {"user_id": BRAM, "context": signed})
    assert status == 200 and "Dank je" in body["ephemeral_text"]
    assert core.repo.person_data("mattermost", BRAM)["feedback"][0]["helpful"] is True
    tampered = {**signed, "lesson": 999}
    assert post_json(base + "/mattermost/action", {"user_id": BRAM, "context": tampered})[0] == 403


def test_introduction_asks_the_contact_first_then_opens_a_group_channel(fake, mm):
    core, bot, base = mm
    seed(fake, core)
    zwolle = next(lesson.id for lesson in core.repo.iter_lessons() if lesson.municipality == "Zwolle")
    context = bot.adapter.signer.sign({"action": "intro", "lesson": zwolle, "question": None})
    status, body = post_json(base + "/mattermost/action", {"user_id": CEES, "context": context})
    assert status == 200 and "I have asked Anna" in body["ephemeral_text"]  # Cees reads English
    assert not [c for c in fake.channels.values() if c["type"] == "G"]  # nothing opens before Anna says yes
    asked = fake.wait_for(lambda: [p for p in fake.bot_posts() if (p.get("props") or {}).get("attachments")
                                   and "@cees" in p["message"]])[0]
    yes = asked["props"]["attachments"][0]["actions"][0]["integration"]["context"]
    status, body = post_json(base + "/mattermost/action", {"user_id": ANNA, "context": yes})
    assert status == 200 and "groepsgesprek" in body["ephemeral_text"]
    group = next(c for c in fake.channels.values() if c["type"] == "G")
    assert fake.members[group["id"]] >= {ANNA, CEES, BOT}
    intro = next(p for p in fake.bot_posts() if p["channel_id"] == group["id"])
    assert "@anna" in intro["message"] and "@cees" in intro["message"]


# -- several processes, dropped connections, other platforms --------------------------------------------
def test_two_bot_processes_on_one_database_answer_once(fake, settings):
    first_core, first, _ = start_bot(settings, fake)
    second_settings = settings.model_copy(update={"index_dir": settings.index_dir.parent / "replica"})
    second_core, second, _ = start_bot(second_settings, fake)
    try:
        fake.wait_for(lambda: fake.connections() == 2)
        seed(fake, first_core)
        fake.user_posts(TOWN, CEES, "@leerkring burgerbegroting", mentions=[BOT])
        fake.wait_for(lambda: answers(fake))
        time.sleep(1.0)
        assert len(answers(fake)) == 1
        assert len(ephemeral_for(fake, CEES)) == 2  # one confirmation per tagged lesson, not four
    finally:
        first.stop()
        second.stop()
        first_core.close()
        second_core.close()


def test_dropped_websocket_is_restored_and_events_flow_again(fake, mm):
    core, bot, _ = mm
    seed(fake, core)
    before = bot.websocket.connections
    fake.drop_websockets()
    fake.wait_for(lambda: bot.websocket.connections > before and fake.connections() == 1, timeout=20)
    fake.user_posts(TOWN, CEES, "@leerkring burgerbegroting", mentions=[BOT])
    assert fake.wait_for(lambda: answers(fake))


def test_a_server_down_for_a_while_is_logged_once_when_lost_and_once_when_back(fake, mm, caplog):
    core, bot, _ = mm
    caplog.set_level(logging.DEBUG, logger="bot.handlers.mattermost.run")
    fake.websocket_down = True
    fake.drop_websockets()
    fake.wait_for(lambda: fake.websocket_refusals >= 4, timeout=20)  # several attempts fail
    fake.websocket_down = False
    fake.wait_for(lambda: bot.websocket.connected.is_set() and fake.connections() == 1, timeout=20)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len([m for m in said if "websocket lost" in m]) == 1, said
    assert len([m for m in said if "connected again" in m]) == 1, said
    seed(fake, core)
    fake.user_posts(TOWN, CEES, "@leerkring burgerbegroting", mentions=[BOT])
    assert fake.wait_for(lambda: answers(fake))


def test_a_mattermost_lesson_is_found_from_the_console_with_its_permalink_and_contact(fake, mm):
    core, _, _ = mm
    post = fake.new_post(TOWN, ANNA, STORY)
    fake.react(BRAM, post["id"])
    fake.wait_for(lambda: core.repo.count_lessons() == 1)
    hits = core.service.ask("burgerbegroting", Asker("console", "piet", "Piet")).answer.hits
    assert hits[0].lesson.source.permalink == f"{fake.url}/gemeenten/pl/{post['id']}"
    assert hits[0].lesson.contact.name == "Anna de Vries"


# -- peer learning ---------------------------------------------------------------------------------
def direct_posts(fake: FakeMattermost, user: str) -> list[dict[str, Any]]:
    return [p for p in fake.bot_posts() if fake.channels.get(p["channel_id"], {}).get("type") == "D"
            and user in fake.members[p["channel_id"]]]


def test_an_open_question_gets_a_direct_message_when_answered(fake, mm):
    _core, _, _ = mm
    fake.user_posts(TOWN, BRAM, "@leerkring Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?",
                    mentions=[BOT])
    fake.wait_for(lambda: answers(fake))
    post = fake.new_post(TOWN, ANNA, "Deelauto's in een nieuwbouwwijk: bezoekers parkeren nu in de buurt. "
                                     "#mobiliteit\ngemeente: Houten")
    fake.react(CEES, post["id"])
    note = fake.wait_for(lambda: direct_posts(fake, BRAM))[0]
    assert "📬" in note["message"] and "Houten" in note["message"] and "@anna" in note["message"]


def test_a_contact_who_leaves_is_marked_and_can_be_handed_over(fake, mm):
    core, _, base = mm
    seed(fake, core)
    fake.users[ANNA]["delete_at"] = int(time.time() * 1000)
    fake.broadcast("user_updated", {"user": {**fake.users[ANNA], "update_at": 1}})
    ask = fake.wait_for(lambda: direct_posts(fake, CEES))[0]
    assert "contact transfer @anna" in ask["message"]  # Cees reads English
    zwolle = next(lesson for lesson in core.repo.iter_lessons() if lesson.municipality == "Zwolle")
    assert not zwolle.contact_active
    status, body = command(base, CEES, "contact transfer @anna @bram")
    assert status == 200 and "Bram Peters" in body["text"]
    assert core.repo.get_lesson(zwolle.id).contact.user_id == BRAM


def test_stats_command_uploads_a_chart_to_the_direct_channel(fake, mm):
    core, _, base = mm
    seed(fake, core)
    status, body = command(base, BRAM, "stats")
    assert status == 200 and "Lessen: 2" in body["text"]
    upload = fake.wait_for(lambda: fake.uploads)[0]
    assert upload["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    assert any(p.get("file_ids") for p in direct_posts(fake, BRAM))


def test_server_errors_for_a_while_still_deliver_each_answer_once(fake, mm):
    core, _, _ = mm
    seed(fake, core)
    fake.fail_next["POST /api/v4/posts"] = [500, 502, 503, 429, 500]
    fake.user_posts(TOWN, CEES, "@leerkring burgerbegroting", mentions=[BOT])
    fake.wait_for(lambda: answers(fake), timeout=60)
    time.sleep(1.0)
    assert len(answers(fake)) == 1
    assert len([c for c in fake.calls if c.method == "POST" and c.path == "/posts"]) == 6


def test_related_lessons_are_labelled_and_a_listing_needs_no_question(fake, mm):
    from bot.search.decision import MatchDecision

    core, _, base = mm
    seed(fake, core)
    core.engine.decision = MatchDecision(match_at=1e9, related_at=-1e9)  # close, but nothing answers
    fake.user_posts(TOWN, BRAM, "@leerkring budget voor bewoners?", mentions=[BOT])
    answer = fake.wait_for(lambda: answers(fake))[0]
    assert answer["message"].startswith("Geen directe les over “budget voor bewoners?”, wel verwant:")
    assert "Je vraag blijft open" in answer["message"] and "gelukt, 1 mislukt" not in answer["message"]
    assert len(answer["props"]["attachments"]) == 2
    status, body = command(base, BRAM, "vraag uitkomst=mislukt")
    assert status == 200 and body["text"].startswith("Lessen met uitkomst=mislukt (nieuwste eerst):")
    listed = json.dumps(body["props"]["attachments"], ensure_ascii=False)
    assert "Deventer" in listed and "Zwolle" not in listed


def test_a_saved_thread_follows_replies_added_edited_and_deleted_after_capture(fake, mm):
    core, _, _ = mm
    root = fake.new_post(TOWN, ANNA, "Buurtkamer in vijf wijken; ouderen komen wekelijks terug. #eenzaamheid")
    first = fake.user_posts(TOWN, CEES, "Wat kostte de huur van die ruimtes?", root_id=root["id"])
    fake.user_posts(TOWN, BRAM, "@leerkring bewaar", root_id=root["id"], mentions=[BOT])
    fake.wait_for(lambda: ephemeral_for(fake, BRAM))

    def story() -> str:
        return core.repo.get_lesson(1).text

    added = fake.user_posts(TOWN, ANNA, "De woningcorporatie gaf ze gratis in gebruik.", root_id=root["id"])
    fake.wait_for(lambda: "De woningcorporatie gaf ze gratis" in story())
    first.update(message="Wat kostte de huur per maand?", edit_at=int(time.time() * 1000))
    fake.broadcast("post_edited", {"post": json.dumps(first)}, TOWN)
    fake.wait_for(lambda: "Wat kostte de huur per maand?" in story())
    fake.posts.pop(added["id"])
    fake.broadcast("post_deleted", {"post": json.dumps(added)}, TOWN)
    fake.wait_for(lambda: "woningcorporatie" not in story())
    assert "Buurtkamer in vijf wijken" in story() and core.repo.count_lessons() == 1


def test_backfill_command_captures_tagged_posts_and_thread_replies_page_by_page(fake, settings):
    from click.testing import CliRunner

    from bot.cli import cli

    for n in range(430):  # three pages of 200
        post = fake.new_post(TOWN, ANNA, f"Bericht {n}: inloopspreekuur in dorp {n}. #wmo")
        if n % 50 == 0:
            fake.reactions.setdefault(post["id"], []).append(
                {"user_id": BRAM, "post_id": post["id"], "emoji_name": "bulb", "create_at": post["create_at"]})
    root = fake.new_post(TOWN, ANNA, "Wie heeft ervaring met een repaircafé in de bibliotheek?")
    reply = fake.new_post(TOWN, CEES, "Wij: vrijwilligers repareren, het afval daalde. #afval", root_id=root["id"])
    fake.reactions[reply["id"]] = [{"user_id": BRAM, "post_id": reply["id"], "emoji_name": "bulb", "create_at": 1}]
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake", "MATTERMOST_URL": fake.url,
           "MATTERMOST_TOKEN": fake.token, "LEERKRING_LANGUAGE": "en"}
    for _ in range(2):  # a second run changes nothing
        result = CliRunner().invoke(cli, ["mattermost", "backfill", "--channel", TOWN], env=env,
                                    catch_exceptions=False)
        assert "432 messages read, 10 lessons captured or updated" in result.output, result.output
    core = bootstrap(mm_settings(settings, fake), embedder=HashingEmbedder())
    texts = [lesson.text for lesson in core.repo.iter_lessons()]
    core.close()
    assert len(texts) == 10 and sum(text.startswith("Bericht ") for text in texts) == 9
    assert any(text.startswith("Wij: vrijwilligers repareren") for text in texts)
    pages = [c for c in fake.calls if c.path == f"/channels/{TOWN}/posts"]
    assert len(pages) == 6  # three pages per run
    assert not fake.bot_posts() and not fake.ephemeral  # a backfill confirms nothing in the channels it reads


def dialog_submission(fake: FakeMattermost, user: str, values: dict[str, str]) -> dict[str, Any]:
    opened = fake.dialogs[-1]
    return {"type": "dialog_submission", "callback_id": opened["dialog"]["callback_id"],
            "state": opened["dialog"]["state"], "user_id": user, "channel_id": TOWN, "team_id": TEAM,
            "submission": values, "cancelled": False}


def test_the_lesson_form_saves_a_new_lesson_and_the_edit_button_changes_it(fake, mm):
    core, bot, base = mm
    body = urlencode({"channel_id": TOWN, "team_id": TEAM, "text": "les", "token": "cmd-token", "user_id": ANNA,
                      "trigger_id": fake.issue_trigger(), "command": "/leerkring"}).encode()
    request = urllib.request.Request(base + "/mattermost/command", data=body,
                                     headers={"Authorization": "Token cmd-token"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    dialog = fake.dialogs[-1]
    assert dialog["url"] == bot.adapter.dialog_url and dialog["dialog"]["title"] == "Bewaar als les"
    names = [e["name"] for e in dialog["dialog"]["elements"]]
    assert names == ["text", "municipality", "themes", "outcome", "why", "conditions", "learned", "contact"]

    empty = dialog_submission(fake, ANNA, {"text": "  "})
    status, answer = post_json(base + "/mattermost/dialog", empty)
    assert status == 200 and "text" in answer["errors"] and core.repo.count_lessons() == 0
    someone_else = dialog_submission(fake, BRAM, {"text": "Een verhaal van een ander."})
    assert post_json(base + "/mattermost/dialog", someone_else)[0] == 403  # the form was opened for Anna
    values = {"text": "Wijkbudget via loting van een bewonersjury.", "municipality": "Utrecht",
              "themes": "wijkbudget, loting", "outcome": "mixed", "learned": "Toetsing vooraf regelen.",
              "why": "de jury voelde zich serieus genomen", "conditions": "een raad die meedoet", "contact": BRAM}
    status, answer = post_json(base + "/mattermost/dialog", dialog_submission(fake, ANNA, values))
    assert status == 200 and answer == {}
    lesson = core.repo.get_lesson(1)
    assert (lesson.municipality, lesson.themes, lesson.outcome.value, lesson.learned) == (
        "Utrecht", ["wijkbudget", "loting"], "mixed", "Toetsing vooraf regelen.")
    assert (lesson.why, lesson.conditions) == ("de jury voelde zich serieus genomen", "een raad die meedoet")
    assert lesson.contact.user_id == BRAM and lesson.source.channel_id == TOWN
    confirmation = fake.wait_for(lambda: ephemeral_for(fake, ANNA))[-1]
    edit_button = next(a for a in confirmation["post"]["props"]["attachments"][0]["actions"] if a["id"] == "edit")

    context = edit_button["integration"]["context"]
    status, _ = post_json(base + "/mattermost/action", {"user_id": CEES, "context": context,
                                                         "trigger_id": fake.issue_trigger()})
    assert len(fake.dialogs) == 1  # Cees neither saved the lesson nor is its contact: no form
    post_json(base + "/mattermost/action", {"user_id": ANNA, "context": context, "trigger_id": fake.issue_trigger()})
    edit_form = fake.dialogs[-1]["dialog"]
    defaults = {e["name"]: e.get("default") for e in edit_form["elements"]}
    assert edit_form["title"] == "Les bewerken" and defaults["municipality"] == "Utrecht"
    assert defaults["outcome"] == "mixed" and defaults["contact"] == BRAM
    status, _ = post_json(base + "/mattermost/dialog",
                          dialog_submission(fake, ANNA, {**values, "outcome": "worked", "themes": "wijkbudget"}))
    edited = core.repo.get_lesson(1)
    assert status == 200 and edited.outcome.value == "worked" and edited.themes == ["wijkbudget"]
    assert core.repo.count_lessons() == 1 and edited.edited_by_form


def test_backfill_of_a_channel_the_bot_is_not_in_says_how_to_fix_it(fake, settings):
    from click.testing import CliRunner

    from bot.cli import cli

    fake.add_channel("closed000000000000000000000", "closed", "P", [ANNA], bot=False)
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake", "MATTERMOST_URL": fake.url,
           "MATTERMOST_TOKEN": fake.token}
    result = CliRunner().invoke(cli, ["mattermost", "backfill", "--channel", "closed000000000000000000000"], env=env)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "geen lid van kanaal closed000000000000000000000" in result.output and "/invite @leerkring" in result.output


def test_other_emojis_are_ignored_and_the_capture_emoji_is_configurable(fake, settings):
    for emojis, ignored, captured in ((None, "tada", "bookmark"), ("les,idee", "bulb", "idee")):
        update = {"mattermost_capture_emojis": emojis} if emojis else {}
        core = bootstrap(mm_settings(settings, fake).model_copy(update=update), embedder=HashingEmbedder())
        bot = MattermostBot(core, reconnect_base=0.05)
        bot.start_websocket()
        try:
            assert bot.websocket.connected.wait(10)
            skipped = fake.new_post(TOWN, ANNA, f"Een verhaal met {ignored}: niet bewaren. #test")
            kept = fake.new_post(TOWN, ANNA, f"Een verhaal met {captured}: wel bewaren. #test")
            fake.react(BRAM, skipped["id"], ignored)
            fake.react(BRAM, kept["id"], captured)
            fake.wait_for(lambda core=core, kept=kept: core.repo.find_by_source("mattermost", TEAM, TOWN, kept["id"]))
            time.sleep(0.3)  # the other reaction had as long to be handled
            assert core.repo.find_by_source("mattermost", TEAM, TOWN, skipped["id"]) is None
        finally:
            bot.stop()
            core.close()


def test_a_one_line_lesson_with_fields_is_stored_field_by_field(fake, mm):
    core, _, base = mm
    status, _ = command(base, ANNA, "les Parkeervergunningen digitaal aangevraagd, wachttijd van weken naar "
                                    "minuten. gemeente: Zwolle uitkomst: gelukt contact: Piet de Vries #parkeren")
    lesson = core.repo.get_lesson(1)
    assert status == 200 and (lesson.municipality, lesson.outcome.value, lesson.contact.name, lesson.themes) == (
        "Zwolle", "worked", "Piet de Vries", ["parkeren"])
    assert lesson.text.startswith("Parkeervergunningen digitaal") and "gemeente" not in lesson.text
    status, body = command(base, ANNA, "les #parkeren")
    assert status == 200 and core.repo.count_lessons() == 1 and "geen tekst" in body["text"]
