"""Adaptive Cards for answers, confirmations, choices and the lesson form on Microsoft Teams.

Quoted text never mentions anyone: a Teams mention needs an entity the bot adds itself, and markdown in
people's text is escaped so that it shows as typed. Buttons are `Action.Submit`: a press comes back as a
message activity whose `value` is the button's data (`{"leerkring": <action>, ...}`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
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

CARD = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"  # the newest version every Teams client renders
MAX_TEXT = 4000
Element = dict[str, Any]
_MARKDOWN = re.compile(r"([\\`*_\[\]()#>~|])")
_TAGS = re.compile(r"<[^>]*>")


def escape(text: str) -> str:
    """People's text as typed: markdown characters escaped, `<at>`-style tags made inert."""
    return _MARKDOWN.sub(r"\\\1", text).replace("<", "‹").replace(">", "›")


def plain(html: str) -> str:
    """A Teams message's HTML body (what the message action gives) as plain text."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", html)
    text = _TAGS.sub("", text)
    for entity, char in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"),
                         ("&amp;", "&")):
        text = text.replace(entity, char)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_block(text: str, **style: Any) -> Element:
    return {"type": "TextBlock", "text": _cut(text), "wrap": True, **style}


def submit(title: str, data: dict[str, Any], style: str = "") -> Element:
    action: Element = {"type": "Action.Submit", "title": title[:75], "data": data}
    if style:
        action["style"] = style
    return action


def card(body: list[Element], actions: list[Element] | None = None,
         mentions: dict[str, str] | None = None) -> dict[str, Any]:
    """A card; `mentions` (id -> name) are the people its text names with `<at>name</at>`."""
    content: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body,
                               "msteams": {"width": "Full"}}
    if actions:
        content["actions"] = actions
    if mentions:
        content["msteams"]["entities"] = mention_entities(mentions)
    return content


def mention_entities(mentions: dict[str, str]) -> list[dict[str, Any]]:
    return [{"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": user_id, "name": name}}
            for user_id, name in mentions.items()]


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CARD, "content": content}


class Contacts:
    """How a card names contacts: a mention for someone on Teams in the reader's organisation, otherwise
    their name (with their municipality when they work elsewhere). Collects the mentions it wrote, and notes
    each mentioned name in `mentionable` (name, lower case -> user id) so the message can carry its entity."""

    def __init__(self, home: str, name_of: Callable[[str], str], mentionable: dict[str, str]) -> None:
        self.home = home
        self.name_of = name_of  # a Teams user id's display name, as the bot has seen it
        self.mentionable = mentionable
        self.mentions: dict[str, str] = {}

    def text(self, lesson: Lesson, lang: str) -> str:
        contact = lesson.contact
        if contact is None or not (contact.user_id or contact.name):
            return t("answer.no_contact", lang)
        elsewhere = bool(self.home and lesson.source.workspace and lesson.source.workspace != self.home)
        name = contact.name or (self.name_of(contact.user_id) if contact.platform == "teams" else "") or \
            contact.user_id
        if contact.platform == "teams" and contact.user_id and not elsewhere:
            self.mentions[contact.user_id] = name
            self.mentionable.setdefault(name.lower(), contact.user_id)
            return f"<at>{name}</at>" + inactive_note(lesson, lang)
        if contact.platform == "teams":
            place = f" ({escape(lesson.municipality)})" if lesson.municipality else ""
            return escape(name) + place + inactive_note(lesson, lang)
        where = {"slack": " (Slack)", "mattermost": " (Mattermost)"}.get(contact.platform, "")
        return escape(name) + where + inactive_note(lesson, lang)


def hit_elements(hit: Hit, lang: str, question_id: int | None, contacts: Contacts, *,
                 can_introduce: bool) -> list[Element]:
    lesson = hit.lesson
    title = escape(lesson.title or snippet(lesson.text, 80))
    if lesson.source.permalink:
        title = f"[{title}]({lesson.source.permalink})"
    place = escape(lesson.municipality) if lesson.municipality else t("answer.unknown_municipality", lang)
    facts = [{"title": t(f"answer.{key}", lang), "value": escape(_cut(snippet(value, 300), 1000))}
             for key, value in (("why", lesson.why), ("conditions", lesson.conditions), ("learned", lesson.learned))
             if value]
    items: list[Element] = [
        text_block(f"**{title}**", size="Medium"),
        text_block(f"{OUTCOME_ICON[lesson.outcome]} {place} — {outcome_label(lesson.outcome, lang)} — "
                   f"{when_text(lesson, lang)}", isSubtle=True, spacing="None"),
        text_block(escape(snippet(lesson.text, 400))),
    ]
    if facts:
        items.append({"type": "FactSet", "facts": facts})
    notes = [*([timeline_text(lesson, lang)] if lesson.timeline else []),
             *([session_text(lesson, lang)] if lesson.session else []), *tending_lines(lesson, lang)]
    items.extend(text_block(f"_{escape(note)}_", isSubtle=True) for note in notes)
    line = f"{t('answer.contact', lang)}: {contacts.text(lesson, lang)}"
    if lesson.themes:
        line += " · " + escape(" ".join(f"#{theme}" for theme in lesson.themes))
    items.append(text_block(line, isSubtle=True))
    data = {"l": lesson.id, "q": question_id}
    buttons = []
    if can_introduce:
        buttons.append(submit("🤝 " + t("button.introduce", lang), {"leerkring": "intro", **data}, "positive"))
    buttons.append(submit("👍 " + t("button.helpful", lang), {"leerkring": "helpful", **data}))
    buttons.append(submit("👎 " + t("button.unhelpful", lang), {"leerkring": "unhelpful", **data}))
    items.append({"type": "ActionSet", "actions": buttons})
    return [{"type": "Container", "separator": True, "spacing": "Medium", "items": items}]


def answer_card(answer: Answer, hits: list[Hit] | None, contacts: Contacts, *,
                can_introduce: set[int] | None = None) -> tuple[dict[str, Any], str]:
    """The card and its plain-text summary (shown in notifications) for an answer or for `hits`."""
    lang = answer.lang
    shown = answer.hits if hits is None else hits
    summary = _cut(render_answer(answer, hits).split("\n", 1)[0], 300)
    body = [text_block(f"**{escape(answer_heading(answer, hits))}**")]
    if not shown:
        body.extend(text_block(escape(line)) for line in answer_footer(answer, hits))
        actions = []
        if answer.shown_kind(hits) is AnswerKind.NONE and answer.question_id and not answer.kept_open:
            actions.append(submit("📌 " + t("button.keep_open", lang),
                                  {"leerkring": "keep_open", "q": answer.question_id}))
        return card(body, actions), summary
    line = summary_line(shown, lang) if answer.kind is AnswerKind.MATCH else ""
    if line:
        body.append(text_block(escape(line), isSubtle=True))
    for hit in shown:
        body.extend(hit_elements(hit, lang, answer.question_id, contacts,
                                 can_introduce=hit.lesson.id in (can_introduce or set())))
    footer = answer_footer(answer, hits)
    if footer:
        body.append(text_block(escape(" ".join(footer)), isSubtle=True, separator=True))
    return card(body, mentions=contacts.mentions), summary


def choice_card(text: str, action: str, choices: list[tuple[str, dict[str, Any]]],
                mentions: dict[str, str] | None = None) -> dict[str, Any]:
    """`text` (already escaped, with `<at>` mentions of `mentions`) with a button per choice."""
    return card([text_block(text)], [submit(label, {"leerkring": "choice", "action": action, "value": value})
                                     for label, value in choices], mentions)


def confirmation_card(text: str, lesson: Lesson, lang: str) -> dict[str, Any]:
    return card([text_block(escape(text))], [
        # a button whose data asks for "task/fetch" opens a dialog: Teams asks the bot for the form
        submit("✏️ " + t("form.edit", lang), {"msteams": {"type": "task/fetch"}, "leerkring": "edit", "l": lesson.id}),
        submit("↩️ " + t("form.undo", lang), {"leerkring": "undo", "l": lesson.id}, "destructive"),
    ])


OUTCOME_OPTIONS = [Outcome.WORKED, Outcome.FAILED, Outcome.MIXED, Outcome.UNKNOWN]
FORM_FIELDS = ("text", "municipality", "themes", "outcome", "why", "conditions", "learned")


def lesson_form(*, text: str, municipality: str, themes: list[str], outcome: Outcome, learned: str = "",
                why: str = "", conditions: str = "", lang: str = "nl", data: dict[str, Any] | None = None
                ) -> dict[str, Any]:
    """The form behind the message action "Bewaar als les" and the edit button, as a Teams dialog."""

    def field(key: str, value: str, *, multiline: bool = False, required: bool = False, limit: int = 3000
              ) -> list[Element]:
        element: Element = {"type": "Input.Text", "id": key, "value": value[:limit], "isMultiline": multiline,
                            "maxLength": limit, "label": t(f"form.{key}", lang)}
        if required:
            element.update(isRequired=True, errorMessage=t("capture.empty", lang))
        return [element]

    body = [
        *field("text", text, multiline=True, required=True, limit=20_000),
        *field("municipality", municipality, limit=150),
        *field("themes", ", ".join(themes), limit=300),
        {"type": "Input.ChoiceSet", "id": "outcome", "label": t("form.outcome", lang), "value": outcome.value,
         "choices": [{"title": outcome_label(o, lang), "value": o.value} for o in OUTCOME_OPTIONS]},
        *field("why", why, multiline=True),
        *field("conditions", conditions, multiline=True),
        *field("learned", learned, multiline=True),
    ]
    return card(body, [submit(t("form.submit", lang), {"leerkring": "form", **(data or {})}, "positive")])


def dialog(title: str, content: dict[str, Any]) -> dict[str, Any]:
    """The answer to a dialog's fetch: show `content` as a dialog titled `title`."""
    return {"task": {"type": "continue", "value": {"title": title, "card": attachment(content),
                                                   "width": "large", "height": "large"}}}


def dialog_message(text: str) -> dict[str, Any]:
    """The answer to a dialog's submit: close it with a short message."""
    return {"task": {"type": "message", "value": _cut(text, 500)}}
