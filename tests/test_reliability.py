"""Reliability: duplicated deliveries across processes, and kill -9 during an import.

Fast variants run in CI; `benchmarks/reliability.py` runs the full ones for docs/reliability.md
(LEERKRING_RELIABILITY_EVENTS, LEERKRING_RELIABILITY_KILLS, LEERKRING_RELIABILITY_LESSONS).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fakes.mattermost_server import BOT, FakeMattermost

from bot.bootstrap import bootstrap
from bot.search.dense import DenseIndex
from bot.search.embedder import HashingEmbedder

EVENTS = int(os.environ.get("LEERKRING_RELIABILITY_EVENTS", "40"))
KILLS = int(os.environ.get("LEERKRING_RELIABILITY_KILLS", "3"))
LESSONS = int(os.environ.get("LEERKRING_RELIABILITY_LESSONS", "2000"))


def test_two_processes_and_redelivered_events_give_one_lesson_and_one_answer_each(settings):
    from test_mattermost import start_bot

    fake = FakeMattermost().start()
    try:
        for user in ("anna", "bram"):
            fake.add_user(user, user)
        fake.add_channel("town", "town-square", "O", ["anna", "bram"])
        first_core, first, _ = start_bot(settings, fake)
        second_core, second, _ = start_bot(settings.model_copy(update={"index_dir": settings.index_dir.parent / "b"}),
                                           fake)
        fake.wait_for(lambda: fake.connections() == 2)
        posts = [fake.new_post("town", "anna", f"Les {n}: wijkbudget in buurt {n} met bewoners. #wijk{n}")
                 for n in range(EVENTS)]
        for post in posts:
            reaction = {"user_id": "bram", "post_id": post["id"], "emoji_name": "bulb", "create_at": post["create_at"]}
            fake.reactions.setdefault(post["id"], []).append(reaction)
            for _ in range(random.Random(post["id"]).randint(1, 3)):  # delivered up to three times
                fake.broadcast("reaction_added", {"reaction": json.dumps(reaction)}, "town")
        fake.wait_for(lambda: first_core.repo.count_lessons() == EVENTS, timeout=120)
        questions = [fake.user_posts("town", "bram", f"@leerkring wijkbudget buurt {n}", mentions=[BOT])
                     for n in range(0, EVENTS, 4)]
        for question in questions:  # and the questions delivered twice more
            data = {"post": json.dumps(question), "channel_type": "O", "mentions": json.dumps([BOT])}
            fake.broadcast("posted", data, "town")
        fake.wait_for(lambda: len([p for p in fake.bot_posts() if p["root_id"]]) >= len(questions), timeout=120)
        time.sleep(1.5)
        confirmations = [e for e in fake.ephemeral if e["user_id"] == "bram" and "Bewaard" in e["post"]["message"]]
        answers = [p for p in fake.bot_posts() if p["root_id"]]
        assert first_core.repo.count_lessons() == EVENTS
        assert len(confirmations) == EVENTS
        assert sorted(p["root_id"] for p in answers) == sorted(q["id"] for q in questions)
        first.stop()
        second.stop()
        first_core.close()
        second_core.close()
    finally:
        fake.stop()


def test_kill_9_during_an_import_loses_nothing_and_never_corrupts_the_index(settings, tmp_path):
    records = tmp_path / "lessen.jsonl"
    with records.open("w", encoding="utf-8") as handle:
        for n in range(LESSONS):
            handle.write(json.dumps({"id": f"r{n}", "text": f"Les {n} over participatie in wijk {n % 37}.",
                                     "municipality": "Zwolle"}) + "\n")
    env = {**os.environ, "LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"}
    rng = random.Random(11)
    stored_after_kills = []
    for _ in range(KILLS):
        process = subprocess.Popen([sys.executable, "-m", "bot", "import", str(records)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        until = rng.randint(1, LESSONS * 4 // 5)  # kill once this many lessons are stored, or near the end
        _wait(lambda p=process, n=until: p.poll() is not None or _stored(settings) >= n)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        stored_after_kills.append(check_consistent(settings))
    assert any(n < LESSONS for n in stored_after_kills), "no kill landed during the import"
    done = subprocess.run([sys.executable, "-m", "bot", "import", str(records)], env=env, capture_output=True,
                          text=True, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    app = check_consistent(settings)
    assert app == LESSONS


def _wait(done, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.01)


def _stored(settings) -> int:  # type: ignore[no-untyped-def]
    """Lessons stored so far, read the way a second process would (0 before the schema exists)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM lessons")).scalar() or 0)
    except Exception:
        return 0
    finally:
        engine.dispose()


