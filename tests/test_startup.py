"""Starting a platform with a setting that will not do, and `leerkring doctor`: one line that names the
setting, exit code 2 (doctor: 1 when a check fails), nothing stored changed."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("slack_bolt")
pytest.importorskip("mattermostautodriver")

from fakes.mattermost_server import FakeMattermost
from fakes.slack_server import BOT_USER, FakeSlack

from bot.cli import cli

LESSONS = [{"id": "z1", "text": "Burgerbegroting in de wijk: 2.300 stemmers. Het is gelukt.", "municipality": "Zwolle"}]


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(settings, tmp_path: Path) -> dict[str, str]:
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake", "LEERKRING_LANGUAGE": "en"}
    path = tmp_path / "lessons.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in LESSONS), encoding="utf-8")
    assert CliRunner().invoke(cli, ["import", str(path)], env=env).exit_code == 0
    return env


@pytest.fixture
def slack_fake() -> Iterator[FakeSlack]:
    server = FakeSlack()
    server.add_channel("C0PUBLIC", "algemeen", [BOT_USER])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mm_fake() -> Iterator[FakeMattermost]:
    server = FakeMattermost()
    server.start()
    yield server
    server.stop()


def lessons(env: dict[str, str]) -> list[dict]:
    return [json.loads(line) for line in CliRunner().invoke(cli, ["export"], env=env).stdout.splitlines()]


def run(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args), env=env)


def test_slack_refusing_the_bot_token_is_one_line_naming_the_setting(env, slack_fake):
    before = lessons(env)
    result = run({**env, "SLACK_API_URL": slack_fake.base_url, "SLACK_BOT_TOKEN": "xoxb-revoked",
                  "SLACK_APP_TOKEN": slack_fake.app_token}, "slack")
    assert result.exit_code == 2
    assert result.output.strip() == "Slack refused the token (invalid_auth): check SLACK_BOT_TOKEN."
    assert lessons(env) == before


def test_slack_refusing_the_app_token_names_slack_app_token(env, slack_fake):
    result = run({**env, "SLACK_API_URL": slack_fake.base_url, "SLACK_BOT_TOKEN": slack_fake.bot_token,
                  "SLACK_APP_TOKEN": "xapp-expired", "LEERKRING_LANGUAGE": "nl"}, "slack")
    assert result.exit_code == 2
    assert result.output.strip() == "Slack weigert het token (invalid_auth): controleer SLACK_APP_TOKEN."


def test_slack_api_that_cannot_be_reached_names_the_address(env):
    url = f"http://127.0.0.1:{closed_port()}/api/"
    result = run({**env, "SLACK_API_URL": url, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"},
                 "slack")
    assert result.exit_code == 2
    assert result.output.startswith(f"cannot reach Slack at {url} (SLACK_API_URL): ")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_mattermost_server_down_is_one_line_without_waiting_for_retries(env):
    url = f"http://127.0.0.1:{closed_port()}"
    result = run({**env, "MATTERMOST_URL": url, "MATTERMOST_TOKEN": "bot-token"}, "mattermost")
    assert result.exit_code == 2
    assert result.output.startswith(f"cannot reach Mattermost at {url} (MATTERMOST_URL): ")
    assert len(result.output.strip().splitlines()) == 1


def test_mattermost_refusing_the_token_says_so(env, mm_fake):
    before = lessons(env)
    result = run({**env, "MATTERMOST_URL": mm_fake.url, "MATTERMOST_TOKEN": "wrong-token"}, "mattermost")
    assert result.exit_code == 2
    assert result.output.strip() == "Logging in to Mattermost with MATTERMOST_TOKEN failed."
    assert lessons(env) == before


def teams_env(fake) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The environment that points Leerkring at the loopback Teams."""
    return {"TEAMS_" + key.removeprefix("teams_").upper(): value.get_secret_value() if hasattr(
        value, "get_secret_value") else str(value) for key, value in fake.settings.items()}


def test_doctor_shows_every_part_working(env, slack_fake, mm_fake):
    from fakes.teams_server import APP_PASSWORD, FakeTeams

    CliRunner().invoke(cli, ["reindex"], env=env)
    teams = FakeTeams()
    teams.start()
    try:
        result = run({**env, "SLACK_API_URL": slack_fake.base_url, "SLACK_BOT_TOKEN": slack_fake.bot_token,
                      "SLACK_APP_TOKEN": slack_fake.app_token, "MATTERMOST_URL": mm_fake.url,
                      "MATTERMOST_TOKEN": mm_fake.token, "MATTERMOST_COMMAND_TOKEN": "cmd", **teams_env(teams)},
                     "doctor")
        wrong = run({**env, **teams_env(teams), "TEAMS_APP_PASSWORD": "fout"}, "doctor")
    finally:
        teams.stop()
    assert teams.tokens_issued == 1
    teams_line = next(line for line in wrong.output.splitlines() if " teams " in f" {line} ")
    assert wrong.exit_code == 1 and teams_line.startswith("FAIL") and "TEAMS_APP_PASSWORD" in teams_line
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.output.splitlines()[1:]}
    assert lines["database"].startswith("ok") and "1 lessons, 0 open questions" in lines["database"]
    assert lines["index"].startswith("ok") and "1 lessons" in lines["index"] and "0 changes" in lines["index"]
    assert lines["model"].startswith("ok") and "256 dimensions" in lines["model"]
    assert lines["slack"].startswith("ok") and "workspace Gemeenten" in lines["slack"]
    assert lines["mattermost"].startswith("ok") and mm_fake.url in lines["mattermost"]
    assert lines["teams"].startswith("ok") and "/api/messages" in lines["teams"]
    assert slack_fake.bot_token not in result.output and mm_fake.token not in result.output
    assert APP_PASSWORD not in result.output


def test_doctor_names_what_fails_and_exits_1(env, slack_fake, caplog):
    caplog.set_level(logging.WARNING)
    result = run({**env, "SLACK_API_URL": slack_fake.base_url, "SLACK_BOT_TOKEN": "xoxb-revoked",
                  "MATTERMOST_URL": f"http://127.0.0.1:{closed_port()}", "MATTERMOST_TOKEN": "t"}, "doctor")
    assert result.exit_code == 1
    lines = {line.split()[1]: line for line in result.output.splitlines()[1:]}
    assert lines["slack"].startswith("FAIL") and "check SLACK_BOT_TOKEN" in lines["slack"]
    assert lines["mattermost"].startswith("FAIL") and "cannot reach Mattermost" in lines["mattermost"]
    assert lines["database"].startswith("ok")  # the rest is still checked
    nothing = run({**env, "SLACK_BOT_TOKEN": ""}, "doctor")
    assert "not configured (SLACK_BOT_TOKEN)" in nothing.output


def test_mattermost_without_a_command_token_is_warned_about_at_start(mm_fake, settings, caplog):
    from pydantic import SecretStr

    from bot.handlers.mattermost.run import preflight

    caplog.set_level(logging.WARNING)
    preflight(settings.model_copy(update={"mattermost_url": mm_fake.url,
                                          "mattermost_token": SecretStr(mm_fake.token)}))
    assert "MATTERMOST_COMMAND_TOKEN is not set" in caplog.text and mm_fake.token not in caplog.text
    caplog.clear()
    preflight(settings.model_copy(update={"mattermost_url": mm_fake.url, "mattermost_token": SecretStr(mm_fake.token),
                                          "mattermost_command_token": SecretStr("cmd")}))
    assert "MATTERMOST_COMMAND_TOKEN" not in caplog.text
