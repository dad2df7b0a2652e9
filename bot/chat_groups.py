"""Learning in groups, on the chat port: failures shared without a name (a coordinator approves each before
the bot posts it), the sessions that discuss them, and learning circles with their rounds. Mixed into
`bot.chat.Conversation`, which provides the attributes declared here; `scheduled` does what is due."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.access import may_see_place
from bot.capture import parse_lesson
from bot.chat_port import ChatPort, Place, command_prefix
from bot.commands import channel_command
from bot.errors import InputError, LeerkringError, PermissionDenied
from bot.groups import (
    CIRCLE_EVERY_DAYS,
    CIRCLE_SIZE,
    FAILURE_PATTERNS,
    coordinators,
    first_round,
    format_when,
    is_coordinator,
    options,
    parse_when,
    pattern_key,
    pattern_label,
    pattern_list,
    suggest_members,
)
from bot.messages import t
from bot.model import Asker, Outcome, PersonRef, Source, Visibility
from bot.municipalities import parse_size_class
from bot.observe import handled
from bot.service import CaptureRequest
from bot.storage.circles import Round
from bot.storage.failures import Failure

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.service import LeerkringService

log = logging.getLogger(__name__)
GROUP_COMMANDS = {"anoniem": "failure", "anonymous": "failure", "sessie": "session", "session": "session",
                  "kring": "circle", "circle": "circle", "meenemen": "takeaway", "takeaway": "takeaway",
                  "kanaal": "channel", "channel": "channel", "werkruimte": "workspace", "workspace": "workspace"}
ENGLISH_WORDS = {"anonymous", "session", "circle", "takeaway", "approve", "reject", "suggest", "new", "yes", "no",
                 "channel", "workspace"}
# `werkruimte <setting> <value>` (a workspace admin): the stored setting and value for each word
_WORKSPACE_SETTINGS: dict[str, tuple[str, dict[str, bool]]] = {
    "delen": ("sharing", {"aan": True, "uit": False}), "sharing": ("sharing", {"on": True, "off": False}),
    "verwijderen": ("keep_public", {"bewaren": True, "wissen": False}),
    "uninstall": ("keep_public", {"keep": True, "erase": False}),
}
_FAILURE_OPTION = re.compile(r"(?<!\S)(patroon|pattern|volgen|followup)=(\S+)", re.IGNORECASE)
YES = {"ja", "yes", "aan", "on", "1", "true"}


class GroupFlows:
    core: App
    service: LeerkringService
    port: ChatPort
    platform: str

    if TYPE_CHECKING:
        def lang(self, user_id: str) -> str: ...
        def source(self, workspace: str, channel: str, message_id: str, thread: str = "") -> Source: ...

    # -- commands --------------------------------------------------------------------------------
    def group_command(self, text: str, asker: Asker, place: Place, prefix: str) -> bool:
        """`anoniem …`, `sessie …`, `kring …`, `meenemen …`: run it and reply privately; False when the line is
        not one of these."""
        word, _, rest = text.strip().partition(" ")
        action = GROUP_COMMANDS.get(word.lower())
        if action is None:
            return False
        lang = "en" if word.lower() in ENGLISH_WORDS else self.lang(asker.user_id)
        if asker.channel_id:  # the place itself, even where a command's reply counts as a direct message
            asker = replace(asker, channel_visibility=self.port.place(asker.channel_id)[0])
        with handled(self.platform, action):
            try:
                reply = getattr(self, f"_{action}_command")(rest.strip(), asker, place, lang, prefix)
            except LeerkringError as exc:
                reply = t(exc.key, lang, **exc.params)
            if reply:
                self.port.post_private(asker.user_id, place, reply)
        return True

    def _channel_command(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        """A channel's settings, shown to the member who asks; a change is told to everyone in the channel."""
        if asker.channel_visibility is Visibility.DM or not asker.channel_id:
            return t("channel.only_in_channel", lang)
        text, changed = channel_command(self.core.repo, rest, asker, self.port.person(asker.user_id).name
                                        or asker.user_id, prefix, lang)
        if not changed:
            return text
        self.port.post_message(Place(asker.channel_id), text)
        return ""

    def _workspace_command(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        """`werkruimte`: whether this workspace shares its public lessons with the network, and whether they
        stay if the app is uninstalled; its admins change that."""
        words = rest.lower().split()
        repo, workspace = self.core.repo, asker.workspace
        if words:
            if not self.port.is_admin(asker.user_id):
                return t("workspace.admins_only", lang)
            setting, values = _WORKSPACE_SETTINGS.get(words[0], ("", {}))
            value = values.get(words[1]) if len(words) == 2 else None
            if value is None:
                return t("workspace.usage", lang, p=prefix)
            repo.set_workspace_settings(self.platform, workspace, asker.user_id, **{setting: value})
        chosen = repo.workspace_settings(self.platform, workspace)
        return t("workspace.settings", lang, sharing=t(f"workspace.sharing.{chosen.sharing}", lang),
                 keep=t(f"workspace.keep.{chosen.keep_public}", lang), p=prefix)

    def coordinator(self, user_id: str) -> bool:
        return is_coordinator(self.core.settings.coordinators, self.platform, user_id, self.port.mention(user_id),
                              self.port.person(user_id).name)

    def _require_coordinator(self, user_id: str) -> None:
        if not self.coordinator(user_id):
            raise PermissionDenied("failure.coordinators_only")

    def coordinators_for(self, workspace: str, channel: str, visibility: Visibility, asker: Asker) -> list[PersonRef]:
        """The coordinators on this platform who may see `channel` (a story from a private channel goes to no
        one outside it)."""
        named = [user for platform, user in coordinators(self.core.settings.coordinators) if platform == self.platform]
        if self.platform == "console" and not named:
            return [self.port.person(asker.user_id)]
        found = []
        for user in named:
            ref = self.port.find_person(user)
            if ref is None or not ref.user_id:
                log.warning("%s: coordinator %s is not a known user", self.platform, user)
                continue
            if may_see_place(self.service.access, Asker(self.platform, ref.user_id, ref.name, "", Visibility.DM),
                             visibility, self.platform, workspace, channel):
                found.append(ref)
        return found

    # -- failures shared anonymously ---------------------------------------------------------------
    def _failure_command(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        words = rest.split()
        verb = words[0].lower() if words else ""
        if verb in {"goedkeuren", "approve", "afwijzen", "reject"} and len(words) >= 2:
            number = words[1].lstrip("#")
            if not number.isdigit():
                raise InputError("failure.unknown", id=words[1])
            _, found = options(" ".join(words[2:]))
            return self.decide_failure(asker.user_id, int(number), verb in {"goedkeuren", "approve"},
                                       found.get("patroon") or found.get("pattern") or "", lang)
        if not rest:
            if not self.coordinator(asker.user_id):
                return t("failure.usage", lang, p=prefix, patterns=pattern_list(lang))
            pending = [f for f in self.core.repo.pending_failures(self.platform)
                       if self._may_review(asker.user_id, f)]
            if not pending:
                return t("failure.pending_none", lang)
            return "\n".join([t("failure.pending", lang)] + [
                f"  {f.id}. #{self.port.place(f.channel_id)[1]} ({pattern_label(f.pattern, lang)}): {f.text[:200]}"
                for f in pending])
        return self.share_failure(rest, asker, place, lang, prefix)

    def share_failure(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        """Keep the story for a coordinator's approval, without the author unless they want to hear back."""
        if asker.channel_visibility is Visibility.DM or not asker.channel_id:
            raise InputError("failure.not_here")
        found = {key.lower(): value for key, value in _FAILURE_OPTION.findall(rest)}
        story = _FAILURE_OPTION.sub(" ", rest).strip()
        if len(story) < 10:
            return t("failure.usage", lang, p=prefix, patterns=pattern_list(lang))
        pattern = pattern_key(found.get("patroon") or found.get("pattern") or "")
        follow = (found.get("volgen") or found.get("followup") or "").lower() in YES
        reviewers = self.coordinators_for(asker.workspace, asker.channel_id, asker.channel_visibility, asker)
        if not reviewers:
            raise InputError("failure.no_coordinator")
        failure = self.core.repo.submit_failure(self.platform, asker.workspace, asker.channel_id,
                                                asker.channel_visibility.value, story, pattern,
                                                asker.user_id if follow else "")
        channel = self.port.place(asker.channel_id)[1]
        for reviewer in reviewers:
            theirs = self.lang(reviewer.user_id)
            self.port.direct_choices(reviewer, t("failure.review", theirs, channel=channel, id=failure.id,
                                                 pattern=pattern_label(pattern, theirs), text=_short(story, 2000),
                                                 p=prefix),
                                     "approve", [(t("failure.approve", theirs), {"f": failure.id, "a": 1}),
                                                 (t("failure.reject", theirs), {"f": failure.id, "a": 0})])
        told = t("failure.received", lang, id=failure.id, channel=channel) + " " + \
            t("failure.kept_for_followup" if follow else "failure.kept_anonymous", lang)
        if pattern:
            return told
        self.port.post_choices(asker.user_id, place, told + "\n" + t("failure.which_pattern", lang), "pattern", [
            (pattern_label(key, lang), {"f": failure.id, "k": key}) for key in FAILURE_PATTERNS])
        return ""

    def pattern_chosen(self, user_id: str, place: Place, failure_id: int, key: str) -> None:
        lang = self.lang(user_id)
        known = key in FAILURE_PATTERNS and self.core.repo.set_failure_pattern(failure_id, key)
        self.port.post_private(user_id, place, t("failure.pattern_set", lang, pattern=pattern_label(key, lang))
                               if known else t("failure.decided", lang))

    def _may_review(self, user_id: str, failure: Failure) -> bool:
        return self.coordinator(user_id) and may_see_place(
            self.service.access, Asker(self.platform, user_id, "", "", Visibility.DM),
            Visibility(failure.visibility), failure.platform, failure.workspace, failure.channel_id)

    def failure_decided(self, user_id: str, place: Place, failure_id: int, approve: bool) -> None:
        """A coordinator's press on Approve or Reject."""
        with handled(self.platform, "failure"):
            lang = self.lang(user_id)
            try:
                text = self.decide_failure(user_id, failure_id, approve, "", lang)
            except LeerkringError as exc:
                text = t(exc.key, lang, **exc.params)
            self.port.post_private(user_id, place, text)

    def decide_failure(self, user_id: str, failure_id: int, approve: bool, pattern: str, lang: str) -> str:
        """Approve (post it without a name and keep it as a failed lesson) or reject (erase it); once."""
        self._require_coordinator(user_id)
        failure = self.core.repo.get_failure(failure_id)
        if failure is None or failure.platform != self.platform or not self._may_review(user_id, failure):
            raise InputError("failure.unknown", id=failure_id)
        decided = self.core.repo.decide_failure(failure_id, approve, pattern_key(pattern))
        if decided is None:
            return t("failure.decided", lang)
        channel = self.port.place(decided.channel_id)[1]
        author = self.port.person(decided.author_id) if decided.author_id else None
        if not approve:
            if author is not None:
                self.port.direct_message(author, t("failure.told_rejected", self.lang(author.user_id), id=failure_id))
            return t("failure.rejected", lang)
        here = self.core.settings.default_language
        message_id = self.port.post_message(Place(decided.channel_id), t(
            "failure.post", here, pattern=pattern_label(decided.pattern, here), text=decided.text))
        nobody = PersonRef(self.platform, "", t("failure.anonymous", here))
        why = parse_lesson(decided.text, self.core.settings.max_lesson_chars).why
        result = self.service.capture(CaptureRequest(
            text=decided.text, source=self.source(decided.workspace, decided.channel_id, message_id),
            author=nobody, captured_by=nobody, contact=nobody, outcome=Outcome.FAILED,
            why=why or pattern_label(decided.pattern, here), channel_rules=False))
        self.core.repo.failure_posted(failure_id, result.lesson.id)
        if author is not None:
            self.port.direct_message(author, t("failure.told_approved", self.lang(author.user_id), id=failure_id,
                                               channel=channel))
        return t("failure.approved", lang, channel=channel, short_id=result.lesson.short_id)

    # -- sessions --------------------------------------------------------------------------------
    def _session_command(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        self._require_coordinator(asker.user_id)
        if asker.channel_visibility is Visibility.DM or not asker.channel_id:
            raise InputError("failure.not_here")
        words = rest.split()
        if not words:
            planned = self.core.repo.upcoming_sessions(self.platform, asker.channel_id)
            if not planned:
                return t("session.none", lang) + "\n" + t("session.usage", lang, p=prefix)
            return "\n".join([t("session.list", lang)] + [f"  {s.id}. {format_when(s.at, lang)} “{s.title}”"
                                                          for s in planned])
        at, title_words = parse_when(words)
        if at <= datetime.now(UTC):
            raise InputError("session.past")
        title = " ".join(title_words) or t("session.default_title", lang)
        session = self.core.repo.schedule_session(self.platform, asker.workspace, asker.channel_id, at, title,
                                                  asker.user_id)
        here = self.core.settings.default_language
        self.port.post_message(Place(asker.channel_id), t("session.announce", here, when=format_when(at, here),
                                                          title=title, p=prefix))
        return t("session.planned", lang, id=session.id, title=title, when=format_when(at, lang),
                 channel=self.port.place(asker.channel_id)[1])

    def post_sessions(self) -> int:
        """Post each session whose time has come, with the failures of its period; tell their authors who
        wanted to hear back."""
        here = self.core.settings.default_language
        posted = 0
        for session, failures in self.core.repo.due_sessions(self.platform):
            lines = [t("session.post", here, title=session.title, count=len(failures))]
            lines += [t("session.item", here, n=n, pattern=pattern_label(f.pattern, here), text=_short(f.text))
                      for n, f in enumerate(failures, 1)] or [t("session.empty", here)]
            message_id = self.port.post_message(Place(session.channel_id), "\n".join(lines))
            self.core.repo.session_posted(session.id, message_id)
            posted += 1
            channel = self.port.place(session.channel_id)[1]
            for failure in failures:
                if failure.author_id:
                    self.port.direct_message(self.port.person(failure.author_id), t(
                        "failure.told_session", self.lang(failure.author_id), id=failure.id, title=session.title,
                        channel=channel))
        return posted

    # -- learning circles ------------------------------------------------------------------------
    def _circle_command(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        words, found = options(rest)
        verb = words[0].lower() if words else ""
        if verb in {"ja", "yes", "nee", "no"} and len(words) == 2 and words[1].lstrip("#").isdigit():
            return self.circle_answer(asker.user_id, int(words[1].lstrip("#")), verb in {"ja", "yes"})
        if not verb:
            return self._circles(asker.user_id, lang)
        self._require_coordinator(asker.user_id)
        if verb in {"voorstel", "suggest"}:
            return self._suggest(found, lang, asker.user_id)
        if verb in {"nieuw", "new"} and len(words) >= 2:
            return self._new_circle(" ".join(words[1:]), found, asker, lang, prefix)
        if verb == "stop" and len(words) == 2 and words[1].lstrip("#").isdigit():
            number = int(words[1].lstrip("#"))
            key = "circle.stopped" if self.core.repo.end_circle(number) else "circle.unknown"
            return t(key, lang, id=number)
        return t("circle.usage", lang, p=prefix)

    def _circles(self, user_id: str, lang: str) -> str:
        everyone = self.coordinator(user_id)
        circles = [c for c in self.core.repo.circles(self.platform)
                   if everyone or any(m.user_id == user_id and m.status != "declined" for m in c.members)]
        if not circles:
            return t("circle.none", lang)
        return "\n".join([t("circle.list", lang)] + [
            t("circle.line", lang, id=c.id, name=c.name, joined=len(c.joined), every=c.every_days) for c in circles])

    def _suggest(self, found: dict[str, str], lang: str, user_id: str) -> str:
        theme = (found.get("thema") or found.get("theme") or "").lstrip("#").lower()
        raw = found.get("grootte") or found.get("size") or ""
        size = parse_size_class(raw) if raw else ""
        if size is None:
            raise InputError("filter.bad_size", detail=raw)
        people = suggest_members(self.core.repo, self.platform, theme=theme, size_class=size, exclude=user_id)
        if not people:
            return t("circle.suggest_none", lang)
        what = ", ".join(x for x in (theme, t(f"size.{people[0].size_class}", lang)) if x)
        return "\n".join([t("circle.suggest", lang, what=what)] + [
            t("circle.suggest_line", lang, name=p.name, municipality=p.municipality,
              size=t(f"size.{p.size_class}", lang), lessons=p.lessons, themes=", ".join(p.themes) or "-")
            for p in people])

    def _new_circle(self, name: str, found: dict[str, str], asker: Asker, lang: str, prefix: str) -> str:
        typed = [x for x in re.split(r"[,\s]+", found.get("leden") or found.get("members") or "") if x]
        members: list[PersonRef] = []
        for text in typed:
            ref = self.port.find_person(text)
            if ref is None or not ref.user_id:
                raise InputError("circle.unknown_person", name=text)
            if ref.user_id not in {m.user_id for m in members}:
                members.append(ref)
        if not CIRCLE_SIZE[0] <= len(members) <= CIRCLE_SIZE[1]:
            raise InputError("circle.size", count=len(members))
        every = found.get("elke") or found.get("every") or str(CIRCLE_EVERY_DAYS)
        if not every.isdigit() or int(every) < 1:
            raise InputError("circle.usage", p=prefix)
        questions = [q.strip() for q in (found.get("vragen") or found.get("questions") or "").split(";") if q.strip()]
        circle = self.core.repo.create_circle(self.platform, name.strip(), questions, int(every),
                                              first_round(found.get("start", "")), asker.user_id,
                                              [(m.user_id, m.name) for m in members])
        for member in members:
            theirs = self.lang(member.user_id)
            others = ", ".join(m.name for m in members if m.user_id != member.user_id)
            self.port.direct_choices(member, t("circle.invite", theirs, name=circle.name, id=circle.id,
                                               others=others, every=circle.every_days,
                                               when=format_when(circle.start_at, theirs)), "circle", [
                (t("circle.join", theirs), {"c": circle.id, "j": 1}),
                (t("circle.decline", theirs), {"c": circle.id, "j": 0})])
        return t("circle.created", lang, id=circle.id, name=circle.name, every=circle.every_days,
                 when=format_when(circle.start_at, lang), count=len(members))

    def circle_answer(self, user_id: str, circle_id: int, join: bool) -> str:
        lang = self.lang(user_id)
        circle = self.core.repo.get_circle(circle_id)
        if circle is None or circle.platform != self.platform:
            return t("circle.unknown", lang, id=circle_id)
        if not self.core.repo.answer_invitation(circle_id, user_id, join):
            return t("circle.answered", lang)
        return t("circle.joined" if join else "circle.declined", lang, name=circle.name)

    def circle_chosen(self, user_id: str, place: Place, circle_id: int, join: bool) -> None:
        """An invited person's press on "I'll join" or "Not for me"."""
        with handled(self.platform, "circle"):
            self.port.post_private(user_id, place, self.circle_answer(user_id, circle_id, join))

    def remind_rounds(self) -> int:
        """A day before each round, every member hears who brings the case and the round's question; the evening
        after it, "what do you take away?"."""
        done = 0
        for round_ in self.core.repo.due_reminders(self.platform):
            for member in round_.circle.joined:
                lang = self.lang(member.user_id)
                text = t("circle.reminder", lang, name=round_.circle.name, round=round_.number + 1,
                         when=format_when(round_.at, lang), presenter="{presenter}", question=round_.question or "-")
                if member.user_id == round_.presenter_id:
                    text += " " + t("circle.your_turn", lang)
                self.port.direct_message(self.port.person(member.user_id), text,
                                         presenter=self.port.mention(round_.presenter_id))
            done += 1
        for round_ in self.core.repo.due_takeaways(self.platform):
            for member in round_.circle.joined:
                self.port.direct_message(self.port.person(member.user_id), t(
                    "circle.ask_takeaway", self.lang(member.user_id), name=round_.circle.name,
                    round=round_.number + 1, p=command_prefix(self.platform)))
            done += 1
        return done

    def _takeaway_command(self, rest: str, asker: Asker, place: Place, lang: str, prefix: str) -> str:
        round_: Round | None = self.core.repo.last_asked_round(self.platform, asker.user_id)
        if round_ is None:
            return t("circle.no_round", lang)
        if not rest:
            return t("circle.ask_takeaway", lang, name=round_.circle.name, round=round_.number + 1, p=prefix)
        circle, person = round_.circle, self.port.person(asker.user_id)
        source = Source(self.platform, "", circle.channel, circle.name, Visibility.PRIVATE,
                        f"{circle.channel}-{round_.number}-{uuid.uuid4().hex[:12]}")
        title = t("circle.takeaway_title", lang, name=circle.name, round=round_.number + 1, text=_short(rest, 80))
        result = self.service.capture(CaptureRequest(text=rest, source=source, author=person, captured_by=person,
                                                     contact=person, title=title))
        return t("circle.takeaway_saved", lang, short_id=result.lesson.short_id, name=circle.name)

    # -- what is due -----------------------------------------------------------------------------
    def scheduled(self) -> int:
        """Sessions to post and circle rounds to remind of or ask about; how many were done."""
        done = 0
        for step in (self.post_sessions, self.remind_rounds):
            try:
                done += step()
            except Exception:  # the next round tries again; what was claimed is logged
                log.exception("%s: %s failed", self.platform, step.__name__)
        return done

    def chosen(self, action: str, user_id: str, place: Place, value: dict[str, Any]) -> bool:
        """A press on one of this module's buttons; False when the action is not one of them."""
        if action == "approve":
            self.failure_decided(user_id, place, int(value.get("f") or 0), bool(value.get("a")))
        elif action == "pattern":
            self.pattern_chosen(user_id, place, int(value.get("f") or 0), str(value.get("k") or ""))
        elif action == "circle":
            self.circle_chosen(user_id, place, int(value.get("c") or 0), bool(value.get("j")))
        else:
            return False
        return True


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
