"""Memory of one process serving Slack and Mattermost (`leerkring run`) against one process per platform
(`leerkring slack` + `leerkring mattermost`), on the same lesson base, with the default embedded model.

    python benchmarks/processes.py --lessons 2000 --json ../docs/benchmarks/processes.json

The lessons are real Dutch passages (the Rijksoverheid answers in ../shared/eval), imported once with
`leerkring import`. Slack and Mattermost are the loopback fakes of the test suite on 127.0.0.1; each bot is a
real `leerkring` process, measured (VmRSS) once both platforms are connected and it is idle.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, machine, table, write_json

sys.path.insert(0, str(ROOT / "tests"))

from fakes.mattermost_server import FakeMattermost
from fakes.slack_server import BOT_USER, FakeSlack

EVAL = ROOT.parent / "shared" / "eval"


def rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def leerkring(*args: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_connected(slack: FakeSlack, mattermost: FakeMattermost, slack_before: int, want_mm: int,
                   processes: list[subprocess.Popen[bytes]], timeout: float = 300.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a bot process ended: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if len(slack.called("apps.connections.open")) > slack_before and mattermost.connections() >= want_mm:
            return time.monotonic() - started
        time.sleep(0.1)
    raise RuntimeError("the bots did not connect")


def measure(label: str, commands: list[tuple[str, ...]], env: dict[str, str], slack: FakeSlack,
            mattermost: FakeMattermost, settle: float) -> dict[str, Any]:
    before = len(slack.called("apps.connections.open"))
    processes = [leerkring(*command, env=env) for command in commands]
    try:
        seconds = wait_connected(slack, mattermost, before, 1, processes)
        time.sleep(settle)  # idle: the index loaded, the follow-up thread asleep
        rss = [rss_of(p.pid) for p in processes]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        mattermost.wait_for(lambda: mattermost.connections() == 0, timeout=30)
    return {"setup": label, "processes": len(processes), "rss_mb": round(sum(rss), 1),
            "rss_each_mb": [round(r, 1) for r in rss], "connected_s": round(seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", type=int, default=2000)
    parser.add_argument("--embedder", default="e5", choices=["e5", "fake"])
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    slack, mattermost = FakeSlack(), FakeMattermost()
    slack.add_channel("C0PUBLIC", "algemeen", [BOT_USER])
    slack.start()
    mattermost.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "LEERKRING_DATA_DIR": f"{tmp}/data", "LEERKRING_INDEX_DIR": f"{tmp}/index",
               "DATABASE_URL": "", "LEERKRING_EMBEDDER": args.embedder, "SLACK_API_URL": slack.base_url,
               "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": slack.app_token,
               "MATTERMOST_URL": mattermost.url, "MATTERMOST_TOKEN": mattermost.token,
               "MATTERMOST_COMMAND_TOKEN": "benchmark", "MATTERMOST_LISTEN": "127.0.0.1:0",
               "LEERKRING_DIGEST_CHANNELS": ""}
        lessons = Path(tmp) / "lessons.jsonl"
        with (EVAL / "rijksoverheid-vac-corpus.jsonl").open(encoding="utf-8") as source, \
                lessons.open("w", encoding="utf-8") as out:
            for number, line in enumerate(source):
                if number >= args.lessons:
                    break
                passage = json.loads(line)
                out.write(json.dumps({"id": passage["id"], "text": passage["text"]}, ensure_ascii=False) + "\n")
        started = time.monotonic()
        subprocess.run([sys.executable, "-m", "bot", "import", str(lessons)], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        imported = time.monotonic() - started
        rows = [measure("leerkring run (one process)", [("run",)], env, slack, mattermost, args.settle),
                measure("leerkring slack + leerkring mattermost", [("slack",), ("mattermost",)], env, slack,
                        mattermost, args.settle)]
    slack.stop()
    mattermost.stop()
    saved = rows[1]["rss_mb"] - rows[0]["rss_mb"]
    report = {"machine": machine(), "lessons": args.lessons, "embedder": args.embedder,
              "import_s": round(imported, 1), "rows": rows, "saved_mb": round(saved, 1),
              "saved_share": round(saved / rows[1]["rss_mb"], 3) if rows[1]["rss_mb"] else 0.0}
    print(table(rows, ["setup", "processes", "rss_mb", "rss_each_mb", "connected_s"]))
    print(f"one process for both platforms uses {saved:.0f} MB less ({report['saved_share']:.0%})")
    write_json(args.json, report)


if __name__ == "__main__":
    main()
