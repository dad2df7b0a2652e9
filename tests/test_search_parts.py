from pathlib import Path

import numpy as np
import pytest

from bot.model import AnswerKind
from bot.search.decision import MatchDecision, Signals
from bot.search.dense import DenseIndex
from bot.search.fusion import fuse
from bot.search.lexical import COARSE, LEVELS, BM25Index
from bot.search.text import char_ngrams, tokenize


def test_tokenize_stems_dutch_drops_stopwords_and_keeps_abbreviations():
    terms = tokenize("Heeft een gemeente de AVG en RES al eens geprobeerd met woningen?")
    assert "avg" in terms and "res" in terms
    assert "een" not in terms and "heeft" not in terms
    assert tokenize("woningen") == tokenize("woning")


def test_municipality_aliases_meet_in_the_index():
    assert "gm:gm0518" in tokenize("Ervaring in Den Haag") and "gm:gm0518" in tokenize("in 's-Gravenhage")


def test_char_ngrams_let_compounds_meet_their_parts():
    assert set(char_ngrams(tokenize("begroting"))) & set(char_ngrams(tokenize("burgerbegroting")))


def test_bm25_ranks_the_document_with_rare_terms_first_and_handles_removal():
    index = BM25Index()
    index.add(1, tokenize("afval scheiden in de wijk"))
    index.add(2, tokenize("burgerbegroting in de wijk"))
    index.add(3, tokenize("wijk wijk wijk"))
    assert index.search(tokenize("burgerbegroting wijk"))[0][0] == 2
    index.remove(2)
    assert 2 not in {doc for doc, _ in index.search(tokenize("burgerbegroting"))}
    assert index.search(tokenize("wijk"), allowed={1}) == [(1, index.search(tokenize("wijk"), allowed={1})[0][1])]


def test_fuse_keeps_documents_found_by_one_retriever():
    fused = dict(fuse(([(1, 0.9), (2, 0.8), (3, 0.1)], 0.5), ([(4, 12.0), (1, 6.0)], 0.5)))
    assert set(fused) == {1, 2, 3, 4}
    assert max(fused, key=fused.get) == 1  # found by both


def _signals(gap: float, coverage: float, agree: bool, rank: int, size: int = 200) -> Signals:
    return Signals(cosine=0.8 + gap, background_z=gap * 20, background_gap=gap, coverage=coverage, agree=agree,
                   dense_rank=rank, lexical_rank=rank, base_size=size)


def test_match_decision_needs_evidence_and_has_a_related_band_below_a_match():
    decision = MatchDecision()
    strong = decision.score(_signals(0.12, 0.8, True, 0))
    weak = decision.score(_signals(0.0, 0.0, False, 40))
    assert decision.kind(strong) is AnswerKind.MATCH
    assert decision.kind(weak) is AnswerKind.NONE
    assert decision.related_at < decision.match_at
    assert decision.kind((decision.related_at + decision.match_at) / 2) is AnswerKind.RELATED


def test_dense_index_saves_atomically_and_detects_damage(tmp_path: Path):
    vectors = np.eye(4, dtype=np.float32)
    index = DenseIndex(4)
    index.upsert([10, 20, 30], vectors[:3])
    index.upsert([20], vectors[3:4])  # an edit replaces, never duplicates
    assert len(index) == 3
    index.save(tmp_path, "model-a", revision=7)
    loaded, manifest = DenseIndex.load(tmp_path, "model-a", 4)
    assert manifest.revision == 7 and manifest.count == 3
    assert loaded.search(vectors[3], 1)[0][0] == 20
    assert DenseIndex.load(tmp_path, "model-b", 4) is None  # another embedder: rebuild
    index_path, _ = DenseIndex.paths(tmp_path, "model-a")
    index_path.write_bytes(index_path.read_bytes()[:-10])
    assert DenseIndex.load(tmp_path, "model-a", 4) is None  # damaged: rebuild
    assert not list(tmp_path.glob("*.tmp"))


