"""A small world on a loopback fake Slack, Mattermost or Teams: anna is in every channel a lesson comes from, bram in
none of them; both share a public channel, another private channel and a DM. Membership is checked through
the real platform client against the fake, as in production."""

from __future__ import annotations

from typing import Any

from fakes.mattermost_server import FakeMattermost
from fakes.slack_server import FakeSlack

from bot.bootstrap import bootstrap
from bot.model import Visibility
from bot.search.embedder import HashingEmbedder

LESSONS = {Visibility.PUBLIC: "openbaar", Visibility.PRIVATE: "besloten", Visibility.DM: "direct"}
WHERE = [Visibility.PUBLIC, Visibility.PRIVATE, Visibility.DM]


def world(platform: str, settings: Any) -> tuple[Any, Any, dict[Any, str], Any]:
    """(core, fake server, channel per kind of place, stop) with anna inside every lesson channel, bram outside."""
    core = bootstrap(settings, embedder=HashingEmbedder())
    if platform == "slack":
        from bot.handlers.slack.gateway import SlackGateway
        from bot.handlers.slack.run import web_client

        fake = FakeSlack().start()
        fake.add_channel("CPUB", "algemeen", ["anna", "bram"])
        fake.add_channel("GLES", "les-besloten", ["anna"], private=True)
        fake.add_channel("DANNA", "", ["anna"], im=True)
        fake.add_channel("GOTHER", "ander-besloten", ["anna", "bram"], private=True)
        fake.add_channel("DASK", "", ["anna", "bram"], im=True)
        gateway = SlackGateway(web_client(settings.model_copy(update={"slack_api_url": fake.base_url}),
                                          token="xoxb-test"))
    elif platform == "teams":
        from fakes.teams_server import BOT, FakeTeams

        from bot.handlers.teams.run import TeamsBot

        fake = FakeTeams()
        for user in ("anna", "bram"):
            fake.add_user(user, user.title())
        fake.add_channel("CPUB", "algemeen", ["anna", "bram"])
        fake.add_channel("GLES", "les-besloten", ["anna"], kind="private")
        fake.add_group_chat("DANNA", ["anna"])
        fake.add_channel("GOTHER", "ander-besloten", ["anna", "bram"], kind="private")
        fake.add_group_chat("DASK", ["anna", "bram"])
        fake.start()
        core.close()
        core = bootstrap(settings.model_copy(update=fake.settings), embedder=HashingEmbedder())
        bot = TeamsBot(core, retry_base=0.01)
        fake.bot_url = f"http://127.0.0.1:{bot.start('127.0.0.1', 0)}/api/messages"
        for conversation in ("CPUB", "GLES", "DANNA", "GOTHER", "DASK"):  # the bot is added: Teams says so
            fake.deliver(fake.activity("anna", conversation, type="conversationUpdate", membersAdded=[{"id": BOT}]))
        fake.stop = _stopping(bot, fake.stop)  # type: ignore[method-assign]
        gateway = bot.adapter
    else:
        from mattermostautodriver import TypedDriver

        from bot.handlers.mattermost.gateway import MattermostGateway, driver_options

        fake = FakeMattermost().start()
        for user in ("anna", "bram"):
            fake.add_user(user, user)
        fake.add_channel("CPUB", "algemeen", "O", ["anna", "bram"])
        fake.add_channel("GLES", "les-besloten", "P", ["anna"])
        fake.add_channel("DANNA", "", "D", ["anna"])
        fake.add_channel("GOTHER", "ander-besloten", "P", ["anna", "bram"])
        fake.add_channel("DASK", "", "D", ["anna", "bram"])
        driver = TypedDriver(driver_options(fake.url, fake.token))
        driver.login()
        gateway = MattermostGateway(driver, fake.url)
    core.service.allow(platform, gateway)
    return core, fake, LESSON_CHANNELS, gateway


def _stopping(bot: Any, stop_fake: Any) -> Any:
    def stop() -> None:
        bot.stop()
        stop_fake()
    return stop


# where each kind of lesson comes from, and where each kind of question is asked
LESSON_CHANNELS = {Visibility.PUBLIC: "CPUB", Visibility.PRIVATE: "GLES", Visibility.DM: "DANNA"}
ASKED_IN = {Visibility.PUBLIC: "CPUB", Visibility.PRIVATE: "GOTHER", Visibility.DM: "DASK"}
