"""The flows of learning over time, on the chat port: feedback and its reasons, notices of new lessons (as
often as each person chose), introductions with consent and "did you meet?", and "how did it end?" months
after a lesson. Mixed into `bot.chat.Conversation`, which provides the attributes declared here."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.chat_port import ChatPort, Place, command_prefix
from bot.commands import answered_notice
from bot.errors import LeerkringError
from bot.messages import t
from bot.model import Answer, Asker, Lesson, OpenQuestion, PersonRef, Visibility
from bot.observe import handled
from bot.peer import FEEDBACK_REASONS

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.service import LeerkringService

DECLINE_REASONS = ("not_my_topic", "no_time", "private")  # why a contact says no, kept with the bot


class LearningFlows:
    core: App
    service: LeerkringService
    port: ChatPort
    platform: str

    if TYPE_CHECKING:
        def lang(self, user_id: str) -> str: ...

    def feedback(self, user_id: str, place: Place, lesson_id: int | None, question_id: int | None,
                 helpful: bool, reason: str = "") -> None:
        """A 👍 or 👎 under a lesson; a 👎 asks, optionally, what was wrong (an outdated report reaches
        `leerkring stats`), and every vote nudges the lesson's rank a little."""
        with handled(self.platform, "feedback"):
            lang = self.lang(user_id)
            try:
                self.service.feedback(self.port.person(user_id), question_id, lesson_id, helpful, reason)
            except LeerkringError as exc:
                self.port.post_private(user_id, place, t(exc.key, lang, **exc.params))
                return
            if helpful or reason:
                self.port.post_private(user_id, place, t("feedback.thanks", lang))
                return
            self.port.post_choices(user_id, place, t("feedback.why_not", lang), "reason", [
                (t(f"feedback.reason.{why}", lang), {"l": lesson_id, "q": question_id, "r": why})
                for why in FEEDBACK_REASONS])

    def notify_answered(self, question: OpenQuestion, lesson: Lesson) -> None:
        """Tell an asker privately that their open question has an answer now, with whom to talk to: at
        once, or in their daily or weekly bundle, or not at all, as they chose (`meldingen`)."""
        asker = PersonRef(self.platform, question.user_id, question.asker_name or question.user_id)
        self.notice(asker, answered_notice(question, lesson, "{contact}"),
                    contact=self.port.contact_markup(lesson, question.lang))

    def notice(self, to: PersonRef, text: str, **markup: str) -> None:
        """A notice of something new for a person, as often as they chose to hear."""
        mode = self.core.repo.notification_mode(self.platform, to.user_id)
        if mode == "now":
            self.port.direct_message(to, text, **markup)
        elif mode != "off":
            self.core.repo.hold_notice(self.platform, to.user_id, text, markup)

    def ask_colleagues(self, asker: Asker, place: Place, answer: Answer, most: int = 3) -> int:
        """A question left open in a public channel: the contacts of the lessons that came closest (up to
        `most`) hear of it, as often as each chose (`meldingen`); returns how many."""
        if not answer.kept_open or asker.channel_visibility is not Visibility.PUBLIC:
            return 0
        told: set[str] = set()
        link = self.port.permalink(asker.workspace, place.channel, place.thread) if place.thread else ""
        channel = self.port.place(place.channel)[1] if place.channel else ""
        for hit in answer.hits:
            contact = hit.lesson.contact
            if (contact is None or contact.platform != self.platform or not contact.user_id or not
                    hit.lesson.contact_active or contact.user_id in told | {asker.user_id}):
                continue
            told.add(contact.user_id)
            theirs = self.lang(contact.user_id)
            self.notice(contact, t("open.might_answer", theirs, channel=channel, question=answer.question,
                                   short_id=hit.lesson.short_id, title=hit.lesson.title,
                                   link=f" ({link})" if link else ""))
            if len(told) >= most:
                break
        return len(told)

    def send_bundle(self, user_id: str, notices: list[dict[str, Any]]) -> None:
        """The held notices as one direct message (each notice's markup kept apart)."""
        lang = self.lang(user_id)
        parts, markup = [t("notices.bundle", lang, count=len(notices))], {}
        for n, held in enumerate(notices):
            text = held["text"]
            for key, value in held["markup"].items():
                text = text.replace("{" + key + "}", "{" + f"{key}_{n}" + "}")
                markup[f"{key}_{n}"] = value
            parts.append(text)
        self.port.direct_message(self.port.person(user_id), "\n\n".join(parts), **markup)

    def introduce(self, asker: Asker, lesson_id: int) -> str:
        """Ask a lesson's contact first whether they want to meet the asker (see service.introduction for who
        may be asked); the text to show the asker. Asking again while the contact has not answered asks no
        one twice."""
        lang = self.lang(asker.user_id)
        try:
            lesson = self.service.introduction(asker, lesson_id)
        except LeerkringError as exc:
            return t(exc.key, lang, **exc.params)
        assert lesson.contact is not None
        contact = self.port.person(lesson.contact.user_id)
        intro, new = self.core.repo.ask_introduction(self.platform, asker.user_id, asker.name, contact.user_id,
                                                     lesson.id)
        if not new:
            return t("intro.asked_before", lang, contact=contact.name)
        their = self.lang(contact.user_id)
        text = t("intro.request", their, asker="{asker}", municipality=self._municipality_of(asker.user_id),
                 short_id=lesson.short_id, title=lesson.title)
        self.port.direct_choices(contact, text, "answer", [
            (t(f"intro.choice.{answer}", their), {"i": intro.id, "a": answer})
            for answer in ("accepted", "later", "declined")], asker=self.port.mention(asker.user_id))
        return t("intro.asked", lang, contact=contact.name)

    def _municipality_of(self, user_id: str) -> str:
        profile = self.core.repo.get_person(self.platform, user_id)
        return profile.municipality if profile and profile.municipality else "?"

    def introduction_answered(self, user_id: str, place: Place, intro_id: int, answer: str) -> None:
        """The contact's answer: on yes the group conversation opens and the asker hears it; on not now or
        no the asker hears, kindly, that it is not now (which of the two, and why, stays with the bot)."""
        with handled(self.platform, "introduction"):
            lang = self.lang(user_id)
            intro = None
            if answer in ("accepted", "later", "declined"):
                check_in = timedelta(days=self.core.settings.intro_check_days)
                intro = self.core.repo.answer_introduction(intro_id, self.platform, user_id, answer,
                                                           check_in=check_in)
            if intro is None:
                self.port.post_private(user_id, place, t("intro.gone", lang))
                return
            if answer == "declined":  # why, if they like: kept with the bot, never told to the asker
                self.port.post_choices(user_id, place, t("intro.why_not", lang), "declinereason", [
                    (t(f"intro.reason.{why}", lang), {"i": intro.id, "r": why}) for why in DECLINE_REASONS])
            else:
                self.port.post_private(user_id, place, t(f"intro.thanks.{answer}", lang))
            lesson = self.core.repo.get_lesson(intro.lesson_id)
            short_id = lesson.short_id if lesson else f"#{intro.lesson_id}"
            asker = PersonRef(self.platform, intro.asker_id, intro.asker_name)
            theirs, contact = self.lang(intro.asker_id), self.port.person(user_id).name
            if answer == "accepted" and lesson is not None:
                text = t("intro.message", theirs, contact="{contact}", asker="{asker}", title=lesson.title,
                         municipality=self._municipality_of(intro.asker_id), short_id=short_id)
                together = self.port.group_message([intro.asker_id, user_id], text,
                                                   contact=self.port.mention(user_id),
                                                   asker=self.port.mention(intro.asker_id))
                apart = "intro.accepted_personal" if self.platform == "teams" else "intro.accepted_apart"
                self.port.direct_message(asker, t("intro.accepted" if together else apart, theirs,
                                                  contact=contact, short_id=short_id))
            else:
                self.port.direct_message(asker, t("intro.not_now", theirs, contact=contact, short_id=short_id))

    def decline_reason(self, user_id: str, place: Place, intro_id: int, reason: str) -> None:
        known = reason in DECLINE_REASONS and self.core.repo.set_introduction_reason(intro_id, self.platform, user_id,
                                                                                     reason)
        self.port.post_private(user_id, place, t("intro.thanks.declined" if known else "intro.gone",
                                                 self.lang(user_id)))

    def check_back(self, lesson: Lesson, period: int, user_id: str) -> None:
        """Months after a lesson whose outcome was not known: "how did it end?", to its contact privately."""
        lang = self.lang(user_id)
        months = round(self.core.settings.checkback_periods[period - 1] / 30)
        prefix = command_prefix(self.platform)
        self.port.direct_choices(self.port.person(user_id), t("checkback.ask", lang, months=months,
                                                              short_id=lesson.short_id, title=lesson.title)
                                 + "\n" + t("checkback.tell_more", lang, p=prefix, short_id=lesson.short_id),
                                 "outcome", [(t(f"checkback.{outcome}", lang), {"l": lesson.id, "p": period,
                                                                               "o": outcome})
                                             for outcome in ("worked", "failed", "mixed", "running")])

    def check_back_answered(self, user_id: str, place: Place, lesson_id: int, period: int, outcome: str) -> None:
        with handled(self.platform, "checkback"):
            lang = self.lang(user_id)
            try:
                known = self.service.answer_check_back(self.port.person(user_id), lesson_id, period, outcome)
            except LeerkringError as exc:
                self.port.post_private(user_id, place, t(exc.key, lang, **exc.params))
                return
            self.port.post_private(user_id, place, t("checkback.thanks" if known else "checkback.gone", lang))

    def check_introduction(self, intro: Any) -> None:
        """Some days after an accepted introduction: "did you two talk?", to each of them privately."""
        lesson = self.core.repo.get_lesson(intro.lesson_id)
        if lesson is None:
            return
        for user_id in (intro.asker_id, intro.contact_id):
            lang = self.lang(user_id)
            self.port.direct_choices(self.port.person(user_id), t("intro.check", lang, short_id=lesson.short_id,
                                                                  title=lesson.title), "met", [
                (t("intro.choice.met", lang), {"i": intro.id, "m": 1}),
                (t("intro.choice.not_met", lang), {"i": intro.id, "m": 0})])

    def introduction_met(self, user_id: str, place: Place, intro_id: int, met: bool) -> None:
        with handled(self.platform, "met"):
            known = self.core.repo.record_meeting(intro_id, self.platform, user_id, met)
            self.port.post_private(user_id, place, t("intro.thanks.met" if known else "intro.gone",
                                                     self.lang(user_id)))
