"""The text side of the index (both BM25 indexes and the lesson metadata) saved beside the FAISS index,
at the same revision, so a restart loads it instead of reading and tokenising every lesson again.

Written like the dense index: to a temp file, fsynced, renamed, then a manifest with the revision and a
CRC-32 of the data. A snapshot whose revision differs from the dense index's, or that fails its check,
is ignored and the text side is rebuilt from the database.
"""

from __future__ import annotations

import io
import json
import logging
import zlib
from pathlib import Path

import numpy as np

from bot.search.dense import _atomic_write, file_slug
from bot.search.lexical import BM25Index
from bot.search.meta import LessonMeta, dump_meta, load_meta

log = logging.getLogger(__name__)


def paths(directory: Path, embedder_id: str) -> tuple[Path, Path]:
    slug = file_slug(embedder_id)
    return directory / f"text-{slug}.npz", directory / f"text-{slug}.json"


def save_text(directory: Path, embedder_id: str, revision: int, lexical: BM25Index, ngrams: BM25Index,
              meta: dict[int, LessonMeta]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, lexical=np.frombuffer(lexical.to_bytes(), dtype=np.uint8),
             ngrams=np.frombuffer(ngrams.to_bytes(), dtype=np.uint8),
             meta=np.frombuffer(dump_meta(meta), dtype=np.uint8))
    data = buffer.getvalue()
    data_path, manifest_path = paths(directory, embedder_id)
    _atomic_write(data_path, data)
    _atomic_write(manifest_path, json.dumps({"revision": revision, "count": len(meta), "bytes": len(data),
                                             "crc32": zlib.crc32(data)}).encode())


def load_text(directory: Path, embedder_id: str, revision: int
              ) -> tuple[BM25Index, BM25Index, dict[int, LessonMeta]] | None:
    data_path, manifest_path = paths(directory, embedder_id)
    if not (data_path.exists() and manifest_path.exists()):
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("revision") != revision:
            log.info("saved text index is at revision %s, the dense index at %s: rebuilding it",
                     manifest.get("revision"), revision)
            return None
        data = data_path.read_bytes()
        if zlib.crc32(data) != manifest.get("crc32"):
            log.warning("saved text index %s does not match its manifest: rebuilding it", data_path)
            return None
        with np.load(io.BytesIO(data)) as saved:
            return (BM25Index.from_bytes(saved["lexical"].tobytes()), BM25Index.from_bytes(saved["ngrams"].tobytes()),
                    load_meta(saved["meta"].tobytes()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("saved text index %s could not be read (%s): rebuilding it", data_path, exc)
        return None
