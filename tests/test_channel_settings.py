"""A channel's members choose for their channel, with `/leerkring kanaal …` (the console: `/kanaal …`): whether
its messages are saved as lessons, whether answers go in a thread or at the top level, and the language of
the bot's replies there. Proved on Slack and Mattermost through the real clients against the loopback fakes,
and in the console."""

from __future__ import annotations

from platforms import ANNA, BRAM, PRIVATE, PUBLIC, platforms, wait_for

STORY = "Burgerbegroting in drie wijken: zonder begeleiding deden alleen de gebruikelijke bewoners mee. #participatie"


def save(chat, user: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """A member saves a message of the channel: an emoji on it, or in the console `/les`."""
    message = chat.say(user, PUBLIC, text)
    if chat.threads:
        chat.tag(user, PUBLIC, message)


@platforms("slack", "mattermost", "teams", "console")
def test_members_switch_saving_off_and_on_for_their_channel(chat) -> None:  # type: ignore[no-untyped-def]
    chat.command(ANNA, PUBLIC, "kanaal bewaren uit")
    assert wait_for(lambda: [m for m in chat.public(PUBLIC) if "anna" in m.lower() and "wijzigde de instellingen" in m
                             and "lessen bewaren uit" in m])
    save(chat, BRAM, STORY)
    assert wait_for(lambda: [m for m in chat.private(BRAM) if "worden geen lessen bewaard" in m])
    assert chat.core.repo.count_lessons() == 0
    chat.command(ANNA, PRIVATE, "kanaal")  # another channel keeps its own settings
    assert wait_for(lambda: [m for m in chat.private(ANNA) if "lessen bewaren aan" in m])
    chat.command(BRAM, PUBLIC, "kanaal bewaren aan")
    wait_for(lambda: chat.core.repo.channel_settings(chat.name, chat.ids[PUBLIC]).capture)
    save(chat, BRAM, STORY + " Nog eens.")
    assert wait_for(lambda: chat.core.repo.count_lessons() == 1)


@platforms("slack", "mattermost", "teams")
def test_answers_at_the_top_level_when_the_channel_chose_so(chat) -> None:  # type: ignore[no-untyped-def]
    save(chat, ANNA, STORY)
    wait_for(lambda: chat.core.repo.count_lessons() == 1)
    chat.command(ANNA, PUBLIC, "kanaal antwoorden kanaal")
    wait_for(lambda: [m for m in chat.top_level(PUBLIC) if "wijzigde de instellingen" in m])
    before = len(chat.top_level(PUBLIC))
    chat.ask(BRAM, PUBLIC, "Heeft een gemeente al eens een burgerbegroting geprobeerd?")
    assert wait_for(lambda: [m for m in chat.top_level(PUBLIC)[before:] if "Burgerbegroting" in m])
    chat.command(ANNA, PUBLIC, "channel answers thread")
    wait_for(lambda: chat.core.repo.channel_settings(chat.name, chat.ids[PUBLIC]).threads)
    question = chat.ask(BRAM, PUBLIC, "Heeft iemand een burgerbegroting in wijken gehouden?")
    assert wait_for(lambda: [m for m in chat.public(PUBLIC, thread=question) if "Burgerbegroting" in m])


@platforms("slack", "mattermost", "teams", "console")
def test_the_channel_s_language_when_the_question_gives_no_clue(chat) -> None:  # type: ignore[no-untyped-def]
    chat.command(ANNA, PUBLIC, "kanaal taal en")
    wait_for(lambda: [m for m in chat.public(PUBLIC) if "taal Engels" in m])
    chat.ask(BRAM, PUBLIC, "zwerfafval?")
    assert wait_for(lambda: [m for m in chat.public(PUBLIC) if "zwerfafval" in m and "found a lesson" in m])
    chat.ask(BRAM, PUBLIC, "Heeft een gemeente al eens iets gedaan tegen zwerfafval bij evenementen?")
    assert wait_for(lambda: [m for m in chat.public(PUBLIC) if "evenementen" in m and "nog geen les" in m])


@platforms("slack", "console")
def test_settings_belong_to_a_channel_and_are_typed_correctly(chat) -> None:  # type: ignore[no-untyped-def]
    chat.command(ANNA, PUBLIC, "kanaal bewaren misschien")
    assert wait_for(lambda: [m for m in chat.private(ANNA) if "kanaal bewaren aan|uit" in m])
    assert chat.core.repo.channel_settings(chat.name, chat.ids[PUBLIC]).capture
