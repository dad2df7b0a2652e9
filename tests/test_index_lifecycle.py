"""The index is derived data: it survives restarts, catches up, and rebuilds itself when needed."""

from __future__ import annotations

import pytest
from helpers import ANNA, asker, capture

from bot.bootstrap import bootstrap
from bot.model import Filters
from bot.search.dense import DenseIndex
from bot.search.embedder import HashingEmbedder


class CountingEmbedder(HashingEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.passages = 0

    def embed_passages(self, texts, progress=None):
        self.passages += len(texts)
        return super().embed_passages(texts, progress)


def test_restart_loads_the_saved_index_without_re_embedding(settings):
    first = bootstrap(settings, embedder=CountingEmbedder())
    capture(first.service, "Energiecoaches bij huishoudens met een laag inkomen. #energiearmoede")
    first.close()
    embedder = CountingEmbedder()
    second = bootstrap(settings, embedder=embedder)
    assert embedder.passages == 0
    assert second.service.ask("energiecoaches energiearmoede", asker()).answer.hits
    second.close()


def test_a_second_process_catches_up_with_additions_edits_and_deletions(settings):
    writer = bootstrap(settings, embedder=HashingEmbedder())
    reader_settings = settings.model_copy(update={"index_dir": settings.index_dir.parent / "replica-index"})
    reader = bootstrap(reader_settings, embedder=HashingEmbedder())
    lesson = capture(writer.service, "Groene schoolpleinen, ontworpen door kinderen. #groen", message_id="m1").lesson
    assert reader.service.ask("groene schoolpleinen kinderen", asker()).answer.hits
    capture(writer.service, "Regentonnen bij scholen, ontworpen door kinderen. #groen", message_id="m1")
    hits = reader.service.ask("regentonnen scholen", asker()).answer.hits
    assert hits and "Regentonnen" in hits[0].lesson.text
    writer.service.delete_lesson(ANNA, lesson.id)
    assert reader.service.ask("regentonnen scholen", asker()).answer.hits == []
    writer.close()
    reader.close()


def test_damaged_index_file_is_rebuilt_from_the_database_using_cached_vectors(settings):
    first = bootstrap(settings, embedder=HashingEmbedder())
    capture(first.service, "Burgerberaad over de energietransitie. #burgerberaad")
    first.close()
    index_path, _ = DenseIndex.paths(settings.index_dir, HashingEmbedder().id)
    index_path.write_bytes(b"not a faiss index")
    embedder = CountingEmbedder()
    second = bootstrap(settings, embedder=embedder)
    assert embedder.passages == 0  # vectors came from the database cache
    assert second.service.ask("burgerberaad energietransitie", asker()).answer.hits
    second.close()


def test_another_embedder_gets_its_own_index(settings):
    first = bootstrap(settings, embedder=HashingEmbedder(256))
    capture(first.service, "Taalcafé voor nieuwkomers in de bibliotheek. #taal")
    first.close()
    embedder = CountingEmbedder()
    embedder.dim, embedder.id = 128, "hashing-128"
    second = bootstrap(settings, embedder=embedder)
    assert embedder.passages == 1 and len(second.engine.dense) == 1
    second.close()


def test_a_capture_is_kept_even_when_indexing_fails(app):
    class Broken(HashingEmbedder):
        def embed_passages(self, texts, progress=None):
            raise RuntimeError("model crashed")

    app.engine.embedder = Broken()
    result = capture(app.service, "Wijkmanager per wijk: meldingen sneller opgepakt. #wijken")
    assert app.repo.get_lesson(result.lesson.id) is not None
    app.engine.embedder = HashingEmbedder()
    assert app.service.ask("wijkmanager meldingen", asker()).answer.hits  # the next sync picks it up


def test_full_rebuild_gives_the_same_answers(app):
    capture(app.service, "Deelauto's in een nieuwbouwwijk; bezoekers parkeren in de buurt. #mobiliteit")
    before = [h.lesson.id for h in app.service.ask("deelauto parkeren", asker()).answer.hits]
    app.engine.rebuild()
    assert [h.lesson.id for h in app.service.ask("deelauto parkeren", asker()).answer.hits] == before


def test_an_interrupted_catch_up_resumes_without_embedding_again(settings):
    from bot.importer import import_file
    from bot.search import engine as engine_module

    class FailsAfter(CountingEmbedder):
        def __init__(self, limit: int) -> None:
            super().__init__()
            self.limit = limit

        def embed_passages(self, texts, progress=None):
            if self.passages + len(texts) > self.limit:
                raise KeyboardInterrupt  # the operator pressed Ctrl-C
            return super().embed_passages(texts, progress)

    rows = settings.data_dir.parent / "many.jsonl"
    rows.write_text("".join(f'{{"id": "r{i}", "text": "Les nummer {i} over wijkbudget {i}."}}\n' for i in range(30)))
    original = engine_module.SAVE_EVERY
    engine_module.SAVE_EVERY = 10
    try:
        app = bootstrap(settings, embedder=FailsAfter(limit=20))
        import_file(app.repo, rows)
        with pytest.raises(KeyboardInterrupt):
            app.engine.sync()
        assert app.engine.embedder.passages == 20
        app.close()
        embedder = CountingEmbedder()
        resumed = bootstrap(settings, embedder=embedder)
        assert embedder.passages == 10  # only what was not embedded before
        assert len(resumed.engine.dense) == 30
        resumed.close()
    finally:
        engine_module.SAVE_EVERY = original


def test_restart_loads_the_saved_text_index_instead_of_reading_every_lesson(settings, monkeypatch):
    from bot.search import snapshot
    from bot.storage.repository import Repository

    first = bootstrap(settings, embedder=HashingEmbedder())
    capture(first.service, "Burgerberaad over de energietransitie in Zwolle. #burgerberaad", message_id="m1")
    capture(first.service, "Jongerenraad adviseert over het wijkbudget. #jeugd", message_id="m2")
    expected = [(s.lesson_id, round(s.score, 6)) for s in first.engine.search("jongerenraad wijkbudget").ranked]
    first.close()

    def no_full_scan(self, batch=500):  # type: ignore[no-untyped-def]
        raise AssertionError("every lesson was read again")

    monkeypatch.setattr(Repository, "iter_lessons", no_full_scan)
    second = bootstrap(settings, embedder=HashingEmbedder())
    assert [(s.lesson_id, round(s.score, 6)) for s in second.engine.search("jongerenraad wijkbudget").ranked] \
        == expected
    assert second.engine.search("zwolle", filters=Filters(municipality="Zwolle")).ranked
    # A change after the save is caught up from the database, as before.
    capture(second.service, "Wijkbudget voor ouderen in Deventer. #ouderen", message_id="m3")
    second.close()
    monkeypatch.undo()
    # A damaged text index is rebuilt from the database.
    data_path, _ = snapshot.paths(settings.index_dir, HashingEmbedder().id)
    data_path.write_bytes(data_path.read_bytes()[:100])
    third = bootstrap(settings, embedder=HashingEmbedder())
    found_by_word = [s for s in third.engine.search("wijkbudget").ranked if s.lexical_rank is not None]
    assert len(found_by_word) == 2 and len(third.engine.meta) == 3
    third.close()


def test_word_matrices_built_in_memory_are_read_from_the_saved_file_afterwards(settings, monkeypatch):
    """Once the word matrices are built (many lessons at once), a save leaves them for the file it wrote:
    the process reads them from there, and every answer stays as it was, before and after more changes."""
    from bot.search import lexical

    monkeypatch.setattr(lexical, "REBUILD_AFTER", 3)
    app = bootstrap(settings, embedder=HashingEmbedder())
    for n, text in enumerate(["Burgerberaad over de energietransitie. #burgerberaad",
                              "Jongerenraad adviseert over het wijkbudget. #jeugd",
                              "Wijkbudget voor ouderen in Deventer. #ouderen",
                              "Buurtpreventie met bewoners in drie wijken. #veiligheid",
                              "Energiecoaches bij huishoudens met een laag inkomen. #energiearmoede"]):
        capture(app.service, text, message_id=f"m{n}")
    questions = ["jongerenraad wijkbudget", "energie bewoners", "ouderen in de wijk"]

    def answers() -> list[list[tuple[int, float]]]:
        return [[(s.lesson_id, round(s.score, 6)) for s in app.engine.search(q).ranked] for q in questions]

    app.engine.lexical._rebuild()
    app.engine.ngrams._rebuild()
    before = answers()
    assert app.engine.lexical.in_memory and app.engine.ngrams.in_memory
    app.engine.save()
    assert not app.engine.lexical.in_memory and not app.engine.ngrams.in_memory
    assert answers() == before
    capture(app.service, "Wijkbudget met een jongerenpanel in Zwolle. #jeugd", message_id="m9")
    assert app.service.ask("jongerenpanel wijkbudget", asker()).answer.hits[0].lesson.text.startswith("Wijkbudget met")
    app.close()


def test_word_lists_searched_beside_the_vectors_give_the_same_answers(app, monkeypatch):
    """On a large base the word lists are searched in a second thread while the vectors are scanned: the
    ranking is the one the lists give one after another, with filters and a visibility rule, and a failing
    word search reaches the asker as the error it is."""
    from bot.search import engine as engine_module

    texts = ["Burgerberaad over de energietransitie in Zwolle. #burgerberaad",
             "Jongerenraad adviseert over het wijkbudget in Deventer. #jeugd",
             "Wijkbudget voor ouderen in Deventer. #ouderen",
             "Buurtpreventie met bewoners in drie wijken van Zwolle. #veiligheid",
             "Energiecoaches bij huishoudens met een laag inkomen in Utrecht. #energiearmoede"]
    for n, text in enumerate(texts):
        capture(app.service, text, message_id=f"m{n}")
    searches = [("jongerenraad wijkbudget", {}), ("energie bewoners", {}),
                ("wijkbudget", {"filters": Filters(municipality="Deventer")}),
                ("zwolle", {"exclude": lambda doc, meta: doc % 2 == 0})]

    def answers() -> list[list[tuple[int, float, int | None, int | None]]]:
        return [[(s.lesson_id, round(s.score, 6), s.dense_rank, s.lexical_rank)
                 for s in app.engine.search(q, **kw).ranked] for q, kw in searches]

    import threading

    one_after_another = answers()
    monkeypatch.setattr(engine_module, "PARALLEL_FROM", 1)
    threads: set[str] = set()
    search_grams = app.engine.ngrams.search

    def noting(*args, **kwargs):  # type: ignore[no-untyped-def]
        threads.add(threading.current_thread().name)
        return search_grams(*args, **kwargs)

    monkeypatch.setattr(app.engine.ngrams, "search", noting)
    assert answers() == one_after_another and all(one_after_another)
    assert threads and all(name.startswith("leerkring-words") for name in threads)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("word index unreadable")

    monkeypatch.setattr(app.engine.ngrams, "search", broken)
    with pytest.raises(RuntimeError, match="unreadable"):
        app.engine.search("wijkbudget")
