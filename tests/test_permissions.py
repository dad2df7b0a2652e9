"""The permission matrix on both platforms: public, private and DM lessons × asker inside or outside the
lesson's channel × asked in a public channel, another private channel or a DM. Membership is checked
through the real Slack and Mattermost clients against the loopback fakes. Zero leaks allowed."""

from __future__ import annotations

import itertools

import pytest
from worlds import ASKED_IN, LESSONS, WHERE, world

from bot.model import Asker, PersonRef, Source, Visibility
from bot.service import CaptureRequest


@pytest.mark.parametrize("platform", ["slack", "mattermost", "teams"])
def test_permission_matrix_has_no_leaks(platform, settings):
    core, fake, channels, _ = world(platform, settings)
    try:
        anna = PersonRef(platform, "anna", "Anna")
        for visibility, word in LESSONS.items():
            core.service.capture(CaptureRequest(
                text=f"Pilot met sensoren, {word} gedeeld. #zorgtechnologie",
                source=Source(platform, "T", channels[visibility], word, visibility, f"m-{word}"),
                author=anna, captured_by=anna))
        leaks = []
        for (lesson_kind, word), inside, where in itertools.product(LESSONS.items(), (True, False), WHERE):
            user = "anna" if inside else "bram"
            result = core.service.ask("pilot met sensoren zorgtechnologie",
                                      Asker(platform, user, user, ASKED_IN[where], where, "", "T"), record=False)
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