def test_dense_search_respects_allowed_ids():
    index = DenseIndex(2)
    index.upsert([1, 2], np.array([[1, 0], [0.9, 0.1]], dtype=np.float32))
    assert [doc for doc, _ in index.search(np.array([1, 0], dtype=np.float32), 5, allowed={2})] == [2]
    assert index.search(np.array([1, 0], dtype=np.float32), 5, allowed=set()) == []


@pytest.mark.parametrize("levels", [LEVELS, COARSE])
def test_bm25_saved_and_loaded_scores_the_same_including_changes_after_the_last_build(levels):
    index = BM25Index(levels=levels)
    docs = {1: "wijkbudget jongeren stemmen", 2: "wijkbudget ouderen", 3: "energiecoach huishoudens",
            4: "jongeren raad advies jongeren"}
    for doc, text in docs.items():
        index.add(doc, text.split())
    index.search(["wijkbudget"])  # builds the matrix
    index.add(5, "jongeren wijkbudget bibliotheek".split())  # after the build: scored from its own counts
    index.remove(2)
    loaded = BM25Index.from_bytes(index.to_bytes())
    assert loaded.levels == levels
    fresh = BM25Index(levels=levels)  # the same lessons, indexed from scratch
    for doc in (1, 3, 4):
        fresh.add(doc, docs[doc].split())
    fresh.add(5, "jongeren wijkbudget bibliotheek".split())
    expected = fresh.search(["jongeren", "wijkbudget"], k=10)
    after = loaded.search(["jongeren", "wijkbudget"], k=10)
    assert [d for d, _ in after] == [d for d, _ in expected] and {d for d, _ in after} == {1, 4, 5}
    assert [round(s, 5) for _, s in after] == [round(s, 5) for _, s in expected]
    assert loaded.coverages(["jongeren", "stemmen"], [1, 4, 3]) == index.coverages(["jongeren", "stemmen"], [1, 4, 3])
    assert 2 not in loaded and len(loaded) == 4


def test_8_bit_weights_rank_as_16_bit_ones_and_survive_rebuilds_and_a_conversion():
    """The 4-gram list keeps its weights in 255 steps: on a few hundred lessons its ranking is the 16-bit
    one's (scores within a step), a rebuild recovers the same counts, and an index saved with 16-bit weights
    converts."""
    import random

    rng = random.Random(7)
    vocab = [f"g{i}" for i in range(400)]
    docs = {doc: [rng.choice(vocab) for _ in range(rng.randrange(5, 120))] for doc in range(1, 400)}
    fine, coarse = BM25Index(), BM25Index(levels=COARSE)
    for doc, terms in docs.items():
        fine.add(doc, terms)
        coarse.add(doc, terms)
    queries = [[rng.choice(vocab) for _ in range(6)] for _ in range(40)]
    step = 2.2 / COARSE * 6 * max(fine.idf(t) for t in vocab)  # one step on each of a question's six terms
    for terms in queries:
        a, b = dict(fine.search(terms, 400)), dict(coarse.search(terms, 400))
        assert a.keys() == b.keys() and max(abs(a[d] - b[d]) for d in a) <= step
    top = [coarse.search(terms, 10) for terms in queries]
    coarse.add(400, ["g1", "g2"])
    coarse._rebuild()  # counts recovered from the 8-bit weights, weighted again
    coarse.remove(400)
    coarse._rebuild()
    again = [coarse.search(terms, 10) for terms in queries]
    assert [[d for d, _ in t] for t in again] == [[d for d, _ in t] for t in top]
    converted = BM25Index.from_bytes(fine.to_bytes()).with_levels(COARSE)
    assert converted.levels == COARSE and converted._tf.dtype == np.uint8
    for terms in queries:
        a, b = dict(converted.search(terms, 400)), dict(coarse.search(terms, 400))
        assert a.keys() == b.keys() and max(abs(a[d] - b[d]) for d in a) <= step


