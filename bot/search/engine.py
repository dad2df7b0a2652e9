"""The search engine: keeps the dense and lexical indexes in step with the database, and searches.

The database is the source of truth. On start the engine loads the saved FAISS index, then catches up
by lesson revision (additions, edits, deletions). Any process can rebuild everything from the database.
"""

from __future__ import annotations

import heapq
import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import resources
from pathlib import Path

import numpy as np

from bot.lang import detect_language
from bot.model import AnswerKind, Filters, Lesson, Visibility
from bot.municipalities import registry
from bot.search.decision import MatchDecision, Signals, decision_for
from bot.search.dense import APPROXIMATE_FROM, DenseIndex, Layout, choose_layout
from bot.search.embedder import Embedder, Progress
from bot.search.fusion import FusionWeights, fuse
from bot.search.glossary import dutch_terms, english_terms
from bot.search.lexical import COARSE, BM25Index
from bot.search.meta import LessonMeta, similarity_bonus
from bot.search.question_vectors import QuestionVectors
from bot.search.results import Scored, SearchResult
from bot.search.snapshot import load_text, map_words, save_text
from bot.search.text import char_ngrams, tokenize
from bot.storage.repository import Repository

log = logging.getLogger(__name__)
_OTHER = {"nl": "en", "en": "nl"}

CANDIDATES = 200          # per retriever, before fusion
GRAM_BUDGET = 3.0  # a question's 4-grams scan at most this many postings per lesson; the commonest are looked up
BACKGROUND_SAMPLE = 2000  # lesson vectors that, with the generic texts, form the background
SAVE_EVERY = 256          # lesson changes between saves of the index (or a quarter of the index, if more)
SAVE_INTERVAL = 300.0     # seconds: fewer changes than SAVE_EVERY are saved after this long (and on close)
# e5 gives a question and a passage in the other language (Dutch/English) a lower cosine than the same pair
# in one language: 0.035 lower on average for unrelated pairs, 0.046 for a question and its answer
# (benchmarks/crosslingual.py --gap). Without a correction a question prefers any lesson in its own language,
# and an English question about a Dutch lesson gets "nog geen les". A lesson in the other language is judged
# with the unrelated pairs' gap added to its cosine, so off-topic questions stay where they were.
CROSS_LANGUAGE_OFFSET = 0.035
# From this many lessons the two word lists are searched in a second thread while the calling thread scans
# the vectors: FAISS and SciPy's sparse products let go of the interpreter lock, so on two cores the two
# halves of a search overlap (benchmarks/search_stages.py). Below it, handing work over costs more than it saves.
PARALLEL_FROM = 5000
_word_pool: ThreadPoolExecutor | None = None
_word_pool_lock = threading.Lock()


def _words_thread() -> ThreadPoolExecutor:
    """The one thread of the process that searches word lists beside a dense scan (searches of one engine
    never overlap: they hold its lock)."""
    global _word_pool
    with _word_pool_lock:
        if _word_pool is None:
            _word_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leerkring-words")
        return _word_pool


