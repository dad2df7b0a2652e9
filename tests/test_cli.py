"""The `leerkring` command as an operator uses it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.fixture
def env(settings) -> dict[str, str]:
    return {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
            "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"}


def invoke(env, *args):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


ROWS = [
    {"id": "a1", "text": "Burgerbegroting in de wijk; 2.300 stemmers. Het is gelukt.", "municipality": "Zwolle",
     "themes": ["burgerbegroting"], "contact": "Fenna Dijkstra"},
    {"id": "a2", "text": "Burgerbegroting binnenstad, jongeren niet bereikt.", "municipality": "Deventer",
     "outcome": "mislukt", "themes": "burgerbegroting|inclusie"},
    {"id": "a3", "text": "   "},
    {"id": "a4", "text": "Energiecoaches bij huishoudens met een laag inkomen.", "municipality": "Den Haag"},
]


def test_import_is_idempotent_and_reports_skipped_lines(env, tmp_path):
    path = write_jsonl(tmp_path / "lessen.jsonl", ROWS)
    first = invoke(env, "import", str(path))
    assert first.exit_code == 0
    assert "3 nieuw, 0 bijgewerkt, 1 overgeslagen." in first.output
    second = invoke(env, "import", str(path))
    assert "0 nieuw, 3 bijgewerkt, 1 overgeslagen." in second.output
    stats = json.loads(invoke(env, "stats", "--json").stdout)
    assert stats["lessons"] == 3
    assert stats["outcomes"] == {"worked": 1, "failed": 1, "unknown": 1}


def test_a_large_import_is_stored_in_batches_and_later_lines_win(env, tmp_path, monkeypatch):
    from bot import importer

    monkeypatch.setattr(importer, "IMPORT_BATCH", 3)
    rows = [{"id": f"r{n}", "text": f"Wijkbudget {n}: bewoners kozen zelf de projecten.", "municipality": "Ede"}
            for n in range(10)]
    rows.insert(2, {"id": "r1", "text": "Wijkbudget 1, herschreven: de stemming liep via de bibliotheek."})
    rows.append({"id": "r9", "text": "Wijkbudget 9, herschreven in een latere batch."})
    imported = invoke(env, "import", str(write_jsonl(tmp_path / "l.jsonl", rows))).output
    assert "10 nieuw, 2 bijgewerkt, 0 overgeslagen." in imported
    assert json.loads(invoke(env, "stats", "--json").stdout)["lessons"] == 10
    found = json.loads(invoke(env, "ask", "stemming via de bibliotheek", "--json").stdout)["hits"]
    assert found and "herschreven" in found[0]["text"]
    assert "0 nieuw, 12 bijgewerkt" in invoke(env, "import", str(write_jsonl(tmp_path / "l.jsonl", rows))).output


def test_import_csv_and_bad_json_lines(env, tmp_path):
    path = tmp_path / "lessen.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "text", "municipality", "themes", "outcome"])
        writer.writeheader()
        writer.writerow({"id": "c1", "text": "Taalcafé voor nieuwkomers.", "municipality": "Gouda",
                         "themes": "taal,inburgering", "outcome": "gelukt"})
    assert "1 nieuw" in invoke(env, "import", str(path)).output
    broken = tmp_path / "kapot.jsonl"
    broken.write_text('{"id": "x", "text": "ok verhaal"}\n{niet json\n', encoding="utf-8")
    result = invoke(env, "import", str(broken))
    assert "1 nieuw, 0 bijgewerkt, 1 overgeslagen." in result.output and "regel 2: geen geldige JSON" in result.output
    english = invoke({**env, "LEERKRING_LANGUAGE": "en"}, "import", str(broken)).output
    assert "0 new, 1 updated, 1 skipped." in english and "line 2: invalid JSON" in english
    empty = tmp_path / "leeg.jsonl"
    empty.write_text('{"id": "y", "text": "   "}\n{"id": "z", "text": "ok", "source_platform": "slack", '
                     '"source_visibility": "geheim"}\n', encoding="utf-8")
    out = invoke(env, "import", str(empty)).output
    assert "regel 1: Er staat geen tekst in." in out and "regel 2: Onbekende waarde: source_visibility" in out


def test_ask_with_filters_and_json(env, tmp_path):
    invoke(env, "import", str(write_jsonl(tmp_path / "l.jsonl", ROWS)))
    result = invoke(env, "ask", "burgerbegroting", "--json", "--outcome", "mislukt")
    data = json.loads(result.stdout)
    assert [hit["municipality"] for hit in data["hits"]] == ["Deventer"]
    text = invoke(env, "ask", "Heeft een gemeente een burgerbegroting geprobeerd?", "--province", "Overijssel").output
    assert "Zwolle" in text and "Deventer" in text and "Fenna Dijkstra" in text
    bad = CliRunner().invoke(cli, ["ask", "burgerbegroting", "--province", "Atlantis"], env=env)
    assert bad.exit_code != 0 and "provincie=“Atlantis”" in bad.output


def test_add_then_export_in_three_formats(env):
    added = invoke(env, "add", "Groene schoolpleinen met kinderen ontworpen.", "--municipality", "Eindhoven",
                   "--theme", "groen", "--outcome", "gelukt", "--contact", "Sanne van Rooij")
    assert "Bewaard als les #1" in added.output and "Eindhoven" in added.output
    rows = [json.loads(line) for line in invoke(env, "export").stdout.splitlines()]
    assert rows[0]["themes"] == ["groen"] and rows[0]["contact"] == "Sanne van Rooij"
    table = list(csv.DictReader(io.StringIO(invoke(env, "export", "--format", "csv").output)))
    assert table[0]["municipality"] == "Eindhoven"
    assert "## Groene schoolpleinen met kinderen ontworpen." in invoke(env, "export", "--format", "markdown").output
    bad = CliRunner().invoke(cli, ["add", "tekst", "--outcome", "misschien"], env=env)
    assert bad.exit_code != 0 and "geen uitkomst" in bad.output


def test_reindex_and_db_upgrade(env, tmp_path):
    invoke(env, "import", str(write_jsonl(tmp_path / "l.jsonl", ROWS)))
    assert "3 lessons" in invoke(env, "reindex", "--full").output
    assert "de database is bijgewerkt" in invoke(env, "db", "upgrade").output


def test_eval_prints_the_metrics_as_one_json_object(env, tmp_path):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", [
        {"id": "d1", "text": "De burgerbegroting in Zwolle liet bewoners 150.000 euro verdelen."},
        {"id": "d2", "text": "Schuldhulpverlening met huisbezoeken na signalen van de woningcorporatie."},
        {"id": "d3", "text": "Energiecoaches helpen huishoudens met energiearmoede."},
    ])
    queries = write_jsonl(tmp_path / "queries.jsonl", [
        {"qid": "q1", "query": "burgerbegroting bewoners verdelen", "positive_ids": ["d1"], "lang": "nl"},
        {"qid": "q2", "query": "huisbezoeken bij schulden", "positive_ids": ["d2"], "lang": "nl"},
        {"qid": "q3", "query": "recept voor appeltaart met kaneel", "positive_ids": [], "lang": "nl"},
    ])
    result = invoke(env, "eval", "--queries", str(queries), "--corpus", str(corpus), "--json",
                    "--cache", str(tmp_path / "cache"))
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) >= {"queries", "answerable", "recall@1", "recall@3", "recall@10", "mrr@10", "ndcg@10",
                           "no_match", "seconds"}
    assert report["queries"] == 3 and report["answerable"] == 2
    assert report["recall@1"] == 1.0 and report["mrr@10"] == 1.0
    assert set(report["no_match"]) >= {"precision", "recall", "f1"}
    again = json.loads(invoke(env, "eval", "--queries", str(queries), "--corpus", str(corpus), "--json",
                              "--cache", str(tmp_path / "cache")).stdout.strip().splitlines()[-1])
    assert again["mrr@10"] == report["mrr@10"]


def test_export_then_import_keeps_private_lessons_private_with_their_people(tmp_path):
    from helpers import BRAM, asker, capture

    from bot.bootstrap import bootstrap
    from bot.config import Settings
    from bot.model import Visibility
    from bot.search.embedder import HashingEmbedder

    def app_at(root):  # type: ignore[no-untyped-def]
        return bootstrap(Settings(LEERKRING_DATA_DIR=root / "data", LEERKRING_INDEX_DIR=root / "index",
                                  DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}", LEERKRING_EMBEDDER="fake",
                                  _env_file=None), embedder=HashingEmbedder())  # type: ignore[call-arg]

    first = app_at(tmp_path / "a")
    capture(first.service, "Vertrouwelijk: pilot met sensoren is mislukt. #zorgtechnologie", channel="team-zorg",
            visibility=Visibility.PRIVATE, contact=BRAM)
    first.close()
    env = {"LEERKRING_DATA_DIR": str(tmp_path / "a" / "data"), "LEERKRING_INDEX_DIR": str(tmp_path / "a" / "index"),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'a' / 'db.sqlite3'}", "LEERKRING_EMBEDDER": "fake"}
    exported = CliRunner().invoke(cli, ["export"], env=env).stdout
    (tmp_path / "backup.jsonl").write_text(exported, encoding="utf-8")
    env.update({"LEERKRING_DATA_DIR": str(tmp_path / "b" / "data"),
                "LEERKRING_INDEX_DIR": str(tmp_path / "b" / "index"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'b' / 'db.sqlite3'}"})
    (tmp_path / "b").mkdir()
    assert CliRunner().invoke(cli, ["import", str(tmp_path / "backup.jsonl")], env=env).exit_code == 0
    second = app_at(tmp_path / "b")
    lesson = next(iter(second.repo.iter_lessons()))
    assert lesson.source.visibility is Visibility.PRIVATE and lesson.source.channel_id == "team-zorg"
    assert lesson.contact is not None and (lesson.contact.platform, lesson.contact.user_id) == ("console", "bram")
    assert not second.service.ask("pilot sensoren zorgtechnologie", asker(channel="algemeen")).answer.hits
    assert second.service.ask("pilot sensoren zorgtechnologie", asker(channel="team-zorg",
                                                                      visibility=Visibility.PRIVATE)).answer.hits
    second.close()


def test_stats_table_and_chart_speak_the_configured_language(env, tmp_path):
    invoke(env, "import", str(write_jsonl(tmp_path / "l.jsonl", ROWS)))
    invoke(env, "ask", "Heeft iemand een burgerbegroting gehouden?")
    dutch = invoke(env, "stats").output
    assert "Lessen: 3" in dutch and "Vragen: 1 gesteld, " in dutch and "Gemeente:" in dutch
    english = invoke({**env, "LEERKRING_LANGUAGE": "en"}, "stats", "--png", str(tmp_path / "s.png")).output
    assert "Lessons: 3" in english and "Questions: 1 asked, " in english and "Municipality:" in english
    assert "Lessen" not in english and "gesteld" not in english
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_import_reports_bad_lines_and_goes_on(env, tmp_path):
    jsonl = tmp_path / "lessen.jsonl"
    jsonl.write_text('{"text": "Buurtkamer in vijf wijken.", "outcome": "gelukt"}\n'
                     '["geen", "object"]\n'
                     '"ook geen object"\n'
                     '{"text": "Taalcafé in de bibliotheek.", "outcome": "misschien"}\n'
                     '{"text": "Geveltuinen in plaats van tegels.", "outcome": "onbekend"}\n', encoding="utf-8")
    out = invoke(env, "import", str(jsonl)).output
    assert "2 nieuw" in out
    assert "regel 2" in out and "regel 3" in out and "geen JSON-object" in out
    assert "regel 4" in out and "misschien" in out  # the rule `add` has: an outcome nobody can read is refused
    broken = tmp_path / "lessen.csv"
    broken.write_text('text,municipality,outcome\n'
                      '"Buurtkamer in vijf wijken, ouderen komen terug.,Zwolle,gelukt\n'
                      'Taalcafé in de bibliotheek.,Deventer,mislukt\n'
                      '"Geveltuinen, een wedstrijd tussen straten.",Gouda,gelukt\n', encoding="utf-8")
    out = invoke(env, "import", str(broken)).output
    assert "2 nieuw" in out and "regel 2" in out and "kapotte CSV-regel" in out
    lessons = json.loads(invoke(env, "ask", "--json", "gemeente=Deventer").stdout)["hits"]
    assert [hit["municipality"] for hit in lessons] == ["Deventer"]  # the row after the broken one is its own lesson


def test_import_reads_a_csv_saved_by_dutch_excel_and_says_which_columns_it_used(env, tmp_path):
    excel = tmp_path / "lessen.csv"  # semicolons, Windows-1252, Dutch column names, one extra column
    excel.write_bytes("Verhaal;Gemeente;Thema's;Uitkomst;Contactpersoon;Geleerd;Opmerking\r\n"
                      "Wijkcafé met één vaste gastvrouw;Zwolle;ontmoeting|wijk;gelukt;Fenna Dijkstra;Vaste gezichten "
                      "werken;intern\r\n"
                      "Enquête over afval scheiden;Deventer;afval;mislukt;;;\r\n".encode("cp1252"))
    dry = invoke(env, "import", "--dry-run", str(excel))
    assert "Proef: 2 les(sen) zouden worden geïmporteerd" in dry.output
    assert "Verhaal → text" in dry.output and "Genegeerd: Opmerking" in dry.output
    assert json.loads(invoke(env, "stats", "--json").stdout)["lessons"] == 0  # a dry run saves nothing
    out = invoke(env, "import", str(excel)).output
    assert "2 nieuw" in out
    hits = json.loads(invoke(env, "ask", "--json", "gemeente=Zwolle").stdout)["hits"]
    assert hits[0]["text"] == "Wijkcafé met één vaste gastvrouw" and hits[0]["outcome"] == "worked"
    assert hits[0]["themes"] == ["ontmoeting", "wijk"] and hits[0]["contact"] == "Fenna Dijkstra"


def test_import_of_a_file_it_cannot_use_says_why_in_one_line(env, tmp_path):
    unknown = tmp_path / "lijst.csv"
    unknown.write_text("naam,adres\nAnna,Straat 1\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(unknown)], env=env)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "Geen kolom met het verhaal gevonden" in result.output and "naam, adres" in result.output
    binary = tmp_path / "foto.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    result = CliRunner().invoke(cli, ["import", str(binary)], env=env)
    assert result.exit_code != 0 and "foto.csv is geen tekstbestand" in result.output
    assert json.loads(invoke(env, "stats", "--json").stdout)["lessons"] == 0


def test_a_setting_that_will_not_do_is_named_in_one_line(env):
    result = CliRunner().invoke(cli, ["stats"], env={**env, "SLACK_MODE": "websocket"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "SLACK_MODE: “websocket” kan niet; verwacht: 'socket' or 'http'." in result.output
    english = CliRunner().invoke(cli, ["stats"], env={**env, "SLACK_MODE": "websocket", "LEERKRING_LANGUAGE": "en"})
    assert "SLACK_MODE: “websocket” will not do" in english.output


def test_a_database_nobody_listens_on_is_named_in_one_line(env):
    result = CliRunner().invoke(cli, ["stats"], env={**env, "DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "De database op 127.0.0.1:1 is niet bereikbaar (DATABASE_URL)" in result.output
