"""Run the reliability and security tests at full size and print the figures for docs/reliability.md.

    python benchmarks/reliability.py            # SQLite
    LEERKRING_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python benchmarks/reliability.py

Full sizes: 10,000 fuzz cases per target, 1,000 events delivered up to three times to two bot processes,
20 kill -9's during a 5,000-lesson import, the 36-case permission matrix on both platforms.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = [
    ("fuzz: capture, filters, commands, Slack and Mattermost formatting (10,000 cases each)",
     "tests/test_fuzz.py", {"LEERKRING_FUZZ_EXAMPLES": "10000"}),
    ("duplicates: 1,000 events, 1-3 deliveries each, two processes, one database",
     "tests/test_reliability.py::test_two_processes_and_redelivered_events_give_one_lesson_and_one_answer_each",
     {"LEERKRING_RELIABILITY_EVENTS": "1000"}),
    ("crashes: 20 x kill -9 during a 5,000-lesson import",
     "tests/test_reliability.py::test_kill_9_during_an_import_loses_nothing_and_never_corrupts_the_index",
     {"LEERKRING_RELIABILITY_KILLS": "20", "LEERKRING_RELIABILITY_LESSONS": "5000"}),
    ("crashes: 20 x kill -9 during live capture in the console",
     "tests/test_reliability.py::test_kill_9_during_live_capture_keeps_every_confirmed_lesson",
     {"LEERKRING_RELIABILITY_KILLS": "20"}),
    ("permissions: 3 lesson kinds x inside/outside x 3 places, Slack and Mattermost",
     "tests/test_permissions.py", {}),
    ("privacy: forget me, then search",
     "tests/test_service.py::test_forget_me_removes_everything_and_it_is_no_longer_found", {}),
    ("platform faults: 5xx and 429 for a while, answers delivered once",
     "tests/test_slack.py::test_server_errors_for_a_while_still_deliver_the_answer_once "
     "tests/test_mattermost.py::test_server_errors_for_a_while_still_deliver_each_answer_once "
     "tests/test_mattermost.py::test_dropped_websocket_is_restored_and_events_flow_again", {}),
    ("forged buttons, wrong tokens, bad signatures",
     "tests/test_mattermost.py::test_buttons_need_a_valid_signature "
     "tests/test_mattermost.py::test_slash_command_checks_its_token_and_answers_ephemerally "
     "tests/test_slack.py::test_http_mode_checks_signatures_and_has_a_health_endpoint", {}),
]


def main() -> int:
    database = "PostgreSQL" if os.environ.get("LEERKRING_TEST_DATABASE_URL") else "SQLite"
    print(f"database: {database}; python {sys.version.split()[0]}; {os.cpu_count()} cores\n")
    print(f"{'check':<82} {'result':<22} seconds")
    failures = 0
    for title, target, extra in RUNS:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *target.split()],
                              cwd=ROOT, env={**os.environ, **extra}, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        summary = re.findall(r"(\d+ (?:passed|failed|error)s?)", done.stdout.splitlines()[-1] if done.stdout else "")
        failures += done.returncode != 0
        print(f"{title:<82} {', '.join(summary) or 'no result':<22} {seconds:7.1f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
