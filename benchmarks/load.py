"""Load: questions at a steady rate through the loopback fake Mattermost, against a large lesson base.

    python benchmarks/load.py --lessons 100000 --rate 20 --seconds 60

It fills a throwaway store with generated lessons (hashing embedder: this measures the bot's pipeline —
websocket, dedup, search, ranking, answer, REST — not the model; the bundled e5 model adds about 10 ms
per question), starts the real bot against the fake server on 127.0.0.1, sends questions at the given
rate for the given time (bounded; it stops by itself) and prints end-to-end latency, errors and memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WORDS = ("burgerbegroting wijkbudget participatie jongerenraad energiearmoede schuldhulp vroegsignalering "
         "eenzaamheid ouderen mantelzorg statushouders huisvesting omgevingswet burgerberaad loting burgerpanel "
         "laaggeletterdheid taalcafé bibliotheek deelauto parkeren afvalscheiding klimaatadaptatie groen "
         "schoolplein wijkmanager inloopspreekuur domotica handhaving ondernemers winkelstraat digitale "
         "inclusie vrijwilligers buurthuis dorpsbelangen").split()
PLACES = ["Zwolle", "Deventer", "Utrecht", "Amersfoort", "Enschede", "Tilburg", "Almere", "Groningen", "Ede",
          "Leiden", "Breda", "Emmen", "Houten", "Gouda", "Oss", "Heerlen", "Lelystad", "Zaanstad"]


def lessons_file(path: Path, count: int, seed: int = 5) -> Path:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            words = rng.sample(WORDS, 6)
            text = (f"In {rng.choice(PLACES)} probeerden we {words[0]} met {words[1]}. Het ging om {words[2]} en "
                    f"{words[3]}; we leerden veel over {words[4]} en {words[5]}.")
            handle.write(json.dumps({"id": f"load-{n}", "text": text, "municipality": rng.choice(PLACES),
                                     "themes": words[:2], "outcome": rng.choice(["gelukt", "mislukt", "gemengd"])},
                                    ensure_ascii=False) + "\n")
    return path


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_load(lessons: int, rate: float, seconds: float, database_url: str = "", drain: float = 30.0,
             faults: bool = False) -> dict[str, Any]:
    """With `faults`: a quarter of the bot's posts fail (500, 503, 429), a tenth of all requests take two
    seconds, and the websocket is dropped every 15 seconds, for the whole run."""
    from fakes.mattermost_server import BOT, FakeMattermost
    from pydantic import SecretStr

    from bot.bootstrap import bootstrap
    from bot.config import Settings
    from bot.handlers.mattermost.run import MattermostBot
    from bot.importer import import_file
    from bot.search.embedder import HashingEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(LEERKRING_DATA_DIR=root / "data", LEERKRING_INDEX_DIR=root / "index",
                            DATABASE_URL=database_url, _env_file=None)  # type: ignore[call-arg]
        started = time.perf_counter()
        core = bootstrap(settings, embedder=HashingEmbedder())
        import_file(core.repo, lessons_file(root / "lessons.jsonl", lessons), platform="load")
        core.engine.sync()
        core.engine.search("burgerbegroting", k=5)  # builds the lexical matrices
        setup = time.perf_counter() - started
        fake = FakeMattermost().start()
        fake.add_user("asker", "asker")
        fake.add_channel("town", "town-square", "O", ["asker"])
        core.settings = settings = settings.model_copy(update={
            "mattermost_url": fake.url, "mattermost_token": SecretStr(fake.token),
            "mattermost_command_token": SecretStr("x"), "keep_questions_open": False})
        core.service.settings = settings
        bot = MattermostBot(core, reconnect_base=0.05)
        bot.start_websocket()
        assert bot.websocket.connected.wait(10)
        rss_before = rss_mb()
        if faults:
            fake.chaos, fake.slow = 0.25, 0.10
        drops = 0
        rng = random.Random(9)
        sent: dict[str, float] = {}
        interval = 1.0 / rate
        begin = time.monotonic()
        n = 0
        while (now := time.monotonic()) - begin < seconds:
            target = begin + n * interval
            if now < target:
                time.sleep(target - now)
            words = rng.sample(WORDS, 3)
            post = fake.user_posts("town", "asker", f"@leerkring Heeft iemand ervaring met {words[0]} en "
                                   f"{words[1]} bij {words[2]}?", mentions=[BOT])
            sent[post["id"]] = post["received"]
            n += 1
            if faults and now - begin > 15 * (drops + 1):
                drops += 1
                fake.drop_websockets()
        fake.chaos = fake.slow = 0.0
        deadline = time.monotonic() + drain
        while time.monotonic() < deadline:
            answered = {p["root_id"]: p["received"] for p in list(fake.posts.values())
                        if p["user_id"] == BOT and p["root_id"] in sent}
            if len(answered) == len(sent):
                break
            time.sleep(0.1)
        latencies = sorted(answered[q] - sent[q] for q in answered)
        duplicates = len([p for p in list(fake.posts.values()) if p["user_id"] == BOT and p["root_id"] in sent]) \
            - len(answered)
        rss_after = rss_mb()
        bot.stop()
        fake.stop()
        core.close()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else 0.0

    return {"lessons": lessons, "rate": rate, "seconds": seconds, "questions": len(sent),
            "answered": len(latencies), "errors": len(sent) - len(latencies), "duplicates": duplicates,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "max_ms": pct(1.0), "setup_s": round(setup, 1),
            "rss_mb_before": round(rss_before), "rss_mb_after": round(rss_after), "faults": faults,
            "websocket_drops": drops}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--faults", action="store_true", help="5xx/429, slow answers and dropped websockets")
    args = parser.parse_args()
    result = run_load(args.lessons, args.rate, args.seconds, args.database_url, faults=args.faults,
                      drain=120.0 if args.faults else 30.0)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