def test_a_question_asked_again_in_another_spelling_is_embedded_once():
    from bot.search.embedder import HashingEmbedder
    from bot.search.question_vectors import QuestionVectors

    embedded: list[str] = []

    class Counting(HashingEmbedder):
        def embed_queries(self, texts):  # type: ignore[no-untyped-def]
            embedded.extend(texts)
            return super().embed_queries(texts)

    vectors = QuestionVectors(Counting())
    first = vectors.get(["Heeft iemand een jongerenraad geprobeerd?"])
    again = vectors.get(["heeft iemand  een jongerenraad geprobeerd", "Heeft iemand een jongerenraad geprobeerd?!"])
    assert embedded == ["Heeft iemand een jongerenraad geprobeerd?"]
    assert np.array_equal(first[0], again[0]) and np.array_equal(again[0], again[1])
    vectors.get(["Heeft iemand een jongerenpanel geprobeerd?"])  # another question is another question
    assert len(embedded) == 2


def test_bm25_saved_with_built_fresh_and_removed_lessons_loads_as_it_was_and_forgets_erased_words():
    import random

    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(200)]
    index = BM25Index()
    for doc in range(1, 500):
        index.add(doc, rng.choices(vocab, k=rng.randint(3, 40)))
    index.search(["w1"])  # the matrix is built
    for doc in rng.sample(range(1, 500), 50):
        index.remove(doc)  # masked in the matrix
    for doc in range(600, 650):
        index.add(doc, rng.choices(vocab, k=10))  # fresh, beside the matrix
    index.add(5000, ["geheimwoord", "w1"])
    index.remove(5000)
    loaded = BM25Index.from_bytes(index.to_bytes())
    assert "geheimwoord" not in loaded._columns and len(loaded) == len(index) == 499
    index.search(["w1"], 5)
    index._rebuild()  # nothing fresh, nothing removed: the matrix alone
    assert BM25Index.from_bytes(index.to_bytes()).search(["w1", "w2"], 20) == index.search(["w1", "w2"], 20)
    for _ in range(100):
        terms = rng.sample(vocab, 3)
        assert loaded.search(terms, 15) == index.search(terms, 15)
        shown = [doc for doc, _ in index.search(terms, 5)]
        assert loaded.coverages(terms, shown) == index.coverages(terms, shown)


def test_bm25_reads_an_index_saved_in_the_first_format():
    import io

    words = "jongeren wijkbudget stemmen".split()
    buffer = io.BytesIO()  # every lesson's columns and counts, as the first format wrote them
    np.savez(buffer, ids=np.asarray([2, 1]), sizes=np.asarray([2, 1]), cols=np.asarray([0, 1, 2], dtype=np.int32),
             counts=np.asarray([1, 2, 1], dtype=np.uint16), lengths=np.asarray([3, 1]),
             terms=np.frombuffer("\n".join(words).encode(), dtype=np.uint8), params=np.asarray([1.2, 0.75]))
    old = BM25Index.from_bytes(buffer.getvalue())
    fresh = BM25Index()
    fresh.add(2, ["jongeren", "wijkbudget", "wijkbudget"])
    fresh.add(1, ["stemmen"])
    for terms in (["jongeren"], ["wijkbudget", "stemmen"]):
        assert [d for d, _ in old.search(terms)] == [d for d, _ in fresh.search(terms)]
        assert [round(s, 4) for _, s in old.search(terms)] == [round(s, 4) for _, s in fresh.search(terms)]


