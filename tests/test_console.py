"""The console adapter: the same core, driven through stdin/stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_console as run


def test_capture_then_ask_then_delete(app):
    out = run(app, ["/gemeente Zwolle",
                    "/les Burgerbegroting in drie wijken. Het is gelukt. #burgerbegroting",
                    "Heeft een gemeente al eens een burgerbegroting geprobeerd?",
                    "/mijn", "/verwijder 1",
                    "Heeft een gemeente al eens een burgerbegroting geprobeerd?"], user="Anna")
    assert "Je gemeente is nu Zwolle (Overijssel)." in out
    assert "Bewaard als les #1" in out and "(Zwolle, gelukt)" in out
    assert "Dit vond ik over" in out and "Contact: Anna" in out
    assert "Les #1 is verwijderd." in out
    assert out.rstrip().endswith("dan kan de volgende het vinden.")


def test_help_unknown_command_and_clear_errors(app):
    out = run(app, ["/help", "/onzin", "/les    ", "/gemeente Atlantis", "/verwijder abc", "/verwijder 99"])
    assert "/les <verhaal>" in out
    assert "Dat commando ken ik niet: “onzin”" in out
    assert "Er staat geen tekst in." in out
    assert "“Atlantis” ken ik niet als gemeente" in out
    assert "Gebruik: verwijder <nummer>" in out
    assert "Les #99 bestaat niet (meer)." in out


def test_english_commands_answer_in_english(app):
    out = run(app, ["/help", "/lesson Plain language letters for taxes. It worked. #communication",
                    "Has any municipality tried plain language letters?"], locale="en")
    assert "I'm Leerkring" in out
    assert "Saved as lesson #1" in out
    assert "This is what I found" in out


def test_forget_me_previews_then_erases(app):
    out = run(app, ["/les Taalcafé voor nieuwkomers. #taal", "/vergeet", "/vergeet export", "/vergeet bevestig",
                    "/mijn"], user="Anna")
    exported = json.loads(out[out.index("{"):out.index("\n}\n") + 2])  # the data itself, before erasing
    assert exported["lessons"][0]["text"] == "Taalcafé voor nieuwkomers. #taal"
    assert exported["lessons"][0]["captured_by_user_id"] == "anna"
    assert "Ik bewaar over jou: 1 les(sen)" in out
    assert "Gewist: 1 les(sen)" in out
    assert "Je hebt nog geen lessen bewaard." in out


def test_private_channel_lessons_stay_in_their_channel(app):
    run(app, ["/les Vertrouwelijk: de pilot met sensoren is mislukt. #zorgtechnologie"], user="Anna",
        channel="team-zorg", private=True)
    outside = run(app, ["pilot met sensoren zorgtechnologie"], user="Bram", channel="algemeen")
    inside = run(app, ["pilot met sensoren zorgtechnologie"], user="Bram", channel="team-zorg", private=True)
    assert "nog geen les gevonden" in outside
    assert "sensoren" in inside and "Dit vond ik" in inside


@pytest.mark.real_model
def test_piped_demo_console_answers_like_a_colleague(tmp_path: Path):
    env = {**os.environ, "LEERKRING_DATA_DIR": str(tmp_path / "data"), "LEERKRING_INDEX_DIR": str(tmp_path / "index"),
           "LEERKRING_EMBEDDER": "e5"}
    env.pop("DATABASE_URL", None)
    questions = "Heeft een gemeente al eens een burgerbegroting geprobeerd?\nWat is een goed recept voor appeltaart?\n"
    done = subprocess.run([sys.executable, "-m", "bot", "console", "--demo"], input=questions, text=True,
                          capture_output=True, env=env, timeout=240, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    first, second = out.split("Ik heb nog geen les gevonden", 1)
    assert "Zwolle" in first and "Deventer" in first
    assert "mislukt" in first and "gelukt" in first
    assert "gemeenten:" in first  # the outcome summary
    assert "Contact: Fenna Dijkstra" in first
    assert "appeltaart" in second
    # the database lives in the data dir, the index in the index dir, and nothing is written beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "index"]
    assert list((tmp_path / "data").rglob("*.sqlite3")) and list((tmp_path / "index").rglob("*"))


def _stories(app) -> None:  # type: ignore[no-untyped-def]
    run(app, ["/les Burgerbegroting in drie wijken. Het is gelukt. #burgerbegroting",
              "/les Wijkbudget met een bewonersjury. #burgerbegroting",
              "/les Dorpsbudget op een dorpsavond verdeeld. #burgerbegroting",
              "/les Jongerenraad met eigen budget. #jongeren",
              "/les Taalcafé in de bibliotheek. #taal"], user="Anna")


def test_three_labelled_kinds_match_related_and_none(app):
    from bot.search.decision import MatchDecision

    _stories(app)
    app.engine.decision = MatchDecision(match_at=-1e9, related_at=-1e9)  # every lesson answers
    matched = run(app, ["budget voor bewoners"], user="Bram")
    assert "Dit vond ik over" in matched and "Geen directe les" not in matched
    app.engine.decision = MatchDecision(match_at=1e9, related_at=-1e9)  # nothing answers; all is close
    related = run(app, ["budget voor bewoners"], user="Bram")
    assert "Geen directe les over “budget voor bewoners”, wel verwant:" in related
    assert related.count("Contact:") == 3  # at most three related lessons
    assert "Je vraag blijft open" in related and "Dit vond ik" not in related
    app.engine.decision = MatchDecision(match_at=1e9, related_at=1e9)  # nothing close either
    none = run(app, ["budget voor bewoners"], user="Bram")
    assert "Ik heb nog geen les gevonden over “budget voor bewoners”" in none and "Contact:" not in none
    open_questions = [q.text for q in app.repo.open_questions()]
    assert open_questions.count("budget voor bewoners") == 2  # related and none stay open; the match did not


def test_filters_without_a_question_list_lessons_newest_first(app):
    _stories(app)
    out = run(app, ["/vraag thema=burgerbegroting"], user="Bram")
    assert "Lessen met thema=burgerbegroting (nieuwste eerst):" in out
    assert out.index("Dorpsbudget") < out.index("Wijkbudget") < out.index("Burgerbegroting in drie wijken")
    assert "Jongerenraad" not in out and "Taalcafé" not in out
    assert "Er zijn (nog) geen lessen met sinds=2999-01-01." in run(app, ["/vraag sinds=2999"], user="Bram")
    assert "Die datum begrijp ik niet: sinds=“gisteren” (bijvoorbeeld sinds=2023-01-01)" in run(
        app, ["/vraag taal sinds=gisteren"], user="Bram")
    assert "I don't understand that date: since=“yesterday” (for example since=2023-01-01)" in run(
        app, ["/ask language since=yesterday"], user="Bram", locale="en")


def test_contact_by_number_shows_a_private_lesson_only_where_it_may_be_seen(app):
    run(app, ["/les Vertrouwelijk: de pilot met sensoren is mislukt. #zorgtechnologie"], user="Anna",
        channel="team-zorg", private=True)
    run(app, ["/les Taalcafé in de bibliotheek. #taal"], user="Anna")
    outside = run(app, ["/contact 1", "/contact 2"], user="Bram", channel="algemeen")
    assert "Les #1 bestaat niet (meer)." in outside and "sensoren" not in outside  # same as a wrong number
    assert "Taalcafé" in outside and "Anna" in outside
    inside = run(app, ["/contact 1"], user="Bram", channel="team-zorg", private=True)
    assert "sensoren" in inside and "Anna" in inside
