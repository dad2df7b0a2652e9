"""Cold start for benchmarks/speed.py: in a fresh process, open the saved store, embed one question with
e5 and print the first answer. speed.py times the whole process, from start to exit."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from common import rss_mb
from corpus import embedder_for


def first_answer(system: str, work: Path, embedder_name: str, question: str) -> str:
    embedder = embedder_for(embedder_name, None)
    if system == "leerkring":
        from leerkring_bench import settings_for

        from bot.bootstrap import bootstrap
        from bot.model import Asker
        from bot.render import render_answer

        app = bootstrap(settings_for(work, embedder_name), embedder=embedder)
        try:
            answer = render_answer(app.service.ask(question, Asker("bench", "u1", "Bench", "c1")).answer)
            return f"{answer}\nRSS {rss_mb():.1f}"  # held while serving, before anything is closed
        finally:
            app.close()
    if system == "leerkring-dense":
        from bot.search.dense import DenseIndex

        loaded = DenseIndex.load(work / "index", embedder.id, embedder.dim)
        assert loaded is not None, "no saved index"
        hits = loaded[0].search(embedder.embed_queries([question])[0], 10)
        db = sqlite3.connect(work / "lessons.sqlite3")
        row = db.execute("SELECT municipality, text FROM lessons WHERE id = ?", (hits[0][0],)).fetchone()
        return f"{row[0]}: {row[1][:200]}\nRSS {rss_mb():.1f}"
    from store_bench import open_store

    if system == "chromadb":
        _, collection = open_store("chromadb", work, embedder)
        found = collection.query(query_embeddings=embedder.embed_queries([question]), n_results=10,
                                 include=["documents", "metadatas"])
        return f"{found['metadatas'][0][0]['municipality']}: {found['documents'][0][0][:200]}\nRSS {rss_mb():.1f}"
    from store_bench import SELECT

    _, embeddings = open_store("txtai", work, embedder)
    best = embeddings.search(SELECT, 10, parameters={"q": question})[0]
    return f"{best['municipality']}: {best['text'][:200]}\nRSS {rss_mb():.1f}"
