"""Where the bot reaches a conversation or a person on a platform that has no directory to ask (Microsoft
Teams): what its events showed, kept so that follow-ups and notices reach people after a restart."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete

from bot.storage.tables import ReferenceRow, utcnow

if TYPE_CHECKING:
    from bot.storage.db import Database


@dataclass(frozen=True)
class Reference:
    key: str
    workspace: str = ""
    address: str = ""
    name: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


class ReferenceStore:
    db: Database

    def reference(self, platform: str, kind: str, key: str) -> Reference | None:
        with self.db.session() as session:
            row = session.get(ReferenceRow, (platform, kind, key[:255]))
            return Reference(row.key, row.workspace, row.address, row.name, dict(row.detail or {})) if row else None

    def remember(self, platform: str, kind: str, reference: Reference) -> None:
        """Keep what an event showed of a conversation or person; details it did not show are kept."""
        with self.db.session() as session:
            row = session.get(ReferenceRow, (platform, kind, reference.key[:255]))
            if row is None:
                row = ReferenceRow(platform=platform, kind=kind, key=reference.key[:255], workspace="", address="",
                                   name="", detail={})
                session.add(row)
            row.workspace = reference.workspace or row.workspace
            row.address = reference.address or row.address
            row.name = (reference.name or row.name)[:255]
            row.detail = {**(row.detail or {}), **{k: v for k, v in reference.detail.items() if v not in ("", None)}}
            row.updated_at = utcnow()

    def references(self, platform: str, kind: str) -> list[Reference]:
        with self.db.session() as session:
            rows = session.query(ReferenceRow).filter_by(platform=platform, kind=kind).all()
            return [Reference(r.key, r.workspace, r.address, r.name, dict(r.detail or {})) for r in rows]

    def forget_reference(self, session: Any, platform: str, kind: str, key: str) -> None:
        session.execute(delete(ReferenceRow).where(ReferenceRow.platform == platform, ReferenceRow.kind == kind,
                                                   ReferenceRow.key == key))
