"""Mattermost message attachments for answers and confirmations; quoted text never mentions anyone."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from bot.capture import snippet
from bot.messages import t
from bot.model import Answer, AnswerKind, Hit, Lesson, Outcome
from bot.render import (
    OUTCOME_ICON,
    answer_footer,
    answer_heading,
    inactive_note,
    outcome_label,
    render_answer,
    session_text,
    summary_line,
    tending_lines,
    timeline_text,
    when_text,
)

COLOURS = {Outcome.WORKED: "#2e7d32", Outcome.FAILED: "#c62828", Outcome.MIXED: "#ef6c00",
           Outcome.UNKNOWN: "#757575"}
_MENTION = re.compile(r"@(?!\u200b)")
MAX_TEXT = 4000

Attachment = dict[str, Any]


def escape(text: str) -> str:
    """Break @all, @channel, @here and @user in quoted text with a zero-width space; no one is pinged."""
    return _MENTION.sub("@\u200b", text)


class ActionSigner:
    """HMAC over a button's context: Mattermost does not sign button requests, so the bot does."""

    def __init__(self, key: bytes) -> None:
        self.key = key

    @classmethod
    def from_token(cls, token: str) -> ActionSigner:
        return cls(hashlib.sha256(b"leerkring-actions:" + token.encode()).digest())

    def _mac(self, context: dict[str, Any]) -> str:
        body = json.dumps({k: v for k, v in context.items() if k != "sig"}, sort_keys=True).encode()
        return hmac.new(self.key, body, hashlib.sha256).hexdigest()

    def sign(self, context: dict[str, Any]) -> dict[str, Any]:
        return {**context, "sig": self._mac(context)}

    def verify(self, context: dict[str, Any]) -> bool:
        sig = context.get("sig")
        return isinstance(sig, str) and hmac.compare_digest(sig, self._mac(context))


def contact_text(lesson: Lesson, lang: str, usernames: dict[str, str]) -> str:
    contact = lesson.contact
    if contact is None or not (contact.user_id or contact.name):
        return t("answer.no_contact", lang)
    if contact.platform == "mattermost" and contact.user_id in usernames:
        return f"@{usernames[contact.user_id]}" + inactive_note(lesson, lang)
    where = {"slack": " (Slack)"}.get(contact.platform, "")
    return escape(contact.name or contact.user_id) + where + inactive_note(lesson, lang)


def button(name: str, url: str, signer: ActionSigner, context: dict[str, Any], style: str = "default") -> Attachment:
    return {"id": context["action"].replace("_", ""), "name": name, "type": "button", "style": style,
            "integration": {"url": url, "context": signer.sign(context)}}


def hit_attachment(hit: Hit, lang: str, question_id: int | None, *, action_url: str, signer: ActionSigner,
                   usernames: dict[str, str], can_introduce: bool) -> Attachment:
    lesson = hit.lesson
    place = escape(lesson.municipality) if lesson.municipality else t("answer.unknown_municipality", lang)
    when = when_text(lesson, lang)
    text = escape(snippet(lesson.text, 400))
    for key, value in (("why", lesson.why), ("conditions", lesson.conditions), ("learned", lesson.learned)):
        if value:
            text += f"\n_{t(f'answer.{key}', lang)}:_ {escape(snippet(value, 300))}"
    if lesson.timeline:
        text += f"\n_{escape(timeline_text(lesson, lang))}_"
    if lesson.session:
        text += f"\n_{escape(session_text(lesson, lang))}_"
    text += "".join(f"\n_{escape(line)}_" for line in tending_lines(lesson, lang))
    if lesson.themes:
        text += "\n" + escape(" ".join(f"#{theme}" for theme in lesson.themes))
    attachment: Attachment = {
        "fallback": escape(f"{lesson.title} — {lesson.municipality}"),
        "color": COLOURS[lesson.outcome],
        "title": escape(f"{lesson.short_id} {lesson.title}"),
        "text": text[:MAX_TEXT],
        "fields": [
            {"short": True, "title": t("answer.municipality", lang), "value": place},
            {"short": True, "title": t("answer.outcome", lang),
             "value": f"{OUTCOME_ICON[lesson.outcome]} {outcome_label(lesson.outcome, lang)} · {when}"},
            {"short": True, "title": t("answer.contact", lang), "value": contact_text(lesson, lang, usernames)},
        ],
    }
    if lesson.source.permalink:
        attachment["title_link"] = lesson.source.permalink
    base = {"lesson": lesson.id, "question": question_id}
    actions = []
    if can_introduce:
        actions.append(button("🤝 " + t("button.introduce", lang), action_url,
                               signer, {**base, "action": "intro"}, "primary"))
    actions.append(button("👍 " + t("button.helpful", lang), action_url, signer,
                           {**base, "action": "helpful"}))
    actions.append(button("👎 " + t("button.unhelpful", lang), action_url, signer,
                           {**base, "action": "unhelpful"}))
    attachment["actions"] = actions
    return attachment


def answer_post(answer: Answer, hits: list[Hit] | None = None, *, action_url: str, signer: ActionSigner,
                usernames: dict[str, str], can_introduce: set[int]) -> tuple[str, list[Attachment]]:
    """(message, attachments) for an answer, or for `hits` such as the ones only the asker may see. The
    message's first line labels the kind: matches, related lessons, a listing, or none yet."""
    lang = answer.lang
    shown = answer.hits if hits is None else hits
    lines = [escape(answer_heading(answer, hits))]
    summary = summary_line(shown, lang) if shown and answer.kind is AnswerKind.MATCH else ""
    if summary:
        lines.append(f"**{escape(summary)}**")
    lines.extend(escape(line) for line in answer_footer(answer, hits))
    attachments = [hit_attachment(hit, lang, answer.question_id, action_url=action_url, signer=signer,
                                  usernames=usernames, can_introduce=hit.lesson.id in can_introduce)
                   for hit in shown]
    return "\n".join(lines), attachments


def plain(answer: Answer, hits: list[Hit]) -> str:
    return escape(render_answer(answer, hits))


def confirmation_attachment(lesson: Lesson, lang: str, *, action_url: str, signer: ActionSigner) -> Attachment:
    return {"fallback": lesson.short_id, "color": COLOURS[lesson.outcome], "actions": [
        button("✏️ " + t("form.edit", lang), action_url, signer, {"action": "edit", "lesson": lesson.id}),
        button("↩️ " + t("form.undo", lang), action_url, signer,
                {"action": "undo", "lesson": lesson.id}, "danger")]}
