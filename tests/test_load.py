"""A small, fast variant of benchmarks/load.py: questions at a steady rate, every one answered once."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from load import run_load


def test_steady_questions_are_all_answered_once(database_url):
    result = run_load(lessons=1500, rate=8, seconds=4, database_url=database_url if "postgresql" in database_url
                      else "")
    assert result["questions"] >= 30
    assert result["errors"] == 0 and result["duplicates"] == 0
    assert result["answered"] == result["questions"]


def test_answers_survive_sustained_faults_and_dropped_websockets(database_url):
    result = run_load(lessons=800, rate=4, seconds=17, database_url=database_url if "postgresql" in database_url
                      else "", faults=True, drain=90)
    assert result["websocket_drops"] >= 1
    assert result["errors"] == 0 and result["duplicates"] == 0
    assert result["answered"] == result["questions"]