def test_text_snapshot_is_mapped_from_its_file_and_reads_the_earlier_blob(tmp_path):
    """The word matrices of a saved text side are used where they lie in the file (memory-mapped, read-only),
    rank as the index that was saved, and a text side saved as one .npz blob still loads."""
    import io
    import json
    import random
    import zlib

    from bot.search import snapshot
    from bot.search.meta import dump_meta

    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(300)]
    lexical, ngrams = BM25Index(), BM25Index(levels=COARSE)
    for doc in range(1, 3000):
        words = rng.choices(vocab, k=rng.randint(3, 30))
        lexical.add(doc, words)
        ngrams.add(doc, char_ngrams(words))
    lexical.search(["w1"])
    for doc in range(3000, 3020):  # fresh beside the matrix when saved
        lexical.add(doc, rng.choices(vocab, k=8))
    snapshot.save_text(tmp_path, "model", 7, lexical, ngrams, {})
    loaded = snapshot.load_text(tmp_path, "model", 7)
    assert loaded is not None
    mapped, mapped_ngrams, _ = loaded
    assert all(_in_file(a) and not a.flags.writeable for a in (mapped._tf.data, mapped._tf.indices, mapped._tf.indptr))
    for _ in range(50):
        terms = rng.sample(vocab, 4)
        assert mapped.search(terms, 10) == lexical.search(terms, 10)
        assert mapped_ngrams.search(char_ngrams(terms), 10) == ngrams.search(char_ngrams(terms), 10)
    mapped.add(1, ["nieuw"])  # a mapped index still takes changes (beside the file)
    mapped.remove(2)
    assert mapped.search(["nieuw"])[0][0] == 1 and 2 not in dict(mapped.search(["w1"], 3000))
    assert snapshot.load_text(tmp_path, "model", 8) is None  # another revision: rebuilt instead
    assert lexical.in_memory and not mapped.in_memory

    data_path, manifest_path = snapshot.paths(tmp_path, "model")
    data_path.unlink()
    buffer = io.BytesIO()
    np.savez(buffer, lexical=np.frombuffer(lexical.to_bytes(), dtype=np.uint8),
             ngrams=np.frombuffer(ngrams.to_bytes(), dtype=np.uint8), meta=np.frombuffer(dump_meta({}), dtype=np.uint8))
    (tmp_path / "text-model.npz").write_bytes(buffer.getvalue())
    manifest_path.write_text(json.dumps({"revision": 7, "count": 0, "crc32": zlib.crc32(buffer.getvalue())}))
    earlier = snapshot.load_text(tmp_path, "model", 7)
    assert earlier is not None and earlier[0].search(["w5", "w9"], 10) == lexical.search(["w5", "w9"], 10)
    snapshot.save_text(tmp_path, "model", 8, *earlier)  # the next save writes the mapped layout
    assert data_path.exists() and not (tmp_path / "text-model.npz").exists()


def _in_file(array: np.ndarray) -> bool:
    """Whether an array's memory is a memory-mapped file (through however many views)."""
    base = array
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    return base is not None


def test_bm25_keeps_the_k_best_scores_ties_to_the_lower_id():
    """The short cut that sorts only the scores above a sampled bar gives the k best of all, exactly."""
    from bot.search.lexical import _best

    rng = np.random.default_rng(3)
    for n, k, zeros in ((50, 10, 0.0), (5000, 20, 0.0), (5000, 200, 0.9), (100_000, 200, 0.5), (3000, 200, 0.99)):
        scores = np.round(rng.random(n) * 20).astype(np.float32)  # many ties
        scores[rng.random(n) < zeros] = 0.0
        ids = rng.permutation(n * 3)[:n].astype(np.int64)
        order = sorted((i for i in range(n) if scores[i] > 0), key=lambda i: (-scores[i], ids[i]))[:k]
        assert _best(scores, ids, k).tolist() == order
    alike = np.full(200_000, 4.5, dtype=np.float32)  # lessons made of the same passages score the same
    alike[rng.integers(0, len(alike), 150)] = 7.0
    ids = rng.permutation(len(alike)).astype(np.int64)
    order = sorted(range(len(alike)), key=lambda i: (-alike[i], ids[i]))[:200]
    assert _best(alike, ids, 200).tolist() == order


def _zipf_index(rng: np.random.Generator, docs: int, levels: int) -> tuple[BM25Index, list[str]]:
    """An index whose vocabulary runs from terms nearly every lesson holds to terms a handful hold."""
    vocabulary = [f"t{i}" for i in range(3000)]
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.1
    weights /= weights.sum()
    index = BM25Index(levels=levels)
    for doc in range(docs):
        length = int(rng.integers(5, 120))
        index.add(doc * 2 + 1, [vocabulary[i] for i in rng.choice(len(vocabulary), length, p=weights)])
    index._rebuild()
    return index, vocabulary


