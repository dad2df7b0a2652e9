"""What an operator watches: one log line per handled event (JSON on request) without a message's text or a
token, and Prometheus metrics with a health check on a listener of their own."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from helpers import run_console
from platforms import ANNA, BRAM, PUBLIC, SlackDriver, wait_for

from bot.observe import serve_health

ROOT = Path(__file__).resolve().parents[1]
SECRET_QUESTION = "Heeft iemand ervaring met zonnepanelen op het stadhuis van Kraggenburg?"


def test_json_logs_have_one_line_per_event_with_platform_kind_and_latency_and_no_message_text(settings, tmp_path):
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake", "LEERKRING_LOG_FORMAT": "json",
           "LEERKRING_LOG_LEVEL": "INFO", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "bot", "console"], input=SECRET_QUESTION + "\n/help\n",
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert len(records) == len([line for line in done.stderr.splitlines() if line.strip()])  # every line is JSON
    events = [r for r in records if r.get("kind") == "line"]
    assert len(events) == 2 and all(r["platform"] == "console" and r["ms"] >= 0 for r in events)
    assert "zonnepanelen" not in done.stderr and "Kraggenburg" not in done.stderr


def test_metrics_count_answers_by_kind_and_the_health_check_answers(app):
    def counted(kind: str) -> float:
        server = serve_health("127.0.0.1:0")
        try:
            port = server.server_address[1]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
                assert health.read() == b"ok"
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
                text = response.read().decode()
        finally:
            server.shutdown()
            server.server_close()
        wanted = f'leerkring_answers_total{{kind="{kind}",platform="console"}}'
        return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)), 0.0)

    unanswered_before, match_before = counted("none") + counted("related"), counted("match")
    run_console(app, ["/les Burgerbegroting in de wijk: 2.300 stemmers. #burgerbegroting gemeente: Zwolle",
                      "Heeft iemand een burgerbegroting in de wijk gehouden?", SECRET_QUESTION])
    assert counted("match") == match_before + 1
    assert counted("none") + counted("related") == unanswered_before + 1  # the no-match share's numerator


@pytest.mark.skipif(not __import__("importlib").util.find_spec("slack_bolt"), reason="needs the slack extra")
def test_no_token_and_no_message_text_in_the_logs_at_info(settings, caplog):
    caplog.set_level(logging.INFO)
    chat = SlackDriver(settings)
    try:
        chat.tag(BRAM, PUBLIC, chat.say(ANNA, PUBLIC, "Deelfietsen bij het station van Kraggenburg. #mobiliteit"))
        wait_for(lambda: chat.private(BRAM))
        chat.ask(BRAM, PUBLIC, SECRET_QUESTION)
        wait_for(lambda: chat.public(PUBLIC))
    finally:
        chat.stop()
    text = caplog.text
    assert "slack capture handled" in text and "slack ask handled" in text
    assert chat.fake.bot_token not in text and chat.fake.app_token not in text
    assert "Kraggenburg" not in text and "zonnepanelen" not in text
