"""slack-manifest.yml grants what the code uses: every event it listens to is subscribed, every Web API
method it calls has its scope, every shortcut and command is declared, and people can write to the bot.
The fake Slack enforces the same manifest at run time; this reads the code, so a listener or call that no
test exercises is covered too."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from fakes.slack_server import METHOD_SCOPES

ROOT = Path(__file__).resolve().parents[1]
SLACK = ROOT / "bot" / "handlers" / "slack"
KINDS = ("channels", "groups", "im", "mpim")  # the bot answers and reads wherever it is invited
# what one SDK call does on the Web API
SDK_CALLS = {"files_upload_v2": ["files.getUploadURLExternal", "files.completeUploadExternal"],
             "apps_connections_open": ["apps.connections.open"]}


def manifest() -> dict:
    return yaml.safe_load((ROOT / "slack-manifest.yml").read_text(encoding="utf-8"))


def code() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in SLACK.glob("*.py"))


def api_methods() -> set[str]:
    methods: set[str] = set()
    for call in set(re.findall(r"\.((?:chat|conversations|users|reactions|files|auth|apps|views)_\w+)\(", code())):
        if call in SDK_CALLS:
            methods.update(SDK_CALLS[call])
            continue
        family, _, name = call.partition("_")
        methods.add(family + "." + re.sub(r"_(\w)", lambda m: m.group(1).upper(), name))
    return methods


def test_every_web_api_method_the_code_calls_has_its_scope():
    methods = api_methods()
    assert {"chat.postMessage", "conversations.replies", "files.completeUploadExternal"} <= methods
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"add these methods and the scope they need to the fake's METHOD_SCOPES: {unknown}"
    granted = set(manifest()["oauth_config"]["scopes"]["bot"])
    needed = {scope.format(kind=kind) for method in methods if (scope := METHOD_SCOPES[method])
              for kind in (KINDS if "{kind}" in scope else ("",))}
    assert needed <= granted, f"missing scopes: {sorted(needed - granted)}"


def test_every_event_the_code_listens_to_is_subscribed():
    subscribed = set(manifest()["settings"]["event_subscriptions"]["bot_events"])
    for event in re.findall(r'\.event\("(\w+)"\)', code()):
        wanted = {f"message.{kind}" for kind in KINDS if kind != "mpim"} if event == "message" else {event}
        assert wanted <= subscribed, f"{event}: subscribe {sorted(wanted - subscribed)}"
    granted = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "reactions:read", "users:read"} <= granted  # the scopes those events need


def test_commands_shortcuts_and_interactivity_are_declared():
    spec, source = manifest(), code()
    commands = {c["command"] for c in spec["features"]["slash_commands"]}
    assert set(re.findall(r'\.command\("(/\w+)"\)', source)) <= commands and "commands" in \
        spec["oauth_config"]["scopes"]["bot"]
    shortcuts = {s["callback_id"] for s in spec["features"]["shortcuts"]}
    assert set(re.findall(r'\.shortcut\("(\w+)"\)', source)) <= shortcuts
    assert re.search(r"\.(action|view)\(", source) and spec["settings"]["interactivity"]["is_enabled"]
    assert spec["settings"]["socket_mode_enabled"]


def test_people_can_write_to_the_bot_in_its_messages_tab():
    home = manifest()["features"]["app_home"]
    assert home["messages_tab_enabled"] and not home["messages_tab_read_only_enabled"]


def test_an_install_asks_for_exactly_the_manifest_s_scopes():
    from bot.handlers.slack.workspaces import BOT_SCOPES

    assert sorted(BOT_SCOPES) == sorted(manifest()["oauth_config"]["scopes"]["bot"])