def test_bm25_budget_scores_what_it_returns_exactly_and_keeps_nearly_all_of_the_k_best():
    """With a budget, the common terms no longer bring in lessons, but the lessons returned carry their full
    scores, and on a Zipf-shaped vocabulary nearly all of the exact k best are still found."""
    rng = np.random.default_rng(11)
    index, vocabulary = _zipf_index(rng, 6000, COARSE)
    for doc in range(1, 2000, 7):
        index.remove(doc)
    index.add(100_001, ["t0", "t1", "t2", "t900", "t901"])  # added since the build: scored in full
    kept = []
    for _question in range(30):
        terms = [vocabulary[i] for i in rng.integers(0, 30, 12)] + \
                [vocabulary[i] for i in rng.integers(200, 3000, int(rng.integers(1, 5)))]
        exact = dict(index.search(terms, k=6000))
        budgeted = index.search(terms, k=50, budget=3)
        assert [s for _, s in budgeted] == sorted((s for _, s in budgeted), reverse=True)
        assert np.allclose([s for _, s in budgeted], [exact[d] for d, _ in budgeted], rtol=1e-5)
        best = sorted(exact, key=lambda d: (-exact[d], d))[:50]
        kept.append(len(set(best) & {d for d, _ in budgeted}) / 50)
    assert min(kept) < 1.0  # the budget did leave terms out
    assert np.mean(kept) > 0.9
    assert 100_001 in dict(index.search(["t0", "t1", "t2", "t900", "t901"], k=5, budget=0.5))


def test_bm25_coverage_is_the_share_of_the_questions_idf_each_lesson_holds():
    rng = np.random.default_rng(5)
    index, _ = _zipf_index(rng, 800, LEVELS)
    by_row, names = index._tf.tocsr(), {c: t for t, c in index._columns.items()}
    held = {doc: {names[c] for c in by_row[index._row(doc)].indices} for doc in range(1, 1600, 2)}
    index.add(5001, ["t1", "t2999"])
    held[5001] = {"t1", "t2999"}
    terms = ["t0", "t3", "t40", "t700", "t2999", "nergens"]
    docs = [1, 3, 5, 801, 1599, 5001, 7777]
    total = sum(index.idf(t) for t in set(terms))
    expected = [sum(index.idf(t) for t in set(terms) & held.get(doc, set())) / total for doc in docs]
    assert np.allclose(index.coverages(terms, docs), expected)
    assert index.coverages(terms, [5001])[0] > 0.2 and index.coverages(terms, [7777]) == [0.0]


def test_bm25_budget_leaves_the_commonest_terms_of_a_query_that_holds_too_many_postings_unscanned(monkeypatch):
    from bot.search import lexical

    index = BM25Index(levels=COARSE)
    for doc in range(1, 1001):  # "<gem" in every lesson, "raad" in a fifth, "wijk" in a handful
        index.add(doc, ["<gem"] * (1 + doc % 3) + (["raad"] if doc % 5 == 0 else []) +
                  (["wijk"] if doc % 200 == 0 else []))
    index._rebuild()
    question = ["<gem", "raad", "wijk"]
    everything = index.search(question, k=2000)
    assert len(everything) == 1000  # no budget: every lesson holds a term of the question

    fitted = index.search(question, k=2000, budget=0.5)  # 1,205 postings > 500: "<gem" is not scanned
    expected = [(doc, score) for doc, score in everything if doc % 5 == 0]  # yet it still counts
    assert [doc for doc, _ in fitted] == [doc for doc, _ in expected]
    assert np.allclose([s for _, s in fitted], [s for _, s in expected], rtol=1e-6)
    top = index.search(question, k=5, budget=0.1)  # "wijk" alone finds the five best
    assert [doc for doc, _ in top] == [doc for doc, _ in everything[:5]]
    assert index.search(["<gem"], k=3, budget=0.1) == index.search(["<gem"], k=3)  # its rarest term stays
    monkeypatch.setattr(lexical, "LOOKUPS", 1)  # a long question looks up only the rarest of its common terms
    without = [(doc, score) for doc, score in index.search(["raad", "wijk"], k=2000) if doc % 200 == 0]
    shortened = index.search(question, k=20, budget=0.1)
    assert [doc for doc, _ in shortened] == [doc for doc, _ in without]
    assert np.allclose([s for _, s in shortened], [s for _, s in without], rtol=1e-6)

    monkeypatch.setattr(lexical, "STOP_FROM", 5000)  # a small base scans every term: a share of a few is noise
    assert len(index.search(question, k=2000, budget=0.5)) == 1000
