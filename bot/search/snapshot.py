"""The text side of the index (both BM25 indexes and the lesson metadata) saved beside the FAISS index,
at the same revision, so a restart loads it instead of reading and tokenising every lesson again.

Written like the dense index: to a temp file, fsynced, renamed, then a manifest with the revision, a
CRC-32 of the data and where each array lies in it. The arrays are laid out raw, so a restart maps the file
instead of reading it: the word matrices are used where they lie. A snapshot whose revision differs from
the dense index's, or that fails its check, is ignored and the text side is rebuilt from the database.
"""

from __future__ import annotations

import io
import json
import logging
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from bot.search.dense import _atomic_write, file_slug
from bot.search.lexical import BM25Index
from bot.search.meta import LessonMeta, dump_meta, load_meta

log = logging.getLogger(__name__)


FORMAT = 3    # arrays laid out raw, each at a multiple of ALIGN bytes, their places in the manifest
ALIGN = 64
CHUNK = 1 << 22  # bytes read at a time for the checksum


def paths(directory: Path, embedder_id: str) -> tuple[Path, Path]:
    slug = file_slug(embedder_id)
    return directory / f"text-{slug}.bin", directory / f"text-{slug}.json"


def _earlier_path(directory: Path, embedder_id: str) -> Path:
    """Where the text side was saved before it was memory-mapped (one .npz blob, read whole)."""
    return directory / f"text-{file_slug(embedder_id)}.npz"


def save_text(directory: Path, embedder_id: str, revision: int, lexical: BM25Index, ngrams: BM25Index,
              meta: dict[int, LessonMeta]) -> None:
    parts = {**{f"lexical.{name}": array for name, array in lexical.arrays().items()},
             **{f"ngrams.{name}": array for name, array in ngrams.arrays().items()},
             "meta": np.frombuffer(dump_meta(meta), dtype=np.uint8)}
    layout: list[dict[str, object]] = []
    chunks: list[bytes | memoryview] = []
    offset = crc = 0
    for name, array in parts.items():
        array = np.ascontiguousarray(array)
        if pad := -offset % ALIGN:
            chunks.append(bytes(pad))
            crc = zlib.crc32(chunks[-1], crc)
            offset += pad
        layout.append({"name": name, "dtype": array.dtype.str, "shape": list(array.shape), "offset": offset})
        chunks.append(array.reshape(-1).view(np.uint8).data)
        crc = zlib.crc32(chunks[-1], crc)
        offset += array.nbytes
    data_path, manifest_path = paths(directory, embedder_id)
    _atomic_write(data_path, chunks)
    _atomic_write(manifest_path, json.dumps({"format": FORMAT, "revision": revision, "count": len(meta),
                                             "bytes": offset, "crc32": crc, "arrays": layout}).encode())
    _earlier_path(directory, embedder_id).unlink(missing_ok=True)


def load_text(directory: Path, embedder_id: str, revision: int
              ) -> tuple[BM25Index, BM25Index, dict[int, LessonMeta]] | None:
    """The saved text side at this revision, or None (then it is rebuilt from the database). The two word
    matrices stay in the file, memory-mapped: the kernel reads in what questions touch and may drop it
    again, so they need not fit in the process's own memory."""
    data_path, manifest_path = paths(directory, embedder_id)
    earlier = _earlier_path(directory, embedder_id)
    if not manifest_path.exists() or not (data_path.exists() or earlier.exists()):
        return None
    try:
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("revision") != revision:
            log.info("saved text index is at revision %s, the dense index at %s: rebuilding it",
                     manifest.get("revision"), revision)
            return None
        if manifest.get("format") != FORMAT:
            return _load_earlier(earlier, manifest)
        if data_path.stat().st_size != manifest["bytes"] or _crc32(data_path) != manifest["crc32"]:
            log.warning("saved text index %s does not match its manifest: rebuilding it", data_path)
            return None
        lexical, ngrams, arrays = _mapped(data_path, manifest)
        return lexical, ngrams, load_meta(arrays["meta"].tobytes())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("saved text index %s could not be read (%s): rebuilding it", data_path, exc)
        return None


def map_words(directory: Path, embedder_id: str) -> tuple[BM25Index, BM25Index] | None:
    """The two word indexes of the text side just saved, mapped from its file (no checksum: this process
    wrote it), so that a matrix rebuilt in memory leaves it for the file."""
    data_path, manifest_path = paths(directory, embedder_id)
    try:
        lexical, ngrams, _ = _mapped(data_path, json.loads(manifest_path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("saved text index %s could not be mapped (%s)", data_path, exc)
        return None
    return lexical, ngrams


def _mapped(path: Path, manifest: dict[str, Any]) -> tuple[BM25Index, BM25Index, dict[str, np.ndarray]]:
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    arrays = {}
    for entry in manifest["arrays"]:
        dtype = np.dtype(entry["dtype"])
        size = int(np.prod(entry["shape"], dtype=np.int64)) * dtype.itemsize
        arrays[entry["name"]] = raw[entry["offset"]:entry["offset"] + size].view(dtype).reshape(entry["shape"])
    part = {name: {key.split(".", 1)[1]: array for key, array in arrays.items() if key.startswith(name + ".")}
            for name in ("lexical", "ngrams")}
    return BM25Index.from_arrays(part["lexical"]), BM25Index.from_arrays(part["ngrams"]), arrays


def _crc32(path: Path) -> int:
    crc = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


def _load_earlier(path: Path, manifest: dict[str, object]) -> tuple[BM25Index, BM25Index, dict[int, LessonMeta]] | None:
    """A text side saved as one .npz blob; the next save writes it in the mapped layout."""
    data = path.read_bytes()
    if zlib.crc32(data) != manifest.get("crc32"):
        log.warning("saved text index %s does not match its manifest: rebuilding it", path)
        return None
    with np.load(io.BytesIO(data)) as saved:
        return (BM25Index.from_bytes(saved["lexical"].tobytes()), BM25Index.from_bytes(saved["ngrams"].tobytes()),
                load_meta(saved["meta"].tobytes()))
