"""Each platform installs and runs with its own extra alone: the other platform's SDK is made unimportable
in a fresh interpreter, and the bot is started against its loopback fake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fakes.mattermost_server import FakeMattermost

BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked for this test: " + name)
sys.meta_path.insert(0, Block())
from bot.cli import main
sys.argv = ["leerkring", *sys.argv[1:]]
main()
"""


def leerkring(blocked: set[str], args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", BLOCK.format(blocked=blocked), *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env}, cwd=Path(__file__).parent.parent)


def base_env(settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
            "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake", "LEERKRING_LANGUAGE": "en"}


def test_mattermost_runs_without_the_slack_sdk(settings):
    fake = FakeMattermost()
    fake.add_channel("town000000000000000000000", "town", "O", [])
    fake.start()
    try:
        result = leerkring({"slack_bolt", "slack_sdk"}, ["mattermost", "backfill", "--channel",
                                                        "town000000000000000000000"],
                           {**base_env(settings), "MATTERMOST_URL": fake.url, "MATTERMOST_TOKEN": fake.token})
    finally:
        fake.stop()
    assert result.returncode == 0, result.stderr
    assert "0 messages read, 0 lessons captured or updated." in result.stdout


def test_slack_starts_without_the_mattermost_driver_and_says_what_a_missing_extra_is(settings):
    result = leerkring({"mattermostautodriver"}, ["slack"], {**base_env(settings), "SLACK_BOT_TOKEN": ""})
    assert "support is not installed" not in result.stderr + result.stdout
    result = leerkring({"mattermostautodriver"}, ["mattermost"], base_env(settings))
    assert result.returncode != 0
    assert "mattermost support is not installed: pip install 'leerkring[mattermost]'" in result.stderr
