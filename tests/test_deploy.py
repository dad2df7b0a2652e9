"""What an operator installs from: .env.example names every setting and loads, compose.yaml starts Leerkring
with PostgreSQL and keeps its data in volumes, the Dockerfile runs as a user with a health check, the package
carries every data file, the Procfile runs a service. The image is built when a container engine runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def example_keys() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def test_env_example_names_every_setting_and_loads_as_it_is(tmp_path):
    aliases = {field.alias for field in Settings.model_fields.values()}
    keys = example_keys()
    assert aliases <= set(keys), f"not in .env.example: {sorted(aliases - set(keys))}"
    assert set(keys) - aliases == {"POSTGRES_PASSWORD"}  # the one the compose file reads itself
    settings = Settings(_env_file=ROOT / ".env.example")  # type: ignore[call-arg]
    assert settings.slack_bot_token is None and settings.mattermost_token is None  # empty means not set
    assert settings.embedder == "e5" and settings.default_language == "nl"


def test_compose_starts_leerkring_with_postgresql_and_keeps_data_in_volumes():
    spec = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = spec["services"]
    app, db = services["leerkring"], services["db"]
    assert app["build"] == "." and app["env_file"] == ".env"
    assert app["depends_on"]["db"]["condition"] == "service_healthy" and "healthcheck" in db
    assert app["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://leerkring:")
    assert "@db:5432/leerkring" in app["environment"]["DATABASE_URL"]
    mounts = {volume.split(":")[1] for volume in app["volumes"]} | {v.split(":")[1] for v in db["volumes"]}
    assert {"/var/lib/leerkring", "/var/lib/postgresql/data"} <= mounts
    assert set(spec["volumes"]) == {volume.split(":")[0] for volume in app["volumes"] + db["volumes"]}
    used = set(re.findall(r"\$\{(\w+)", (ROOT / "compose.yaml").read_text(encoding="utf-8")))
    assert used <= set(example_keys())  # every variable it needs is explained in .env.example
    assert all(port.startswith("127.0.0.1:") for port in app["ports"])  # behind a proxy, not on the world
    listen = app["environment"]["LEERKRING_HEALTH_LISTEN"]
    assert any(port.endswith(":" + listen.rsplit(":", 1)[1]) for port in app["ports"])
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        checked = subprocess.run(["docker", "compose", "-f", str(ROOT / "compose.yaml"), "config", "--quiet"],
                                 capture_output=True, text=True, env={"POSTGRES_PASSWORD": "x", "PATH": "/usr/bin"},
                                 cwd=ROOT)
        assert checked.returncode == 0, checked.stderr


def test_dockerfile_runs_leerkring_as_a_user_with_a_health_check():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text(encoding="utf-8").splitlines()]
    final = lines[max(i for i, line in enumerate(lines) if line.startswith("FROM ")):]
    assert final[0].startswith("FROM python:") and final[0].endswith("-slim")
    user = next(line for line in final if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")
    health = next(line for line in final if line.startswith("HEALTHCHECK"))
    port = next(line for line in final if "LEERKRING_HEALTH_LISTEN=" in line).split(":")[-1].split()[0]
    assert f"127.0.0.1:{port}/healthz" in " ".join(final[final.index(health):])
    assert final[-1] == 'CMD ["leerkring", "run"]'
    assert "torch" not in "\n".join(lines)  # the default image is torch-free
    assert any("E5Embedder().embed_queries" in line for line in lines)  # the model is in the image, proven


def test_the_package_carries_every_data_file():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bot"]
    files = [p.relative_to(ROOT / "bot").as_posix() for p in (ROOT / "bot").rglob("*")
             if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    missing = [f for f in files if not any(fnmatch(f, g) for g in globs)]
    assert files and not missing


def test_every_procfile_process_runs_a_service():
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert processes and all(command.split()[:2] == ["leerkring", "run"] for command in processes.values())
    assert CliRunner().invoke(cli, ["run", "--help"]).exit_code == 0


def test_licence_and_policies_are_there():
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("EUROPEAN UNION PUBLIC LICENCE v. 1.2")
    assert tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"] == "EUPL-1.2"
    assert "Reporting a vulnerability" in (ROOT / "SECURITY.md").read_text()
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()


def engine_runs() -> bool:
    try:
        return bool(shutil.which("docker")) and subprocess.run(["docker", "info"], capture_output=True,
                                                               timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not engine_runs(), reason="no container engine runs on this machine")
def test_the_image_builds_and_knows_its_command():  # pragma: no cover - where a container engine runs
    built = subprocess.run(["docker", "build", "-t", "leerkring:test", str(ROOT)], capture_output=True, text=True,
                           timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    ran = subprocess.run(["docker", "run", "--rm", "leerkring:test", "leerkring", "--version"], capture_output=True,
                         text=True, timeout=120)
    assert ran.returncode == 0 and "leerkring" in ran.stdout
