"""Database tables. The database is the source of truth; indexes are derived from it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Counter(Base):
    """Named counters. `lesson_revision` orders every change to a lesson; the row lock taken by the
    increment serialises writers until commit, so revisions become visible in order."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class LessonRow(Base):
    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("source_platform", "source_workspace", "source_channel_id", "source_message_id",
                         name="uq_lessons_source"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    learned: Mapped[str] = mapped_column(Text, default="")
    why: Mapped[str] = mapped_column(Text, default="", server_default="")  # why it worked, or did not
    conditions: Mapped[str] = mapped_column(Text, default="", server_default="")  # under which conditions
    municipality: Mapped[str] = mapped_column(String(200), default="")
    municipality_code: Mapped[str] = mapped_column(String(16), default="", index=True)
    organisation_kind: Mapped[str] = mapped_column(String(32), default="municipality")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome: Mapped[str] = mapped_column(String(16), default="unknown")

    contact_platform: Mapped[str] = mapped_column(String(32), default="")
    contact_user_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    captured_by_platform: Mapped[str] = mapped_column(String(32), default="")
    captured_by_user_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    captured_by_name: Mapped[str] = mapped_column(String(200), default="")

    source_platform: Mapped[str] = mapped_column(String(32))
    source_workspace: Mapped[str] = mapped_column(String(128), default="")
    source_channel_id: Mapped[str] = mapped_column(String(128), default="")
    source_channel_name: Mapped[str] = mapped_column(String(200), default="")
    source_visibility: Mapped[str] = mapped_column(String(16), default="public")
    source_message_id: Mapped[str] = mapped_column(String(128))
    source_thread_id: Mapped[str] = mapped_column(String(128), default="")
    permalink: Mapped[str] = mapped_column(String(1000), default="")

    content_hash: Mapped[str] = mapped_column(String(64), default="")
    revision: Mapped[int] = mapped_column(BigInteger, index=True)
    edited_by_form: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # set by a coordinator: "current", "outdated" (findable, labelled, ranked lower) or "archived" (not findable)
    status: Mapped[str] = mapped_column(String(16), default="current", server_default="current")
    # merged into another lesson that tells the same story: not findable itself, its source shown there
    merged_into: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class EmbeddingRow(Base):
    """Cached passage vectors per (lesson, model); reused while the content hash is unchanged."""

    __tablename__ = "embeddings"
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id", name="uq_people_platform_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    municipality: Mapped[str] = mapped_column(String(200), default="")
    municipality_code: Mapped[str] = mapped_column(String(16), default="")
    accepts_introductions: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(16), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuestionRow(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    channel_id: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(8), default="nl")
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    hit_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="closed", index=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answer_lesson_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    asker_name: Mapped[str] = mapped_column(String(200), default="")
    channel_visibility: Mapped[str] = mapped_column(String(16), default="public")  # where it was asked
    workspace: Mapped[str] = mapped_column(String(128), default="", server_default="")  # of the channel


class QuestionVectorRow(Base):
    """An open question's vector per model, saved when it was asked (for the check of new lessons)."""

    __tablename__ = "question_vectors"
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"),
                                                    nullable=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), nullable=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(32), default="", server_default="")  # not relevant, outdated, ...
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IntroductionRow(Base):
    """An introduction a member asked for: the contact is asked first; the two are asked later if they met."""

    __tablename__ = "introductions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    asker_id: Mapped[str] = mapped_column(String(128), index=True)
    asker_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contact_id: Mapped[str] = mapped_column(String(128), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="asked", server_default="asked")
    reason: Mapped[str] = mapped_column(String(32), default="", server_default="")  # the contact's, kept private
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    check_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    checked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    met_asker: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    met_contact: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class CheckbackRow(Base):
    """A check-back asked about a lesson in one period (1: after three months, 2: after six), and its answer."""

    __tablename__ = "checkbacks"
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16), default="", server_default="")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")  # what they told besides the button