class SearchEngine:
    """Dense + lexical hybrid search over the lessons in the database."""

    def __init__(self, repo: Repository, embedder: Embedder, index_dir: Path, *,
                 weights: FusionWeights | None = None, decision: MatchDecision | None = None,
                 approximate_from: int = APPROXIMATE_FROM) -> None:
        self.repo = repo
        self.embedder = embedder
        self.index_dir = index_dir
        self.weights = weights or FusionWeights()
        self.decision = decision or decision_for(embedder.id)
        self.dense = DenseIndex(embedder.dim)
        self.lexical = BM25Index()
        self.ngrams = BM25Index(levels=COARSE)  # 4-grams find near spellings: 8-bit weights do
        self.meta: dict[int, LessonMeta] = {}
        self.languages: Counter[str] = Counter()  # indexed lessons per language
        self._restricted: set[int] = set()  # indexed lessons that are not public
        self.cross_language_offset = CROSS_LANGUAGE_OFFSET
        self.revision = 0
        self._lock = threading.RLock()
        self._background: tuple[np.ndarray, np.ndarray] | None = None
        self._background_count = 0
        self.approximate_from = approximate_from
        # While the dense index is rebuilt in another structure, changes are applied to the live index
        # and noted here, then replayed on the new one before it takes over.
        self._journal: list[tuple[list[int], np.ndarray | None]] | None = None
        self._generation = 0
        self._restructuring: threading.Thread | None = None
        self._unsaved = 0  # lesson changes applied since the last save
        self._saved_at = time.monotonic()
        self.questions = QuestionVectors(embedder)  # recent question vectors, so none is embedded twice

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self, progress: Progress | None = None) -> None:
        """Load the saved index, then catch up from the database."""
        rescanned = False
        with self._lock:
            loaded = DenseIndex.load(self.index_dir, self.embedder.id, self.embedder.dim)
            if loaded is not None:
                self.dense, manifest = loaded
                self.revision = manifest.revision
                indexed = set(self.dense.ids().tolist())
                text = load_text(self.index_dir, self.embedder.id, manifest.revision)
                if text is not None and set(text[2]) == indexed:
                    self.lexical, self.ngrams, self.meta = text
                    self.ngrams = self.ngrams.with_levels(COARSE)  # a file saved with 16-bit weights
                    self.languages = Counter(meta.language for meta in self.meta.values())
                    self._restricted = {i for i, m in self.meta.items() if m.visibility is not Visibility.PUBLIC}
                else:
                    rescanned = True
                    for lesson in self.repo.iter_lessons():
                        self._index_text(lesson)
                    # Lessons deleted, or added but not saved, around the last save are dropped or re-added.
                    self._dense_remove(list(indexed - set(self.meta)))
                    missing = [i for i in self.meta if i not in indexed]
                    self._embed_into_dense(list(self.repo.get_lessons(missing).values()), None)
        if self.sync(progress=progress) == 0:
            if rescanned:
                self.save()
            self._maybe_restructure()

    def pending(self) -> int:
        """How many lesson changes the index has not applied yet."""
        return self.repo.count_changes_since(self.revision)

    def sync(self, progress: Progress | None = None) -> int:
        """Apply every lesson change after the indexed revision. Returns how many lessons changed.

        Vectors are stored in the database as they are made and the index is saved every few hundred
        lessons, so an interrupted catch-up resumes where it stopped.
        """
        with self._lock:
            if self.repo.max_revision() <= self.revision:
                return 0
            changed = 0
            while batch := self.repo.changes_since(self.revision, limit=SAVE_EVERY):
                live = [lesson for lesson in batch if lesson.findable]
                self._remove([lesson.id for lesson in batch if not lesson.findable])
                if progress and len(live) < len(batch):
                    progress(len(batch) - len(live))
                self._embed_into_dense(live, progress)
                for lesson in live:
                    self._index_text(lesson)
                self.revision = max(self.revision, batch[-1].revision)
                changed += len(batch)
                self._unsaved += len(batch)
                if self._unsaved >= max(SAVE_EVERY, len(self.meta) // 4):  # a long catch-up writes O(n)
                    self.save()
            if self._unsaved and time.monotonic() - self._saved_at >= SAVE_INTERVAL:
                self.save()
        self._maybe_restructure()
        return changed

    def rebuild(self, progress: Progress | None = None) -> int:
        """Drop the indexes and build them again from the database (cached vectors are reused)."""
        with self._lock:
            self._generation += 1
            self._journal = None
            self.dense = DenseIndex(self.embedder.dim)
            self.lexical, self.ngrams = BM25Index(), BM25Index(levels=COARSE)
            self.meta.clear()
            self.languages.clear()
            self._restricted.clear()
            self.revision = 0
            return self.sync(progress=progress)

    def save(self) -> None:
        """Write the dense index and the text side at the current revision."""
        with self._lock:
            self.dense.save(self.index_dir, self.embedder.id, self.revision)
            save_text(self.index_dir, self.embedder.id, self.revision, self.lexical, self.ngrams, self.meta)
            if self.lexical.in_memory or self.ngrams.in_memory:  # built here: from now on read from the file
                mapped = map_words(self.index_dir, self.embedder.id)
                if mapped is not None:
                    self.lexical, self.ngrams = mapped
            self._unsaved = 0
            self._saved_at = time.monotonic()

    def close(self) -> None:
        """Save what has not been saved yet (a crash instead only costs a catch-up on the next start)."""
        self.wait_for_restructure()
        with self._lock:
            if self._unsaved:
                self.save()

    # -- the dense structure -----------------------------------------------------------------------
    def _maybe_restructure(self) -> None:
        """Move the dense index to the structure its size calls for (exact below the threshold,
        IVF-SQ8 above it). The new index is built in a background thread from a snapshot, questions
        are answered by the old one meanwhile, and changes made during the build are replayed before
        the new index takes over and is saved."""
        with self._lock:
            target = choose_layout(len(self.dense), self.dense.layout, self.approximate_from)
            if target == self.dense.layout or self._journal is not None:
                return
            if (target.structure, target.nlist) == (self.dense.layout.structure, self.dense.layout.nlist):
                self.dense.layout = target  # only the cells a question visits change: nothing to rebuild
                return
            ids, vectors = self.dense.all_vectors()
            self._journal = []
            generation = self._generation
            log.info("dense index: %s -> %s for %d lessons", self.dense.layout.describe(), target.describe(), len(ids))
        thread = threading.Thread(target=self._restructure, args=(ids, vectors, target, generation),
                                  name="leerkring-restructure", daemon=True)
        self._restructuring = thread
        thread.start()

    def _restructure(self, ids: np.ndarray, vectors: np.ndarray, target: Layout, generation: int) -> None:
        try:
            new = DenseIndex.build(self.embedder.dim, ids, vectors, target)
            with self._lock:
                if generation != self._generation:
                    return
                for changed, fresh in self._journal or []:
                    if fresh is None:
                        new.remove(changed)
                    else:
                        new.upsert(changed, fresh)
                self.dense = new
                self.save()
                log.info("dense index now %s (%d lessons)", new.layout.describe(), len(new))
        except Exception:
            log.exception("rebuilding the dense index as %s failed; the current index stays", target.describe())
        finally:
            with self._lock:
                if generation == self._generation:
                    self._journal = None

    def wait_for_restructure(self, timeout: float | None = None) -> None:
        """Block until a running change of dense structure has finished (for commands that exit)."""
        thread = self._restructuring
        if thread is not None:
            thread.join(timeout)

    def _dense_upsert(self, ids: list[int], vectors: np.ndarray) -> None:
        self.dense.upsert(ids, vectors)
        if self._journal is not None:
            self._journal.append((ids, vectors))

    def _dense_remove(self, ids: list[int]) -> None:
        self.dense.remove(ids)
        if self._journal is not None and ids:
            self._journal.append((ids, None))

    # -- indexing --------------------------------------------------------------------------------
    def _remove(self, ids: list[int]) -> None:
        self._dense_remove(ids)
        for lesson_id in ids:
            self.lexical.remove(lesson_id)
            self.ngrams.remove(lesson_id)
            gone = self.meta.pop(lesson_id, None)
            self._restricted.discard(lesson_id)
            if gone is not None:
                self.languages[gone.language] -= 1

    def _index_text(self, lesson: Lesson) -> None:
        terms = tokenize(lesson.search_text())
        self.lexical.add(lesson.id, terms)
        self.ngrams.add(lesson.id, char_ngrams(terms))
        old = self.meta.get(lesson.id)
        if old is not None:
            self.languages[old.language] -= 1
        meta = self.meta[lesson.id] = LessonMeta.of(lesson)
        self.languages[meta.language] += 1
        if meta.visibility is Visibility.PUBLIC:
            self._restricted.discard(lesson.id)
        else:
            self._restricted.add(lesson.id)

    def _embed_into_dense(self, lessons: list[Lesson], progress: Progress | None) -> None:
        if not lessons:
            return
        from bot.storage.repository import content_hash

        texts = {lesson.id: lesson.search_text() for lesson in lessons}
        hashes = {lid: content_hash(text) for lid, text in texts.items()}
        cached = self.repo.cached_vectors(self.embedder.id, hashes)
        todo = [lid for lid in texts if lid not in cached]
        vectors = {lid: np.frombuffer(raw, dtype=np.float32) for lid, raw in cached.items()}
        if progress and cached:
            progress(len(cached))
        if todo:
            fresh = self.embedder.embed_passages([texts[lid] for lid in todo], progress=progress)
            self.repo.store_vectors(self.embedder.id, [(lid, hashes[lid], fresh[i].astype(np.float32).tobytes())
                                                       for i, lid in enumerate(todo)])
            vectors.update({lid: fresh[i] for i, lid in enumerate(todo)})
        ids = list(vectors)
        self._dense_upsert(ids, np.vstack([vectors[i] for i in ids]))

    # -- searching -------------------------------------------------------------------------------
    def background(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and covariance of the vectors a question is compared with to tell a real match from the
        usual similarity (generic texts plus a sample of lessons). A question's cosines with them then
        have mean mu.v and variance v.C.v, without a matrix product per question.

        The sample is drawn again when the collection has changed size by a tenth."""
        count = len(self.dense)
        if self._background is None or abs(count - self._background_count) > max(10, self._background_count // 10):
            generic = self._generic_background()
            ids = self.dense.ids()
            if len(ids) > BACKGROUND_SAMPLE:
                ids = np.random.default_rng(0).choice(ids, BACKGROUND_SAMPLE, replace=False)
            sample = self.dense.vectors([int(i) for i in ids])
            vectors = (np.vstack([generic, sample]) if len(sample) else generic).astype(np.float64)
            mean = vectors.mean(axis=0)
            centred = vectors - mean
            self._background = (mean, centred.T @ centred / len(vectors))
            self._background_count = count
        return self._background

    def _generic_background(self) -> np.ndarray:
        path = self.index_dir / f"background-{self.embedder.id.replace('/', '_')}.npy"
        texts = resources.files("bot.data").joinpath("background.txt").read_text(encoding="utf-8")
        lines = [line.strip() for line in texts.splitlines() if line.strip() and not line.startswith("#")]
        if path.exists():
            saved = np.load(path)
            if saved.shape == (len(lines), self.embedder.dim):
                return saved
        vectors = self.embedder.embed_passages(lines)
        self.index_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    def may_match(self, lesson_id: int, questions: list[str]) -> list[bool]:
        """For each question, whether the lesson could be a match for it: one matrix product of the lesson's
        vector with the questions' vectors (kept from earlier), judged by the match decision at its most
        lenient (a base of one lesson, every word covered). Only the questions that pass need a full search."""
        with self._lock:
            meta = self.meta.get(lesson_id)
            if meta is None or not questions:
                return [True] * len(questions)  # not indexed (yet): let the full search decide
            lesson = self.dense.vectors([lesson_id])[0].astype(np.float64)
            centre, covariance = self.background()
        rows: list[tuple[int, str, str]] = []  # (which question, the text embedded, its language)
        for i, question in enumerate(questions):
            language = detect_language(question)
            rows.append((i, question, language))
            if language != meta.language:  # the search adds the other language's words, as a second vector
                words = dutch_terms(question) if language == "en" else english_terms(tokenize(question))
                if words:
                    rows.append((i, f"{question} {words}", language))
        vectors = self.questions.get([text for _, text, _ in rows]).astype(np.float64)
        offsets = np.asarray([self.cross_language_offset if language != meta.language else 0.0
                              for _, _, language in rows])
        cosines = vectors @ lesson + offsets
        means = vectors @ centre
        spread = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", vectors, covariance, vectors), 0.0))
        spread[spread == 0] = 1.0
        best = [-math.inf] * len(questions)
        for row, (i, _, _) in enumerate(rows):
            signals = Signals(cosine=float(cosines[row]), background_z=float((cosines[row] - means[row]) / spread[row]),
                              background_gap=float(cosines[row] - means[row]), coverage=1.0, agree=True,
                              dense_rank=0, lexical_rank=0, base_size=1)
            best[i] = max(best[i], self.decision.score(signals))
        return [self.decision.kind(score) is AnswerKind.MATCH for score in best]

    def neighbours(self, lesson_id: int, k: int = 3) -> list[tuple[int, float]]:
        """The lessons whose vectors are closest to this lesson's (candidates to merge), with their cosine."""
        with self._lock:
            if lesson_id not in self.meta:
                return []
            vector = self.dense.vectors([lesson_id])[0]
            return [(doc, score) for doc, score in self.dense.search(vector, k + 1) if doc != lesson_id][:k]

    def _passing(self, filters: Filters) -> set[int]:
        named = registry().lookup(filters.municipality) if filters.municipality else None
        code = named.code if named else None
        return {i for i, meta in self.meta.items() if meta.passes(filters, code)}

    def browse(self, filters: Filters, *, k: int,
               exclude: Callable[[int, LessonMeta], bool] | None = None) -> list[int]:
        """The lessons that pass `filters` (and not `exclude`), newest first: a listing, no question."""
        with self._lock:
            passing = self._passing(filters)
            dated = [(self.meta[i].created_at, i) for i in passing if exclude is None or not exclude(i, self.meta[i])]
        return [i for _, i in heapq.nlargest(k, dated)]

    def _without_hidden(self, exclude: Callable[[int, LessonMeta], bool],
                        *lists: list[tuple[int, float]]) -> list[list[tuple[int, float]]]:
        """The candidate lists without what `exclude` hides, asked once per lesson. A rule that never hides a
        public lesson (`public_visible`) is asked about the others only."""
        candidates = {doc for results in lists for doc, _ in results}
        if getattr(exclude, "public_visible", False):
            candidates &= self._restricted
        hidden = {doc for doc in candidates if exclude(doc, self.meta[doc])}
        return [[(doc, s) for doc, s in results if doc not in hidden] if hidden else results for results in lists]

    def _dense_search(self, vectors: list[np.ndarray], allowed: Collection[int] | None,
                      language: str) -> list[tuple[int, float]]:
        """The dense candidates for one or more query vectors: each lesson with its best cosine, on the
        scale of the question's `language` (see CROSS_LANGUAGE_OFFSET)."""
        if len(vectors) == 1:
            found = self.dense.search(vectors[0], CANDIDATES, allowed)
        else:
            best: dict[int, float] = {}
            for vector in vectors:
                for doc, score in self.dense.search(vector, CANDIDATES, allowed):
                    best[doc] = max(score, best.get(doc, -1.0))
            found = list(best.items())
        if self.cross_language_offset and self.languages[_OTHER[language]] > 0:  # else every lesson is on its scale
            found = [(doc, self._on_scale(doc, score, language)) for doc, score in found]
        return sorted(found, key=lambda item: (-item[1], item[0]))[:CANDIDATES]

    def _on_scale(self, doc: int, cosine: float, language: str) -> float:
        meta = self.meta.get(doc)
        return cosine + self.cross_language_offset if meta is not None and meta.language != language else cosine

    def _gram_list(self, terms: list[str], allowed: Collection[int] | None) -> list[tuple[int, float]]:
        return self.ngrams.search(char_ngrams(terms), CANDIDATES, allowed, budget=GRAM_BUDGET)

    def _retrieve(self, vectors: list[np.ndarray], terms: list[str], allowed: Collection[int] | None,
                  language: str) -> tuple[list[tuple[int, float]], list[tuple[int, float]], list[tuple[int, float]]]:
        """The three candidate lists (dense, words, 4-grams). On a large base the 4-gram list, the longest, is
        searched in the words thread while this one scans the vectors and then the words; the caller holds
        the lock throughout, so the indexes do not change underneath either."""
        grams: Future[list[tuple[int, float]]] | None = None
        if len(self.meta) >= PARALLEL_FROM:
            grams = _words_thread().submit(self._gram_list, terms, allowed)
        try:
            dense = self._dense_search(vectors, allowed, language)
            lexical = self.lexical.search(terms, CANDIDATES, allowed)
        finally:
            ngram = grams.result() if grams is not None else None
        return dense, lexical, ngram if ngram is not None else self._gram_list(terms, allowed)

    def search(self, question: str, *, filters: Filters | None = None, k: int = 10,
               exclude: Callable[[int, LessonMeta], bool] | None = None,
               query_vector: np.ndarray | None = None, prefer: tuple[str, str] | None = None) -> SearchResult:
        """Rank lessons for a question. `exclude` hides lessons the asker may not see; `prefer`
        (province, size class) lifts lessons from similar municipalities a little."""
        filters = filters or Filters()
        terms = tokenize(question)
        language = detect_language(question)
        # When the base holds lessons in the other language, a question also searches with that language's
        # words for its municipal terms (Dutch lessons for an English question, English lessons for a Dutch
        # one); its word coverage is judged on whichever of the two term sets a lesson covers best.
        other_words = ""
        if self.languages[_OTHER[language]] > 0:
            other_words = dutch_terms(question) if language == "en" else english_terms(terms)
        translated = [t for t in tokenize(other_words) if t not in terms]
        coverage_sets = [terms, translated] if translated else [terms]
        terms = terms + translated
        vector = query_vector if query_vector is not None else self.questions.get([question])[0]
        # e5 bridges languages weakly for short questions: the question with those words added is searched
        # too, and each lesson keeps the better of its two cosines.
        vectors = [vector]
        if translated:
            vectors.append(self.questions.get([f"{question} {other_words}"])[0])
        with self._lock:
            allowed: Collection[int] | None = None
            if not filters.is_empty():
                allowed = self._passing(filters)
                if not allowed:
                    return SearchResult()
            dense, lexical, ngram = self._retrieve(vectors, terms, allowed, language)
            if exclude is not None:
                dense, lexical, ngram = self._without_hidden(exclude, dense, lexical, ngram)
            if not dense and not lexical and not ngram:
                return SearchResult()
            fused = fuse((dense, self.weights.dense), (lexical, self.weights.lexical),
                         (ngram, self.weights.ngram))
            if prefer is not None:
                fused = sorted(((doc, score + similarity_bonus(self.meta[doc], prefer)) for doc, score in fused),
                               key=lambda item: (-item[1], item[0]))
            fused = fused[:k]
            centre, covariance = self.background()
            query = vector.astype(np.float64)
            mean = float(centre @ query)
            std = math.sqrt(max(float(np.einsum("i,ij,j->", query, covariance, query)), 0.0)) or 1.0
            dense_scores = dict(dense)
            dense_rank = {doc: r for r, (doc, _) in enumerate(dense)}
            lexical_rank = {doc: r for r, (doc, _) in enumerate(lexical)}
            ranked = []
            docs = [doc for doc, _ in fused]
            coverages = [max(pair) for pair in zip(*(self.lexical.coverages(t, docs) for t in coverage_sets),
                                                   strict=True)]
            size = len(allowed) if allowed is not None else len(self.meta)
            for (doc, score), coverage in zip(fused, coverages, strict=True):
                cosine = dense_scores.get(doc)
                if cosine is None:
                    stored = self.dense.vectors([doc])[0]
                    cosine = self._on_scale(doc, max(float(stored @ v) for v in vectors), language)
                d_rank, l_rank = dense_rank.get(doc), lexical_rank.get(doc)
                signals = Signals(cosine=cosine, background_z=(cosine - mean) / std, background_gap=cosine - mean,
                                  coverage=coverage,
                                  agree=d_rank is not None and d_rank < 10 and l_rank is not None and l_rank < 10,
                                  dense_rank=CANDIDATES if d_rank is None else d_rank,
                                  lexical_rank=CANDIDATES if l_rank is None else l_rank, base_size=size)
                decided = self.decision.score(signals)
                ranked.append(Scored(doc, score, self.decision.kind(decided), decided, signals, d_rank, l_rank))
            return SearchResult(ranked)
