"""The permission matrix on both platforms: public, private and DM lessons × asker inside or outside the
lesson's channel × asked in a public channel, another private channel or a DM. Membership is checked
through the real Slack and Mattermost clients against the loopback fakes. Zero leaks allowed."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fakes.mattermost_server import FakeMattermost
from fakes.slack_server import FakeSlack

from bot.bootstrap import bootstrap
from bot.model import Asker, PersonRef, Source, Visibility
from bot.search.embedder import HashingEmbedder
from bot.service import CaptureRequest

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
    core.service.access = gateway
    channels = {Visibility.PUBLIC: "CPUB", Visibility.PRIVATE: "GLES", Visibility.DM: "DANNA"}
    return core, fake, channels, gateway


@pytest.mark.parametrize("platform", ["slack", "mattermost"])
def test_permission_matrix_has_no_leaks(platform, settings):
    core, fake, channels, _ = world(platform, settings)
    try:
        anna = PersonRef(platform, "anna", "Anna")
        for visibility, word in LESSONS.items():
            core.service.capture(CaptureRequest(
                text=f"Pilot met sensoren, {word} gedeeld. #zorgtechnologie",
                source=Source(platform, "T", channels[visibility], word, visibility, f"m-{word}"),
                author=anna, captured_by=anna))
        asked_in = {Visibility.PUBLIC: "CPUB", Visibility.PRIVATE: "GOTHER", Visibility.DM: "DASK"}
        leaks = []
        for (lesson_kind, word), inside, where in itertools.product(LESSONS.items(), (True, False), WHERE):
            user = "anna" if inside else "bram"
            result = core.service.ask("pilot met sensoren zorgtechnologie",
                                      Asker(platform, user, user, asked_in[where], where, "", "T"), record=False)
            shown = {h.lesson.source.channel_name for h in result.answer.hits}
            private = {h.lesson.source.channel_name for h in result.private_hits}
            in_channel = word in shown
            to_asker_only = word in private
            if lesson_kind is Visibility.PUBLIC:
                expected = (True, False)
            elif not inside:
                expected = (False, False)
            elif where is Visibility.DM:
                expected = (True, False)
            else:
                expected = (False, True)
            if (in_channel, to_asker_only) != expected:
                leaks.append((lesson_kind.value, inside, where.value, (in_channel, to_asker_only), expected))
        assert leaks == []
    finally:
        fake.stop()
        core.close()