class CheckbackOptOut(Base):
    """People who asked not to be asked how their lessons ended."""

    __tablename__ = "checkback_optouts"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)


class NotificationPref(Base):
    """How a person hears of new lessons for them: off, now, daily or weekly (bundled)."""

    __tablename__ = "notification_prefs"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="now", server_default="now")
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class NoticeRow(Base):
    """A notice held for a person's next bundle: its text and markup as JSON."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class FailureRow(Base):
    """A failure shared anonymously: held until a coordinator approves it, then posted without a name. The
    author's id is kept only when they agreed to be asked about it later (`author_id` "" otherwise)."""

    __tablename__ = "anonymous_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    channel_id: Mapped[str] = mapped_column(String(128))
    channel_visibility: Mapped[str] = mapped_column(String(16), default="public")
    text: Mapped[str] = mapped_column(Text)
    pattern: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)  # pending/approved/rejected
    author_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"), nullable=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("failure_sessions.id", ondelete="SET NULL"),
                                                   nullable=True)


class FailureSessionRow(Base):
    """A scheduled session in a channel that discusses the failures shared since the one before."""

    __tablename__ = "failure_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    workspace: Mapped[str] = mapped_column(String(128), default="")
    channel_id: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    message_id: Mapped[str] = mapped_column(String(128), default="")  # the post the discussion replies to


class CircleRow(Base):
    """A learning circle: a fixed group of 4-8 people, a cadence and a question per round."""

    __tablename__ = "circles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[str]] = mapped_column(JSON, default=list)  # round n asks questions[n % len]
    every_days: Mapped[int] = mapped_column(Integer, default=28)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CircleMemberRow(Base):
    """A person invited to a circle, and whether they joined; `position` orders who brings the case."""

    __tablename__ = "circle_members"
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="invited")  # invited / joined / declined


class CircleRoundRow(Base):
    """A round of a circle: who brings the case; the reminder before and "what do you take away?" after,
    each claimed once across processes."""

    __tablename__ = "circle_rounds"
    circle_id: Mapped[int] = mapped_column(ForeignKey("circles.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    presenter_id: Mapped[str] = mapped_column(String(128), default="")
    question: Mapped[str] = mapped_column(Text, default="")
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    asked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ProcessedEvent(Base):
    """Keys of handled platform events, so a redelivered event is handled once across replicas."""

    __tablename__ = "processed_events"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditRow(Base):
    """A change a coordinator made to a lesson: who, when, what (field names and states, never the old text)."""

    __tablename__ = "lesson_audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lesson_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class AdminLinkRow(Base):
    """A one-time sign-in link for the web page (`leerkring web --create-admin`): only its hash is kept."""

    __tablename__ = "admin_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    workspaces: Mapped[list[str]] = mapped_column(JSON, default=list)  # "platform:workspace" it may tend


class ChannelSettingRow(Base):
    """What a channel's members chose for their channel (`/leerkring kanaal …`)."""

    __tablename__ = "channel_settings"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    capture: Mapped[bool] = mapped_column(Boolean, default=True)
    threads: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str] = mapped_column(String(8), default="")
    updated_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WorkspaceSettingRow(Base):
    """What a workspace's admin chose (`/leerkring werkruimte …`): sharing, and what stays on uninstall."""

    __tablename__ = "workspace_settings"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), primary_key=True)
    sharing: Mapped[bool] = mapped_column(Boolean, default=True)
    keep_public: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_by: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReferenceRow(Base):
    """How the bot reaches a conversation or a person on a platform that gives no directory to look them up
    in (Microsoft Teams): the service address, the organisation, the name and the details its events showed,
    so that follow-ups and notices still reach them after a restart."""

    __tablename__ = "platform_references"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "conversation" or "person"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(128), default="")
    address: Mapped[str] = mapped_column(String(512), default="")
    name: Mapped[str] = mapped_column(String(255), default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
