"""Microsoft Teams as Teams behaves: the real Teams SDK against the loopback Bot Framework connector, token
service and signing keys (tests/fakes/teams_server.py). What is Teams' own: signed activities (a bad token
gets 401 and does nothing), retried and duplicated activities, throttling and server errors, the message
action and its dialog, targeted replies, personal chats, the app package. The flows every platform shares
run on Teams in test_flows.py; the permission matrices in test_permissions.py and test_privacy_surfaces.py."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from platforms import ANNA, BRAM, CEES, PRIVATE, PUBLIC, platforms, wait_for

pytest.importorskip("microsoft_teams.apps")

STORY = ("Burgerbegroting in drie wijken: bewoners verdeelden 150.000 euro. Het is gelukt. #burgerbegroting\n"
         "gemeente: Zwolle")


def lessons(chat):  # type: ignore[no-untyped-def]
    return list(chat.core.repo.iter_lessons())


def mention(chat, user: str, text: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """A message mentioning the bot, posted in the public channel but not yet delivered: the activity."""
    fake = chat.fake
    message = fake.post(chat.ids[user], chat.ids[PUBLIC], text, mention_bot=True, deliver=False)
    activity = fake.activity(chat.ids[user], chat.ids[PUBLIC], type="message", id=message["id"],
                             text=message["text"], entities=message["entities"])
    activity["conversation"]["id"] = f"{chat.ids[PUBLIC]};messageid={message['id']}"
    return activity


@platforms("teams")
@pytest.mark.parametrize("tamper", ["signature", "expired", "audience", "issuer", "none"])
def test_an_activity_without_teams_valid_signature_is_refused_and_does_nothing(chat, tamper) -> None:  # type: ignore[no-untyped-def]
    fake = chat.fake
    activity = mention(chat, ANNA, "help")
    status, _ = fake.deliver(activity, tamper="" if tamper == "none" else tamper, token=tamper != "none")
    assert status == 401
    assert not chat.private(ANNA) and not chat.public(PUBLIC)
    status, _ = fake.deliver(activity)  # the same activity, signed as Teams signs it
    assert status == 200
    assert wait_for(lambda: [p for p in chat.private(ANNA) if "@Leerkring" in p])  # the help names the mention


@platforms("teams")
def test_throttling_and_server_errors_are_retried_and_a_duplicate_activity_is_answered_once(chat) -> None:  # type: ignore[no-untyped-def]
    chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    wait_for(lambda: lessons(chat))
    fake = chat.fake
    fake.failures += [(429, {"Retry-After": "0"}), (503, {}), (502, {})]
    activity = mention(chat, BRAM, "Heeft een gemeente een burgerbegroting geprobeerd?")
    question = {"id": activity["id"]}
    assert fake.deliver(activity)[0] == 200
    assert fake.deliver(activity)[0] == 200  # Teams retries an activity it had no answer to in time
    answer = wait_for(lambda: chat.public(PUBLIC, thread=question["id"]))
    assert "Zwolle" in answer[0] and "Burgerbegroting" in answer[0]
    statuses = [status for method, path, status in fake.calls if method == "POST" and "/activities" in path]
    assert statuses[-4:] == [429, 503, 502, 201]
    assert len(chat.public(PUBLIC, thread=question["id"])) == 1


@platforms("teams")
def test_the_message_action_opens_the_form_filled_in_and_the_lesson_follows_its_message(chat) -> None:  # type: ignore[no-untyped-def]
    message = chat.say(ANNA, PUBLIC, STORY + "\nwaarom: bewoners kozen zelf")
    chat.tag(BRAM, PUBLIC, message)
    lesson = wait_for(lambda: lessons(chat))[0]
    assert (lesson.municipality, lesson.outcome.value, lesson.why) == ("Zwolle", "worked", "bewoners kozen zelf")
    assert lesson.contact.user_id == chat.ids[ANNA] and lesson.source.permalink.startswith(
        "https://teams.microsoft.com/l/message/")
    dialog = [json.loads(p) for p in chat.private(BRAM) if p.startswith("{")]
    assert dialog and dialog[0]["task"]["type"] == "message" and "#1" in dialog[0]["task"]["value"]
    chat.edit(PUBLIC, message, "Geveltuinen in plaats van tegels, een wedstrijd tussen straten. #groen")
    wait_for(lambda: "Geveltuinen" in lessons(chat)[0].text)
    chat.delete(PUBLIC, message)
    wait_for(lambda: not lessons(chat))


@platforms("teams")
def test_a_story_rewritten_in_the_form_stays_as_written_and_the_edit_button_opens_it_again(chat) -> None:  # type: ignore[no-untyped-def]
    fake = chat.fake
    message = chat.say(ANNA, PUBLIC, STORY)
    payload = chat._payload(PUBLIC, message)
    value = {"commandId": "bewaar", "commandContext": "message", "messagePayload": payload}
    _, body = fake.deliver(fake.activity(chat.ids[BRAM], chat.ids[PUBLIC], type="invoke",
                                         name="composeExtension/fetchTask", value=value))
    form = body["task"]["value"]["card"]["content"]
    fields = {e["id"]: e for e in form["body"] if e["type"].startswith("Input.")}
    assert fields["municipality"]["value"] == "Zwolle" and fields["outcome"]["value"] == "worked"
    assert fields["text"]["isRequired"] and "#burgerbegroting" in fields["text"]["value"]
    data = {**{k: e.get("value", "") for k, e in fields.items()}, **form["actions"][0]["data"]}
    status, body = fake.deliver(fake.activity(chat.ids[BRAM], chat.ids[PUBLIC], type="invoke",
                                              name="composeExtension/submitAction",
                                              value={**value, "data": {**data, "text": " "}}))
    assert status == 200 and "geen tekst" in body["task"]["value"] and not lessons(chat)  # nothing to keep
    data["text"] = "Burgerbegroting, in onze woorden: drie wijken, 150.000 euro, veel jonge deelnemers."
    fake.deliver(fake.activity(chat.ids[BRAM], chat.ids[PUBLIC], type="invoke",
                               name="composeExtension/submitAction", value={**value, "data": data}))
    lesson = wait_for(lambda: lessons(chat))[0]
    assert lesson.edited_by_form and "in onze woorden" in lesson.text
    chat.edit(PUBLIC, message, "Iets heel anders. #anders")  # the rewritten story is Bram's own now
    chat.say(ANNA, PUBLIC, "Nog een bericht, zodat de wijziging zeker verwerkt is.")
    assert "in onze woorden" in lessons(chat)[0].text
    edit = next(a for _, card in chat._cards_for(BRAM) for a in card.get("actions") or []
                if a["data"].get("leerkring") == "edit")
    assert edit["data"]["msteams"] == {"type": "task/fetch"}  # Teams opens a dialog for it, asking the bot
    _, body = fake.deliver(fake.activity(chat.ids[BRAM], chat.ids[PUBLIC], type="invoke", name="task/fetch",
                                         value={"data": edit["data"]}))
    refilled = {e["id"]: e.get("value") for e in body["task"]["value"]["card"]["content"]["body"]
                if e["type"].startswith("Input.")}
    assert "in onze woorden" in refilled["text"] and refilled["municipality"] == "Zwolle"
    undo = next(a for _, card in chat._cards_for(BRAM) for a in card.get("actions") or []
                if a["data"].get("leerkring") == "undo")
    chat._press(BRAM, chat.ids[PUBLIC], undo["data"])
    wait_for(lambda: not lessons(chat))
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "is verwijderd" in p])


@platforms("teams")
def test_a_mention_with_bewaar_in_a_reply_chain_saves_the_whole_thread(chat) -> None:  # type: ignore[no-untyped-def]
    root = chat.say(ANNA, PUBLIC, "Wij probeerden een jongerenraad in Deventer. #jongeren")
    chat.say(BRAM, PUBLIC, "Hoe kregen jullie de jongeren binnen?", thread=root)
    chat.say(ANNA, PUBLIC, "Via de sportclubs; scholen werkten niet.", thread=root)
    chat.ask(BRAM, PUBLIC, "bewaar", thread=root)
    lesson = wait_for(lambda: lessons(chat))[0]
    assert "Bram Peters: Hoe kregen" in lesson.text and "sportclubs" in lesson.text and "bewaar" not in lesson.text
    assert lesson.municipality == "Deventer"
    told = wait_for(lambda: [p for p in chat.private(BRAM) if "Bewaard als les #1" in p])
    assert told and not chat.private(ANNA)
    targeted = [m for m in chat.fake.messages[chat.ids[PUBLIC]] if m.get("targeted")]
    assert targeted and all(m["targeted"] == chat.ids[BRAM] and m["root"] == root for m in targeted)


@platforms("teams")
def test_a_question_in_the_personal_chat_is_answered_there_with_private_lessons_for_their_member(chat) -> None:  # type: ignore[no-untyped-def]
    chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    chat.tag(ANNA, PRIVATE, chat.say(ANNA, PRIVATE, "Zorgrobots in de thuiszorg: cliënten wilden ze niet. "
                                                    "#zorg\ngemeente: Deventer"))
    wait_for(lambda: len(lessons(chat)) == 2)
    fake = chat.fake
    for user in (ANNA, CEES):
        chat.direct(user)
        personal = f"a:personal-{chat.ids[user].split(':')[-1]}"
        fake.conversations.setdefault(personal, {"type": "personal", "name": "", "tenant": chat.team,
                                                 "members": {chat.ids[user], chat.bot}})
        fake.messages.setdefault(personal, [])
        fake.post(chat.ids[user], personal, "Zijn er lessen over burgerbegroting of zorgrobots?")
    anna = wait_for(lambda: [m for m in chat.direct(ANNA) if "Burgerbegroting" in m])
    assert any("Zorgrobots" in m for m in chat.direct(ANNA))  # asked in a DM: her private lesson there too
    cees = wait_for(lambda: [m for m in chat.direct(CEES) if "Burgerbegroting" in m])
    assert anna and cees and not any("Zorgrobots" in m for m in chat.direct(CEES))
    assert "worked" in cees[-1] or "gelukt" in cees[-1]


@platforms("teams")
def test_an_introduction_on_teams_is_a_personal_message_to_each_after_the_contact_says_yes(chat) -> None:  # type: ignore[no-untyped-def]
    chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    lesson = wait_for(lambda: lessons(chat))[0]
    chat.introduce(CEES, lesson.id)
    assert wait_for(lambda: [p for p in chat.private(CEES) if "I have asked Anna" in p])
    request = wait_for(lambda: [m for m in chat.direct(ANNA) if "wil je graag spreken" in m])[0]
    assert chat.handle(CEES) in request
    chat.choose(ANNA, "Ja, graag")
    introduced = wait_for(lambda: [m for m in chat.direct(CEES) if "would like to talk" in m])  # Cees: English
    assert "Anna de Vries" in introduced[0] and "start the chat with Anna de Vries" in introduced[0]
    both = wait_for(lambda: [m for m in chat.direct(ANNA) + chat.direct(CEES) if "#1" in m and m != request
                             and chat.handle(ANNA) in m and chat.handle(CEES) in m])
    assert len(both) == 2  # the introduction itself, in each one's personal chat, mentioning both
    assert not chat.fake.refused
    assert chat.core.repo.introduction_counts()["accepted"] == 1


@platforms("teams")
def test_follow_ups_reach_people_after_a_restart(chat) -> None:  # type: ignore[no-untyped-def]
    """How to reach a person is kept in the database: a new process sends their notice."""
    chat.ask(CEES, PUBLIC, "Heeft iemand ervaring met deelauto's in een nieuwbouwwijk?")
    wait_for(lambda: chat.core.repo.open_questions())
    chat.bot_process.stop()
    from bot.handlers.teams.run import TeamsBot

    chat.bot_process = TeamsBot(chat.core, retry_base=0.01)  # a new process on the same database
    chat.fake.bot_url = f"http://127.0.0.1:{chat.bot_process.start('127.0.0.1', 0)}/api/messages"
    chat.tag(ANNA, PUBLIC, chat.say(ANNA, PUBLIC, "Deelauto's in een nieuwbouwwijk: bewoners delen twaalf "
                                                  "auto's. #mobiliteit\ngemeente: Houten"))
    told = wait_for(lambda: chat.direct(CEES), timeout=30)
    assert "Houten" in told[0] and chat.handle(ANNA) in told[0]


def test_the_app_package_has_the_bot_the_message_action_and_what_teams_needs(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from bot.cli import cli

    env = {"TEAMS_APP_ID": "11111111-2222-4333-8444-555555555555", "TEAMS_PUBLIC_URL": "https://leerkring.example.nl",
           "LEERKRING_DATA_DIR": str(tmp_path), "LEERKRING_EMBEDDER": "fake"}
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(cli, ["teams", "manifest", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "Teams-beheercentrum" in result.output or "Teams admin center" in result.output
    from PIL import Image

    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "en.json", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        english = json.loads(package.read("en.json"))
        sizes = {name: Image.open(io.BytesIO(package.read(name))).size for name in ("color.png", "outline.png")}
    app_id = env["TEAMS_APP_ID"]
    assert sizes == {"color.png": (192, 192), "outline.png": (32, 32)}
    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    action = manifest["composeExtensions"][0]["commands"][0]
    assert (action["type"], action["context"], action["fetchTask"], action["title"]) == (
        "action", ["message"], True, "Bewaar als les")
    assert {p["name"] for p in manifest["authorization"]["permissions"]["resourceSpecific"]} == {
        "ChannelMessage.Read.Group", "ChatMessage.Read.Chat"}
    assert manifest["validDomains"] == ["leerkring.example.nl"] and manifest["webApplicationInfo"]["id"] == app_id
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["name"]["short"]) <= 30
    assert "${" not in json.dumps(manifest) and manifest["localizationInfo"]["defaultLanguageTag"] == "nl-nl"
    assert english["composeExtensions[0].commands[0].title"] == "Save as lesson"
    assert len(english["description.short"]) <= 80
    missing = CliRunner().invoke(cli, ["teams", "manifest", "-o", str(out)], env={**env, "TEAMS_APP_ID": ""})
    assert missing.exit_code != 0 and "TEAMS_APP_ID" in missing.output


def test_a_wrong_app_password_is_told_before_anything_loads(settings) -> None:  # type: ignore[no-untyped-def]
    from fakes.teams_server import FakeTeams
    from pydantic import SecretStr

    from bot.errors import ConfigurationError
    from bot.handlers.teams.run import preflight

    fake = FakeTeams()
    fake.start()
    try:
        good = settings.model_copy(update=fake.settings)
        preflight(good)
        assert fake.tokens_issued == 1
        with pytest.raises(ConfigurationError) as refused:
            preflight(good.model_copy(update={"teams_app_password": SecretStr("fout")}))
        assert refused.value.key == "config.teams_login"
        with pytest.raises(ConfigurationError):
            preflight(good.model_copy(update={"teams_app_password": None}))
    finally:
        fake.stop()


@platforms("teams")
def test_two_organisations_share_public_lessons_until_one_keeps_them_in(chat) -> None:  # type: ignore[no-untyped-def]
    """Every Teams organisation (tenant) is a workspace: a public lesson from one answers the other, its
    contact named with their municipality (a mention cannot cross organisations); its admin can keep the
    organisation's lessons in."""
    fake, west = chat.fake, "19:west@thread.tacv2"
    fake.add_user("29:erik", "Erik Bos", tenant="tenant-west")
    fake.add_channel(west, "west", ["29:erik"], tenant="tenant-west", team="19:team-west@thread.tacv2",
                     team_name="Gemeenten West")
    chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, STORY))
    wait_for(lambda: lessons(chat))
    asked = fake.post("29:erik", west, "Heeft een gemeente een burgerbegroting geprobeerd?", mention_bot=True)
    answer = wait_for(lambda: chat.public_in(west, asked["id"]))[0]
    assert "Zwolle" in answer and "Anna de Vries (Zwolle)" in answer and "<at>Anna de Vries</at>" not in answer
    chat.command(BRAM, PUBLIC, "werkruimte delen uit")  # Bram administers nothing: refused
    assert wait_for(lambda: [p for p in chat.private(BRAM) if "beheerder" in p.lower() or "admin" in p.lower()])
    chat.command(ANNA, PUBLIC, "werkruimte delen uit")  # Anna is in TEAMS_ADMINS
    wait_for(lambda: chat.core.repo.unshared_workspaces())
    again = fake.post("29:erik", west, "Heeft een gemeente een burgerbegroting geprobeerd?", mention_bot=True)
    answer = wait_for(lambda: chat.public_in(west, again["id"]))[0]
    assert "Zwolle" not in answer and "Burgerbegroting" not in answer
    mine = chat.ask(BRAM, PUBLIC, "Heeft een gemeente een burgerbegroting geprobeerd?")  # at home it still answers
    assert "Zwolle" in wait_for(lambda: chat.public(PUBLIC, thread=mine))[0]


@platforms("teams")
def test_forget_me_on_teams_shows_and_erases_how_the_bot_reaches_someone(chat) -> None:  # type: ignore[no-untyped-def]
    chat.command(CEES, PUBLIC, "help")
    wait_for(lambda: chat.private(CEES))
    held = chat.core.repo.person_data("teams", chat.ids[CEES])["how_reached"]
    assert held["name"] == "Cees Jansen" and held["detail"]["locale"] == "en-US"
    chat.core.repo.forget_person("teams", chat.ids[CEES])
    assert chat.core.repo.person_data("teams", chat.ids[CEES])["how_reached"] is None
