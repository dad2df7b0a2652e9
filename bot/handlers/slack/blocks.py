"""Block Kit for answers, confirmations and the lesson form. Quoted user text never pings anyone."""

from __future__ import annotations

import json
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

MAX_BLOCKS = 50
MAX_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_VALUE = 2000

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack mrkdwn escaping: `<!channel>`, `<@U…>` and links in quoted text become inert."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mrkdwn(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text)}}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": {"type": "plain_text", "text": _cut(text, MAX_BUTTON_TEXT),
                                                "emoji": True},
                     "action_id": action_id, "value": value[:MAX_VALUE]}
    if style:
        button["style"] = style
    return button


def contact_mrkdwn(lesson: Lesson, lang: str, home: str = "") -> str:
    """The contact as a real mention when they are on Slack in the reader's workspace (`home`, "" when there
    is one), otherwise their (escaped) name, with their municipality when they work elsewhere."""
    contact = lesson.contact
    if contact is None or not (contact.user_id or contact.name):
        return t("answer.no_contact", lang)
    elsewhere = bool(home and lesson.source.workspace and lesson.source.workspace != home)
    if contact.platform == "slack" and contact.user_id and not elsewhere:
        return f"<@{contact.user_id}>" + inactive_note(lesson, lang)
    if contact.platform == "slack" and elsewhere:
        place = f" ({escape(lesson.municipality)})" if lesson.municipality else ""
        return escape(contact.name or contact.user_id) + place + inactive_note(lesson, lang)
    where = {"mattermost": " (Mattermost)"}.get(contact.platform, "")
    return escape(contact.name or contact.user_id) + where + inactive_note(lesson, lang)


def hit_blocks(hit: Hit, lang: str, question_id: int | None, *, can_introduce: bool, home: str = "") -> list[Block]:
    lesson = hit.lesson
    title = escape(lesson.title or snippet(lesson.text, 80))
    if lesson.source.permalink:
        title = f"<{lesson.source.permalink}|{title}>"
    place = escape(lesson.municipality) if lesson.municipality else t("answer.unknown_municipality", lang)
    when = when_text(lesson, lang)
    lines = [f"*{title}*",
             f"{OUTCOME_ICON[lesson.outcome]} {place} — {outcome_label(lesson.outcome, lang)} — {when}",
             escape(snippet(lesson.text, 400))]
    for key, value in (("why", lesson.why), ("conditions", lesson.conditions), ("learned", lesson.learned)):
        if value:
            lines.append(f"_{t(f'answer.{key}', lang)}:_ {escape(snippet(value, 300))}")
    if lesson.timeline:
        lines.append(f"_{escape(timeline_text(lesson, lang))}_")
    if lesson.session:
        lines.append(f"_{escape(session_text(lesson, lang))}_")
    lines.extend(f"_{escape(line)}_" for line in tending_lines(lesson, lang))
    blocks: list[Block] = [_mrkdwn("\n".join(lines))]
    context = f"{t('answer.contact', lang)}: {contact_mrkdwn(lesson, lang, home)}"
    if lesson.themes:
        context += " · " + escape(" ".join(f"#{theme}" for theme in lesson.themes))
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(context)}]})
    value = json.dumps({"l": lesson.id, "q": question_id})
    buttons = []
    if can_introduce:
        buttons.append(_button("🤝 " + t("button.introduce", lang),
                               "leerkring_intro", value, "primary"))
    buttons.append(_button("👍 " + t("button.helpful", lang), "leerkring_helpful", value))
    buttons.append(_button("👎 " + t("button.unhelpful", lang), "leerkring_unhelpful", value))
    blocks.append({"type": "actions", "block_id": f"lesson-{lesson.id}", "elements": buttons})
    return blocks


