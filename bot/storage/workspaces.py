"""What a workspace's admin chooses for the whole workspace: whether its public lessons are shared with the
rest of the network, and whether they stay when the app is uninstalled (its private lessons never do)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from bot.model import Visibility
from bot.storage.tables import LessonRow, QuestionRow, WorkspaceSettingRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database


@dataclass(frozen=True)
class WorkspaceSettings:
    sharing: bool = True  # public lessons reach the other workspaces of the network
    keep_public: bool = True  # on uninstall, public lessons stay in the network (private ones are erased)


class WorkspaceStore:
    db: Database

    if TYPE_CHECKING:
        def delete_lesson(self, lesson_id: int) -> bool: ...  # provided by Repository

    def workspace_settings(self, platform: str, workspace: str) -> WorkspaceSettings:
        with self.db.session() as session:
            row = session.get(WorkspaceSettingRow, (platform, workspace))
            return WorkspaceSettings(row.sharing, row.keep_public) if row else WorkspaceSettings()

    def set_workspace_settings(self, platform: str, workspace: str, by: str, **values: object) -> WorkspaceSettings:
        with self.db.session() as session:
            row = session.get(WorkspaceSettingRow, (platform, workspace))
            if row is None:
                row = WorkspaceSettingRow(platform=platform, workspace=workspace, sharing=True, keep_public=True)
                session.add(row)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_by, row.updated_at = by, utcnow()
            return WorkspaceSettings(row.sharing, row.keep_public)

    def unshared_workspaces(self) -> frozenset[tuple[str, str]]:
        """(platform, workspace) of every workspace whose admin switched sharing off."""
        with self.db.session() as session:
            return frozenset((p, w) for p, w in session.execute(
                select(WorkspaceSettingRow.platform, WorkspaceSettingRow.workspace)
                .where(WorkspaceSettingRow.sharing.is_(False))))

    def erase_workspace(self, platform: str, workspace: str, *, keep_public: bool) -> list[int]:
        """The app left a workspace: its private lessons and the questions asked in its private channels are
        erased, its public ones too unless kept. Returns the erased lessons' ids."""
        with self.db.session() as session:
            questions = delete(QuestionRow).where(QuestionRow.platform == platform, QuestionRow.workspace == workspace)
            if keep_public:
                questions = questions.where(QuestionRow.channel_visibility != Visibility.PUBLIC.value)
            session.execute(questions)
            query = select(LessonRow.id).where(LessonRow.source_platform == platform,
                                               LessonRow.source_workspace == workspace,
                                               LessonRow.deleted_at.is_(None))
            if keep_public:
                query = query.where(LessonRow.source_visibility != Visibility.PUBLIC.value)
            ids = list(session.scalars(query))
        return [lesson_id for lesson_id in ids if self.delete_lesson(lesson_id)]
