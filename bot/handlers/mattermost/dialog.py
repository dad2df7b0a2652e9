"""The lesson form on Mattermost: an interactive dialog with the story, municipality, themes, outcome, what
was learned and the contact. `/leerkring les` without a story opens it empty; the Edit button under a
capture confirmation opens it filled in. Mattermost does not sign dialog submissions, so the dialog's
`state` carries the bot's HMAC (as button contexts do) and names the one person who may submit it."""

from __future__ import annotations

import json
from typing import Any

from bot.capture import parse_outcome
from bot.handlers.mattermost.attachments import ActionSigner
from bot.messages import t
from bot.model import Lesson, Outcome
from bot.render import outcome_label

CALLBACK = "leerkring_lesson"
TEXT_MAX = 150       # Mattermost's limit for a text element
TEXTAREA_MAX = 3000  # and for a textarea


def lesson_dialog(lang: str, state: dict[str, Any], signer: ActionSigner, lesson: Lesson | None = None, *,
                  contact_user: str = "") -> dict[str, Any]:
    """The dialog, filled in from `lesson` when editing one."""

    def text(name: str, value: str, *, area: bool = False, optional: bool = True) -> dict[str, Any]:
        limit = TEXTAREA_MAX if area else TEXT_MAX
        return {"display_name": t(f"form.{name}", lang), "name": name, "type": "textarea" if area else "text",
                "default": value[:limit], "optional": optional, "max_length": limit}

    outcome = lesson.outcome if lesson else Outcome.UNKNOWN
    return {
        "callback_id": CALLBACK,
        "title": t("form.title_edit" if lesson else "form.title", lang),
        "submit_label": t("form.submit", lang),
        "state": json.dumps(signer.sign(state), sort_keys=True),
        "elements": [
            text("text", lesson.text if lesson else "", area=True, optional=False),
            text("municipality", lesson.municipality if lesson else ""),
            text("themes", ", ".join(lesson.themes) if lesson else ""),
            {"display_name": t("form.outcome", lang), "name": "outcome", "type": "select",
             "default": outcome.value, "optional": True,
             "options": [{"text": outcome_label(o, lang), "value": o.value} for o in Outcome]},
            text("why", lesson.why if lesson else "", area=True),
            text("conditions", lesson.conditions if lesson else "", area=True),
            text("learned", lesson.learned if lesson else "", area=True),
            {"display_name": t("form.contact", lang), "name": "contact", "type": "select", "data_source": "users",
             "default": contact_user, "optional": True},
        ],
    }


def read_state(payload: dict[str, Any], signer: ActionSigner) -> dict[str, Any] | None:
    """The dialog's state if the bot signed it and the person submitting is the one it was opened for."""
    try:
        state = json.loads(payload.get("state") or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(state, dict) or not signer.verify(state) or state.get("user") != payload.get("user_id"):
        return None
    return state


def submitted(payload: dict[str, Any]) -> dict[str, Any]:
    """The submission's fields: text, municipality, themes (a list), outcome, why, conditions, learned,
    contact (a user id)."""
    values = {key: str(value or "").strip() for key, value in (payload.get("submission") or {}).items()}
    return {"text": values.get("text", ""), "municipality": values.get("municipality", ""),
            "themes": [x.strip().lstrip("#").lower() for x in values.get("themes", "").split(",") if x.strip()],
            "outcome": parse_outcome(values.get("outcome", "")) or Outcome.UNKNOWN,
            "learned": values.get("learned", ""), "why": values.get("why", ""),
            "conditions": values.get("conditions", ""), "contact": values.get("contact", "")}