def answer_blocks(answer: Answer, hits: list[Hit] | None = None, *, can_introduce: set[int] | None = None,
                  home: str = "") -> tuple[list[Block], str]:
    """Blocks and the plain-text fallback for an answer (or for `hits`, e.g. the private ones). The first
    line labels the kind: matches, "geen directe les, wel verwant", a listing, or none yet."""
    lang = answer.lang
    shown = answer.hits if hits is None else hits
    fallback = escape(render_answer(answer, hits))
    heading = escape(answer_heading(answer, hits))
    if not shown:
        blocks = [_mrkdwn("\n".join([heading, *map(escape, answer_footer(answer, hits))]))]
        if answer.shown_kind(hits) is AnswerKind.NONE and answer.question_id and not answer.kept_open:
            blocks.append({"type": "actions", "elements": [
                _button("📌 " + t("button.keep_open", lang),
                        "leerkring_keep_open", json.dumps({"q": answer.question_id}))]})
        return blocks, fallback
    blocks = [_mrkdwn(heading)]
    summary = summary_line(shown, lang) if answer.kind is AnswerKind.MATCH else ""
    if summary:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(summary)}]})
    for hit in shown:
        part = [{"type": "divider"}, *hit_blocks(hit, lang, answer.question_id, home=home,
                                                 can_introduce=hit.lesson.id in (can_introduce or set()))]
        if len(blocks) + len(part) > MAX_BLOCKS - 1:
            break
        blocks.extend(part)
    footer = answer_footer(answer, hits)
    if footer:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(" ".join(footer))}]})
    return blocks, _cut(fallback, 3900)


def choice_blocks(text: str, action: str, choices: list[tuple[str, dict[str, Any]]]) -> list[Block]:
    """`text` (already in mrkdwn) with a button per choice; each press is a `leerkring_<action>_<n>` action."""
    return [_mrkdwn(text), {"type": "actions", "block_id": f"leerkring-{action}", "elements": [
        _button(label, f"leerkring_{action}_{n}", json.dumps(value)) for n, (label, value) in enumerate(choices)]}]


def confirmation_blocks(text: str, lesson: Lesson, lang: str) -> list[Block]:
    value = str(lesson.id)
    return [
        _mrkdwn(escape(text)),
        {"type": "actions", "block_id": f"capture-{lesson.id}", "elements": [
            _button("✏️ " + t("form.edit", lang), "leerkring_edit", value),
            _button("↩️ " + t("form.undo", lang), "leerkring_undo", value, "danger"),
        ]},
    ]


OUTCOME_OPTIONS = [Outcome.WORKED, Outcome.FAILED, Outcome.MIXED, Outcome.UNKNOWN]


def lesson_modal(*, text: str, municipality: str, themes: list[str], outcome: Outcome, learned: str,
                 contact_user: str, metadata: dict[str, str], lang: str = "nl", why: str = "",
                 conditions: str = "") -> Block:
    """The form behind the 'Bewaar als les' shortcut and the edit button."""

    def option(o: Outcome) -> Block:
        return {"text": {"type": "plain_text", "text": outcome_label(o, lang)}, "value": o.value}

    def text_input(block_id: str, label: str, value: str, *, multiline: bool = False,
                   optional: bool = True, limit: int = 3000) -> Block:
        element: Block = {"type": "plain_text_input", "action_id": "value", "multiline": multiline}
        if value:
            element["initial_value"] = value[:limit]
        return {"type": "input", "block_id": block_id, "optional": optional, "element": element,
                "label": {"type": "plain_text", "text": label}}

    contact: Block = {"type": "users_select", "action_id": "value"}
    if contact_user:
        contact["initial_user"] = contact_user
    return {
        "type": "modal", "callback_id": "leerkring_lesson",
        "title": {"type": "plain_text", "text": t("form.title", lang)},
        "submit": {"type": "plain_text", "text": t("form.submit", lang)},
        "close": {"type": "plain_text", "text": t("form.cancel", lang)},
        "private_metadata": json.dumps(metadata),
        "blocks": [
            text_input("text", t("form.text", lang), text, multiline=True, optional=False),
            text_input("municipality", t("form.municipality", lang), municipality, limit=150),
            text_input("themes", t("form.themes", lang), ", ".join(themes), limit=300),
            {"type": "input", "block_id": "outcome", "label": {"type": "plain_text", "text": t("form.outcome", lang)},
             "element": {"type": "static_select", "action_id": "value",
                         "options": [option(o) for o in OUTCOME_OPTIONS], "initial_option": option(outcome)}},
            text_input("why", t("form.why", lang), why, multiline=True),
            text_input("conditions", t("form.conditions", lang), conditions, multiline=True),
            text_input("learned", t("form.learned", lang), learned, multiline=True),
            {"type": "input", "block_id": "contact", "optional": True,
             "label": {"type": "plain_text", "text": t("form.contact", lang)},
             "element": contact},
        ],
    }


def modal_values(view: Block) -> dict[str, str]:
    """The submitted form's values, by block id."""
    out: dict[str, str] = {}
    for block_id, actions in view.get("state", {}).get("values", {}).items():
        element = actions.get("value", {})
        value = (element.get("value") or element.get("selected_user")
                 or (element.get("selected_option") or {}).get("value") or "")
        out[block_id] = value
    return out
