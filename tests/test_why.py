"""Why it worked (or not) and under which conditions: kept with the lesson from every way in (text fields,
forms, import), shown in every answer, and when lessons on one topic end differently the answer says what
differed instead of only counting."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner
from helpers import run_console

from bot.cli import cli


def test_why_and_conditions_are_kept_and_shown_in_the_answer(app):
    out = run_console(app, [
        "/les Burgerbegroting in drie wijken; 2.300 stemmers. uitkomst=gelukt gemeente=Zwolle #burgerbegroting",
        "waarom: wijkcoaches hielpen bewoners hun plan uit te werken",
        "Heeft iemand een burgerbegroting in de wijk gehouden?"])
    assert "Bewaard als les #1" in out
    lesson = app.repo.get_lesson(1)
    assert lesson.why == "" and lesson.conditions == ""  # a console line is one message: the second is a question
    run_console(app, ["/les Burgerbegroting in de binnenstad. uitkomst=mislukt gemeente=Utrecht "
                      "waarom=jongeren niet bereikt voorwaarden=zonder budget voor ondersteuning #burgerbegroting"])
    failed = app.repo.get_lesson(2)
    assert failed.why == "jongeren niet bereikt" and failed.conditions == "zonder budget voor ondersteuning"
    answer = run_console(app, ["Heeft iemand een burgerbegroting gehouden?"])
    assert "Waarom: jongeren niet bereikt" in answer and "Voorwaarden: zonder budget voor ondersteuning" in answer


def test_lessons_that_end_differently_say_what_differed(app):
    run_console(app, [
        "/les Burgerbegroting in drie dorpen: bewoners kozen zelf. uitkomst=gelukt gemeente=Ameland #burgerbegroting",
        "/les Burgerbegroting in de wijken: weinig stemmers. uitkomst=mislukt gemeente=Utrecht "
        "voorwaarden=zonder wijkcoaches #burgerbegroting"])
    answer = run_console(app, ["Heeft een gemeente een burgerbegroting geprobeerd?"])
    assert "2 gemeenten: 1 gelukt, 1 mislukt" in answer
    assert "Wat verschilde: gelukt: klein; mislukt: zeer groot; de voorwaarden staan bij elke les" in answer
    english = run_console(app, ["Has a municipality tried a citizens' budget (burgerbegroting)?"], locale="en")
    assert "What differed: worked: small; failed: very large" in english
    agreeing = run_console(app, ["/les Burgerbegroting in Zwolle: 2.300 stemmers. uitkomst=gelukt "
                                 "gemeente=Zwolle #burgerbegroting", "burgerbegroting gemeente=Zwolle"])
    assert "Wat verschilde" not in agreeing.split("Bewaard als les")[-1]  # one outcome: nothing to contrast


def test_import_and_export_carry_why_and_conditions_under_dutch_and_english_names(settings, tmp_path):
    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"}
    source = tmp_path / "lessen.csv"
    source.write_text("tekst;gemeente;uitkomst;waarom;voorwaarden\n"
                      "Deelauto's in een nieuwbouwwijk;Houten;gelukt;bewoners deden mee;weinig parkeerplekken\n",
                      encoding="utf-8")
    done = CliRunner().invoke(cli, ["import", str(source)], env=env)
    assert done.exit_code == 0 and "waarom" in done.output and "voorwaarden" in done.output  # columns used
    row = json.loads(CliRunner().invoke(cli, ["export"], env=env).stdout.splitlines()[0])
    assert (row["why"], row["conditions"]) == ("bewoners deden mee", "weinig parkeerplekken")
    table = list(csv.DictReader(io.StringIO(CliRunner().invoke(cli, ["export", "--format", "csv"], env=env).output)))
    assert table[0]["why"] == "bewoners deden mee"
    markdown = CliRunner().invoke(cli, ["export", "--format", "markdown"], env=env).output
    assert "**Waarom:** bewoners deden mee" in markdown and "**Voorwaarden:** weinig parkeerplekken" in markdown
