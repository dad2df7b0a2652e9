"""Past a size threshold the dense index becomes approximate (IVF-SQ8) without a pause in answering."""

from __future__ import annotations

import json
import math
import random
import threading
from pathlib import Path

import numpy as np
import pytest

from bot.bootstrap import bootstrap
from bot.config import Settings
from bot.importer import import_file
from bot.model import Filters
from bot.search import dense as dense_module
from bot.search.dense import (
    APPROXIMATE_FROM,
    FLAT,
    FLAT_SQ8,
    IVF_SQ8,
    DenseIndex,
    Layout,
    choose_layout,
    probes,
)
from bot.search.embedder import HashingEmbedder


def clustered(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors around a few hundred centres, like sentence embeddings of related texts."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(300, dim))
    vectors = centres[rng.integers(0, len(centres), n)] + 0.35 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_layout_is_exact_below_the_threshold_and_ivf_above_it_without_flapping():
    assert choose_layout(19_999).structure == FLAT
    assert choose_layout(20_000).structure == choose_layout(99_999).structure == FLAT_SQ8
    big = choose_layout(1_000_000)
    assert big.structure == IVF_SQ8 and big.nlist == 4096 and 0 < big.nprobe < big.nlist
    # Just under the threshold an approximate index stays approximate; far under it, it goes back.
    at_switch = choose_layout(100_000)
    assert at_switch.structure == IVF_SQ8
    assert choose_layout(75_000, at_switch).nlist == at_switch.nlist
    assert choose_layout(75_000, at_switch).structure == IVF_SQ8
    assert choose_layout(45_000, at_switch).structure == FLAT_SQ8
    # 8-bit codes go back to float32 only well below their threshold
    assert choose_layout(15_000, Layout(FLAT_SQ8)).structure == FLAT_SQ8
    assert choose_layout(9_000, Layout(FLAT_SQ8)).structure == FLAT
    # a low approximate threshold (LEERKRING_APPROXIMATE_FROM) leaves no room for the 8-bit full scan
    assert choose_layout(5_000, approximate_from=10_000).structure == FLAT
    # Grown fourfold since its cells were trained: retrained with more cells.
    assert choose_layout(1_200_000, at_switch).nlist > at_switch.nlist


def test_a_question_visits_the_measured_share_of_cells():
    """A quarter of the cells at 100,000 lessons and a tenth at 1M (each recall@10 0.957 of exact search in
    docs/benchmarks.md), between an eighth and a quarter at 200,000 (0.954-0.972 there), never more cells than
    there are, and the share follows the size while the cells stay."""
    assert choose_layout(100_000).nprobe == 1024 // 4
    assert choose_layout(1_000_000).nprobe == math.ceil(4096 / 10)
    assert 2048 // 8 < choose_layout(200_000).nprobe < 2048 // 4
    assert choose_layout(8_000_000).nprobe == math.ceil(choose_layout(8_000_000).nlist / 10)
    assert probes(1000, 64) == 16 and probes(10**9, 32) == 16
    kept = choose_layout(150_000, choose_layout(100_000))
    assert kept.nlist == 1024 and choose_layout(100_000).nprobe > kept.nprobe > 1024 // 10
    assert Settings(_env_file=None).approximate_from == APPROXIMATE_FROM  # type: ignore[call-arg]


def test_the_8_bit_full_scan_finds_what_float32_finds_and_supports_edits(tmp_path: Path):
    vectors = clustered(6000)
    ids = np.arange(1000, 7000)
    exact = DenseIndex.build(64, ids, vectors, Layout())
    coded = DenseIndex.build(64, ids, vectors, Layout(FLAT_SQ8))
    noisy = vectors[:50] + 0.2 * np.random.default_rng(1).normal(size=(50, 64))
    queries = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    overlap = [len({i for i, _ in exact.search(q, 10)} & {i for i, _ in coded.search(q, 10)}) / 10 for q in queries]
    assert np.mean(overlap) >= 0.95
    assert coded.nbytes() < exact.nbytes() / 3  # a byte per dimension instead of four
    coded.remove([1000])
    coded.upsert([1002], -vectors[2:3])
    assert len(coded) == 5999 and 1000 not in set(coded.ids().tolist())
    assert coded.search(-vectors[2], 1)[0][0] == 1002
    assert [i for i, _ in coded.search(vectors[5], 3, allowed={1005, 1006})] == [1005, 1006]
    coded.save(tmp_path, "model", revision=3)
    loaded, manifest = DenseIndex.load(tmp_path, "model", 64)  # type: ignore[misc]
    assert manifest.structure == FLAT_SQ8 and loaded.structure == FLAT_SQ8 and len(loaded) == 5999
    assert loaded.search(-vectors[2], 1)[0][0] == 1002
    back_ids, back = loaded.all_vectors()
    assert len(back_ids) == 5999 and np.allclose(back[list(back_ids).index(1500)], vectors[500], atol=0.02)


def test_ivf_finds_nearly_what_exact_search_finds_and_supports_edits(tmp_path: Path):
    vectors = clustered(6000)
    ids = np.arange(1000, 7000)
    exact = DenseIndex.build(64, ids, vectors, Layout())
    approx = DenseIndex.build(64, ids, vectors, Layout(IVF_SQ8, 64, 16))
    noisy = vectors[:50] + 0.2 * np.random.default_rng(1).normal(size=(50, 64))
    queries = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    overlap = [len({i for i, _ in exact.search(q, 10)} & {i for i, _ in approx.search(q, 10)}) / 10 for q in queries]
    assert np.mean(overlap) >= 0.9
    # Edits, deletes and lookups by id work on the approximate structure.
    approx.remove([1000, 1001])
    approx.upsert([1002], -vectors[2:3])
    assert len(approx) == 5998
    assert 1000 not in set(approx.ids().tolist())
    assert approx.search(-vectors[2], 1)[0][0] == 1002
    assert np.allclose(approx.vectors([1500]), vectors[500], atol=0.02)
    # Saved and loaded, it keeps its structure; the manifest says which one it is.
    manifest = approx.save(tmp_path, "model", revision=7)
    assert (manifest.structure, manifest.params["nlist"]) == (IVF_SQ8, 64)
    loaded, again = DenseIndex.load(tmp_path, "model", 64)  # type: ignore[misc]
    assert loaded.layout == Layout(IVF_SQ8, 64, 16) and again.revision == 7 and len(loaded) == 5998
    assert loaded.search(-vectors[2], 1)[0][0] == 1002
    assert json.loads(DenseIndex.paths(tmp_path, "model")[1].read_text())["structure"] == "ivf-sq8"


def test_a_selective_filter_on_the_approximate_index_still_fills_the_page():
    vectors = clustered(6000)
    index = DenseIndex.build(64, np.arange(6000), vectors, Layout(IVF_SQ8, 64, 2))
    query = vectors[0]
    far = [int(i) for i in np.argsort(vectors @ query)[:15]]  # the lessons least like the question
    found = index.search(query, 10, allowed=set(far))
    assert len(found) == 10 and {i for i, _ in found} <= set(far)
    assert [i for i, _ in index.search(query, 10, allowed={far[0]})] == [far[0]]


def lessons_file(path: Path, count: int) -> Path:
    rng = random.Random(3)
    words = ("wijkbudget jongerenraad energiearmoede schuldhulp mantelzorg omgevingswet burgerberaad loting "
             "taalcafé deelauto afvalscheiding schoolplein buurthuis dorpsbelangen groen vrijwilligers").split()
    places = ["Zwolle", "Deventer", "Utrecht", "Tilburg", "Almere", "Houten"]
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            picked = rng.sample(words, 4)
            handle.write(json.dumps({"id": f"l{n}", "text": f"Les {n}: {picked[0]} met {picked[1]}, {picked[2]} "
                                     f"en {picked[3]}.", "municipality": places[n % len(places)],
                                     "outcome": "gelukt"}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture()
def small_threshold(settings):
    return settings.model_copy(update={"approximate_from": 1000})


def test_crossing_the_threshold_switches_structure_while_questions_are_answered(small_threshold, tmp_path,
                                                                                monkeypatch):
    app = bootstrap(small_threshold, embedder=HashingEmbedder())
    import_file(app.repo, lessons_file(tmp_path / "a.jsonl", 900), platform="test")
    app.engine.sync()
    assert app.engine.dense.structure == FLAT
    # Hold the build of the new structure until the test has asked, edited and deleted meanwhile.
    release, building = threading.Event(), threading.Event()
    real_build = DenseIndex.build

    def slow_build(*args, **kwargs):
        building.set()
        assert release.wait(30)
        return real_build(*args, **kwargs)

    monkeypatch.setattr(dense_module.DenseIndex, "build", staticmethod(slow_build))
    import_file(app.repo, lessons_file(tmp_path / "b.jsonl", 1200), platform="test2")
    app.engine.sync()
    assert building.wait(10)
    assert app.engine.dense.structure == FLAT  # the old index keeps answering during the build
    ranked = app.engine.search("wijkbudget jongerenraad", k=10).ranked
    assert len(ranked) == 10
    doomed = ranked[0].lesson_id
    app.repo.delete_lesson(doomed)
    app.engine.sync()  # applied to the live index and noted for the one being built
    release.set()
    app.engine.wait_for_restructure(30)
    assert app.engine.dense.structure == IVF_SQ8
    assert len(app.engine.dense) == 2099 and doomed not in set(app.engine.dense.ids().tolist())
    assert doomed not in {s.lesson_id for s in app.engine.search("wijkbudget jongerenraad", k=50).ranked}
    manifest = json.loads(DenseIndex.paths(small_threshold.index_dir, HashingEmbedder().id)[1].read_text())
    assert manifest["structure"] == IVF_SQ8 and manifest["count"] == 2099
    # A selective filter still answers from the approximate index.
    hits = app.engine.search("wijkbudget jongerenraad", filters=Filters(municipality="Houten"), k=10).ranked
    assert len(hits) == 10 and all(app.engine.meta[h.lesson_id].municipality == "houten" for h in hits)
    app.close()
    # A restart loads the approximate index as saved.
    again = bootstrap(small_threshold, embedder=HashingEmbedder())
    assert again.engine.dense.structure == IVF_SQ8 and len(again.engine.dense) == 2099
    assert len(again.engine.search("energiearmoede schuldhulp", k=10).ranked) == 10
    again.close()


def test_growing_within_the_same_cells_changes_only_the_share_visited(small_threshold, tmp_path, monkeypatch):
    app = bootstrap(small_threshold, embedder=HashingEmbedder())
    import_file(app.repo, lessons_file(tmp_path / "a.jsonl", 2000), platform="test")
    app.engine.sync()
    app.engine.wait_for_restructure(30)
    before = app.engine.dense.layout
    assert before.structure == IVF_SQ8
    # Shares measured on a smaller scale, so that 2,000 and 3,000 lessons sit on the slope between them.
    monkeypatch.setattr(dense_module, "PROBE_SHARE_AT", ((1000, 0.5), (10_000, 0.2)))

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the cells stay: nothing is rebuilt")

    monkeypatch.setattr(dense_module.DenseIndex, "build", staticmethod(no_rebuild))
    import_file(app.repo, lessons_file(tmp_path / "b.jsonl", 1000), platform="test2")
    app.engine.sync()
    app.engine.wait_for_restructure(30)
    after = app.engine.dense.layout
    assert (after.structure, after.nlist) == (IVF_SQ8, before.nlist) and after.nprobe != before.nprobe
    assert after.nprobe == probes(3000, before.nlist)
    assert len(app.engine.search("wijkbudget jongerenraad", k=10).ranked) == 10
    app.close()
    manifest = json.loads(DenseIndex.paths(small_threshold.index_dir, HashingEmbedder().id)[1].read_text())
    assert manifest["params"] == {"nlist": before.nlist, "nprobe": after.nprobe} and manifest["count"] == 3000