def check_consistent(settings) -> int:  # type: ignore[no-untyped-def]
    """After a crash: the saved index loads (or is rebuilt), holds each stored lesson once, and search works;
    closed again, what it saved holds exactly the stored lessons."""
    app = bootstrap(settings, embedder=HashingEmbedder())
    try:
        stored = app.repo.count_lessons()
        ids = app.engine.dense.ids()
        assert len(ids) == len(set(ids.tolist())) == stored
        assert set(ids.tolist()) == {lesson.id for lesson in app.repo.iter_lessons()}
        if stored:
            assert app.engine.search("participatie in wijk", k=3).ranked
        assert np.isfinite(app.engine.dense.vectors(ids[:5].tolist())).all()
    finally:
        app.close()
    loaded = DenseIndex.load(settings.index_dir, HashingEmbedder().id, HashingEmbedder().dim)
    assert (loaded is not None and len(loaded[0]) == stored) or (loaded is None and stored == 0)
    return stored


def test_index_files_never_left_half_written(settings, monkeypatch):
    """A save writes whole files or none: a failure halfway leaves the previous save readable and no
    temporary files behind."""
    from helpers import capture

    from bot.search.snapshot import load_text

    app = bootstrap(settings, embedder=HashingEmbedder())
    capture(app.service, "Buurtpreventie met bewoners in drie wijken. #veiligheid")
    app.engine.save()
    index_dir = Path(settings.index_dir)
    saved = {path.name: path.read_bytes() for path in index_dir.iterdir()}
    assert saved and not list(index_dir.glob("*.tmp"))
    capture(app.service, "Een tweede les over jongerenwerk in de avond. #jongeren")
    real_replace, replaced = os.replace, []

    def failing_replace(src, dst):  # type: ignore[no-untyped-def]
        if replaced:  # the first file of the save goes through, the second fails (a full disk, a kill)
            raise OSError("no space left on device")
        replaced.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        app.engine.save()
    monkeypatch.setattr(os, "replace", real_replace)
    assert not list(index_dir.glob("*.tmp"))
    # what is on disk is either a whole save, or found not to match its manifest (and then rebuilt)
    loaded = DenseIndex.load(index_dir, app.engine.embedder.id, app.engine.embedder.dim)
    if loaded is not None:
        dense, manifest = loaded
        text = load_text(index_dir, app.engine.embedder.id, manifest.revision)
        assert len(dense) == 1 and (text is None or len(text[2]) == 1)
    app.close()
    restarted = bootstrap(settings, embedder=HashingEmbedder())  # and a restart catches up from there
    assert len(restarted.engine.meta) == 2 and len(restarted.engine.dense) == 2
    restarted.close()


def test_kill_9_during_live_capture_keeps_every_confirmed_lesson(settings, tmp_path):
    """The console confirms each capture after it is stored; a kill at any moment loses none of those."""
    env = {**os.environ, "LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"}
    rng = random.Random(23)
    confirmed: set[int] = set()
    per_round: list[int] = []
    for round_ in range(KILLS):
        lines = "".join(f"/les Ronde {round_}, les {n}: buurtpreventie met bewoners in wijk {n}. #veiligheid\n"
                        for n in range(400))
        process = subprocess.Popen([sys.executable, "-m", "bot", "console", "--user", "Anna"], env=env,
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                   text=True, cwd=tmp_path)
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(lines)
        process.stdin.flush()
        seen: list[str] = []
        reader = threading.Thread(target=seen.extend, args=(process.stdout,), daemon=True)
        reader.start()
        until = rng.randint(5, 300)  # kill after this many confirmations, mid-stream
        _wait(lambda p=process, out=seen, n=until: p.poll() is not None or "".join(out).count("Bewaard als les") >= n)
        time.sleep(rng.uniform(0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        reader.join(10)
        this_round = {int(n) for line in seen for n in re.findall(r"Bewaard als les #(\d+)", line)}
        per_round.append(len(this_round))
        confirmed |= this_round
        stored = check_consistent(settings)
        assert stored >= len(confirmed)
    app = bootstrap(settings, embedder=HashingEmbedder())
    try:
        kept = {lesson.id for lesson in app.repo.iter_lessons()}
        assert confirmed and confirmed <= kept
        assert any(n < 400 for n in per_round), "no kill landed during the captures"
    finally:
        app.close()
