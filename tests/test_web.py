"""The coordinators' web page through Starlette's test client, signed in against a loopback OpenID Connect
provider that signs real tokens: sign-in and its refusals, CSRF, browsing with every filter, tending a
lesson (edit, outdated, archive, merge, delete, hand-over, with the audit log) and what the chat answer
shows afterwards, the open questions grouped and asked in a channel, charts and exports, and private
lessons only for the coordinators of their own workspace."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.model import PersonRef, Visibility
from bot.render import render_answer
from bot.search.embedder import HashingEmbedder
from bot.storage.tables import QuestionRow
from bot.web.app import create_app
from bot.web.auth import create_admin_link
from tests.fakes.idp import FakeIdP
from tests.helpers import ANNA, BRAM, asker, capture
from tests.platforms import ANNA as ANNA_ID
from tests.platforms import PUBLIC, platforms, wait_for

COORDINATOR = {"sub": "c-1", "email": "fenna@netwerk.example", "name": "Fenna Coördinator",
               "roles": ["leerkring-coordinator"]}
CARLA = PersonRef("console", "carla", "Carla Jansen")


@pytest.fixture
def idp() -> Iterator[FakeIdP]:
    with FakeIdP() as provider:
        yield provider


@pytest.fixture
def site(settings: Settings, idp: FakeIdP) -> Iterator[tuple[App, TestClient]]:
    configured = settings.model_copy(update={
        "oidc_issuer": idp.url, "oidc_client_id": idp.client_id,
        "oidc_client_secret": __import__("pydantic").SecretStr(idp.client_secret),
        "web_coordinators": "piet@gemeente.example=console:local"})
    app = bootstrap(configured, embedder=HashingEmbedder())
    with TestClient(create_app(app), follow_redirects=False) as client:
        yield app, client
    app.close()


def sign_in(client: TestClient, idp: FakeIdP, claims: dict[str, object]) -> httpx.Response:
    """The browser's round trip: the page sends it to the provider, which sends it back with a code."""
    idp.claims = claims
    to_idp = client.get("/login/oidc")
    assert to_idp.status_code in (302, 303, 307)
    back = httpx.get(to_idp.headers["location"], follow_redirects=False)
    target = urlsplit(back.headers["location"])
    return client.get(f"{target.path}?{target.query}")


def csrf(client: TestClient, path: str = "/lessen") -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert match, "every page a coordinator sees carries the CSRF token in its forms"
    return match.group(1)


def answer_text(app: App, question: str) -> str:
    result = app.service.ask(question, asker(), record=False)
    return render_answer(result.answer)


def test_no_page_without_sign_in(site: tuple[App, TestClient]) -> None:
    app, client = site
    capture(app.service, "Burgerbegroting in drie wijken. #participatie uitkomst: gelukt gemeente: Zwolle")
    for path in ("/lessen", "/lessen/1", "/hiaten", "/grafieken", "/contacten", "/export.jsonl",
                 "/grafieken/outcomes.png"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"] == "/login", path
    assert client.post("/lessen/1/verwijder", data={"confirm": "yes"}).headers["location"] == "/login"
    assert app.repo.get_lesson(1) is not None
    page = client.get("/login")
    assert "Aanmelden met je organisatie-account" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_a_coordinator_signs_in_with_openid_connect(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    capture(app.service, "Burgerbegroting in drie wijken. #participatie uitkomst: gelukt gemeente: Zwolle")
    response = sign_in(client, idp, COORDINATOR)
    assert response.status_code == 303 and response.headers["location"] == "/lessen"
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    page = client.get("/lessen")
    assert page.status_code == 200
    assert "Aangemeld als Fenna Coördinator" in page.text and "Burgerbegroting in drie wijken" in page.text
    assert idp.token_requests == 1


@pytest.mark.parametrize("tamper", ["signature", "audience", "expired"])
def test_a_token_the_page_cannot_trust_signs_nobody_in(site: tuple[App, TestClient], idp: FakeIdP,
                                                       tamper: str) -> None:
    _, client = site
    idp.tamper = tamper
    response = sign_in(client, idp, COORDINATOR)
    assert response.status_code == 401
    assert "Aanmelden is niet gelukt" in response.text
    assert client.get("/lessen").status_code == 303


def test_someone_without_the_role_is_told_so(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    _, client = site
    response = sign_in(client, idp, {"sub": "x", "email": "kees@gemeente.example", "name": "Kees", "roles": []})
    assert response.status_code == 403 and "geen coördinator" in response.text
    assert client.get("/lessen").status_code == 303
    # a coordinator by list (no role claim) is let in
    listed = sign_in(client, idp, {"sub": "p", "email": "Piet@gemeente.example", "name": "Piet"})
    assert listed.status_code == 303 and client.get("/lessen").status_code == 200


def test_the_one_time_admin_link_works_once(site: tuple[App, TestClient]) -> None:
    app, client = site
    link = create_admin_link(app.repo, "http://testserver", [])
    path = urlsplit(link).path
    assert client.get(path).headers["location"] == "/lessen"
    assert client.get("/lessen").status_code == 200
    client.cookies.clear()
    again = client.get(path)
    assert again.status_code == 403 and "al gebruikt" in again.text
    assert client.get("/lessen").status_code == 303


def test_a_form_without_the_csrf_token_changes_nothing(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    lesson = capture(app.service, "Burgerbegroting in drie wijken. gemeente: Zwolle").lesson
    sign_in(client, idp, COORDINATOR)
    response = client.post(f"/lessen/{lesson.id}/bewerk", data={"title": "Gekaapt", "text": "x"})
    assert response.status_code == 403 and "verlopen" in response.text
    response = client.post(f"/lessen/{lesson.id}/verwijder", data={"confirm": "yes", "csrf": "geraden"})
    assert response.status_code == 403
    assert app.repo.get_lesson(lesson.id).title != "Gekaapt"  # type: ignore[union-attr]


def test_browse_with_every_filter(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    capture(app.service, "Burgerbegroting in drie wijken. #participatie uitkomst: gelukt gemeente: Zwolle",
            channel="participatie")
    capture(app.service, "Wijkbudget zonder begeleiding. #participatie uitkomst: mislukt gemeente: Amsterdam")
    capture(app.service, "Schuldhulp via de huisarts. #schuldhulp uitkomst: gemengd gemeente: Hardenberg",
            person=CARLA)
    old = capture(app.service, "Oude les over inspraak. #inspraak uitkomst: gelukt gemeente: Utrecht").lesson
    app.repo.save_lesson(__import__("bot.service", fromlist=["_redraft"])._redraft(
        old, occurred_at=datetime(2019, 5, 1, tzinfo=UTC)))
    sign_in(client, idp, COORDINATOR)

    def titles(**query: str) -> set[str]:
        page = client.get("/lessen", params=query)
        assert page.status_code == 200
        return set(re.findall(r'<a href="/lessen/\d+">([^<]+)</a>', page.text))

    assert len(titles()) == 4
    assert titles(municipality="Zwolle") == {"Burgerbegroting in drie wijken."}
    assert titles(province="Overijssel") == {"Burgerbegroting in drie wijken.", "Schuldhulp via de huisarts."}
    assert titles(size_class="groot") == {"Schuldhulp via de huisarts."}
    assert len(titles(size_class="zeer groot")) == 3
    assert titles(theme="participatie") == {"Burgerbegroting in drie wijken.", "Wijkbudget zonder begeleiding."}
    assert titles(outcome="failed") == {"Wijkbudget zonder begeleiding."}
    assert titles(until="2020-01-01") == {"Oude les over inspraak."}
    assert "Oude les over inspraak." not in titles(since="2024-01-01")
    assert titles(channel="participatie") == {"Burgerbegroting in drie wijken."}
    assert len(titles(platform="console")) == 4 and titles(platform="slack") == set()
    assert titles(text="huisarts") == {"Schuldhulp via de huisarts."}
    bad = client.get("/lessen", params={"since": "gisteren"})
    assert bad.status_code == 400 and "gisteren" in bad.text


def test_a_lesson_page_shows_its_use(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    lesson = capture(app.service, "Burgerbegroting in drie wijken. #participatie uitkomst: gelukt "
                                  "gemeente: Zwolle geleerd: begeleiding is nodig").lesson
    result = app.service.ask("burgerbegroting wijken", asker())
    assert [h.lesson.id for h in result.answer.hits] == [lesson.id]
    app.repo.record_feedback("console", "bram", result.answer.question_id, lesson.id, True)
    app.repo.record_feedback("console", "carla", result.answer.question_id, lesson.id, False, "outdated")
    sign_in(client, idp, COORDINATOR)
    page = client.get(f"/lessen/{lesson.id}").text
    assert "begeleiding is nodig" in page and "Anna de Vries" in page
    assert "1× getoond in een antwoord" in page and "1 vonden haar nuttig, 1 niet" in page
    assert "verouderd (1)" in page


def test_tending_a_lesson_changes_what_the_chat_answers_and_is_recorded(site: tuple[App, TestClient],
                                                                        idp: FakeIdP) -> None:
    app, client = site
    first = capture(app.service, "Burgerbegroting in drie wijken van Zwolle. #participatie uitkomst: gelukt",
                    channel="participatie").lesson
    second = capture(app.service, "Burgerbegroting in drie wijken, Zwolle, nog eens verteld. #participatie",
                     channel="algemeen").lesson
    sign_in(client, idp, COORDINATOR)
    token = csrf(client)

    edited = client.post(f"/lessen/{first.id}/bewerk", data={
        "csrf": token, "title": "Burgerbegroting: drie wijken", "text": first.text, "learned": "Begin klein",
        "why": "", "conditions": "", "municipality": "Zwolle", "themes": "participatie begroting",
        "outcome": "mixed", "contact": "Anna de Vries"})
    assert edited.status_code == 303
    assert "Begin klein" in answer_text(app, "burgerbegroting wijken")
    assert app.repo.get_lesson(first.id).outcome.value == "mixed"  # type: ignore[union-attr]

    suggested = client.get(f"/lessen/{first.id}").text.split("Lijkt het meest op", 1)[1]
    assert f"Voeg #{second.id} hierin samen" in suggested  # the closest lesson is offered to merge
    merged = client.post(f"/lessen/{first.id}/samenvoegen", data={"csrf": token, "other": str(second.id)})
    assert merged.status_code == 303
    shown = app.service.ask("burgerbegroting wijken", asker(), record=False).answer.hits
    assert [h.lesson.id for h in shown] == [first.id]
    assert "Ook verteld in: console #algemeen" in answer_text(app, "burgerbegroting wijken")

    client.post(f"/lessen/{first.id}/staat", data={"csrf": token, "status": "outdated"})
    other = capture(app.service, "Burgerbegroting in wijken werkte in Deventer. #participatie").lesson
    hits = app.service.ask("burgerbegroting wijken", asker(), record=False).answer.hits
    assert [h.lesson.id for h in hits] == [other.id, first.id]  # still found, after the current one
    assert "Verouderd" in answer_text(app, "burgerbegroting wijken")

    client.post(f"/lessen/{first.id}/staat", data={"csrf": token, "status": "archived"})
    hits = app.service.ask("burgerbegroting wijken", asker(), record=False).answer.hits
    assert first.id not in [h.lesson.id for h in hits]

    page = client.get(f"/lessen/{first.id}").text
    for recorded in ("bewerkte", f"voegde les #{second.id} hierin samen", "zette de staat op verouderd",
                     "zette de staat op gearchiveerd"):
        assert recorded in page
    assert page.count("Fenna Coördinator &lt;fenna@netwerk.example&gt;") >= 4
    assert "Begin klein" not in "".join(re.findall(r'<ul class="audit">.*?</ul>', page, re.S))

    deleted = client.post(f"/lessen/{other.id}/verwijder", data={"csrf": token, "confirm": "yes"})
    assert deleted.status_code == 303
    assert app.repo.get_lesson(other.id) is None
    assert client.get(f"/lessen/{other.id}").status_code == 404
    assert not app.service.ask("Deventer burgerbegroting", asker(), record=False).answer.hits or all(
        h.lesson.id != other.id for h in app.service.ask("Deventer", asker(), record=False).answer.hits)


def test_a_private_source_is_never_merged_into_a_public_lesson(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    public = capture(app.service, "Burgerbegroting in drie wijken. #participatie").lesson
    private = capture(app.service, "Burgerbegroting, intern besproken.", channel="team",
                      visibility=Visibility.PRIVATE).lesson
    sign_in(client, idp, {**COORDINATOR, "leerkring_workspaces": "console:local"})
    response = client.post(f"/lessen/{public.id}/samenvoegen", data={"csrf": csrf(client), "other": str(private.id)})
    assert response.status_code == 400 and "besloten bron" in response.text
    assert app.repo.get_lesson(private.id).merged_into is None  # type: ignore[union-attr]


def test_hand_a_departed_contacts_lessons_to_a_successor(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    capture(app.service, "Burgerbegroting in drie wijken. gemeente: Zwolle")
    capture(app.service, "Wijkbudget in Zwolle-Zuid. gemeente: Zwolle")
    capture(app.service, "Schuldhulp via de huisarts. gemeente: Hardenberg", person=CARLA)
    sign_in(client, idp, COORDINATOR)
    page = client.get("/contacten").text
    assert "Anna de Vries" in page and "Carla Jansen" in page
    response = client.post("/contacten/overdragen", data={"csrf": csrf(client, "/contacten"), "platform": "console",
                                                          "user": "anna", "to_user": "dirk", "to_name": "Dirk Smit"})
    assert response.status_code == 303
    assert "2 lessen overgedragen aan Dirk Smit" in client.get("/contacten").text
    assert "Contact: Dirk Smit" in answer_text(app, "burgerbegroting wijken")
    assert all(lesson.contact.name == "Carla Jansen" for lesson in app.repo.lessons_of_person("console", "carla"))


def _ask_unanswered(app: App, text: str, who: PersonRef, municipality: str = "",
                    visibility: Visibility = Visibility.PUBLIC) -> None:
    if municipality:
        app.service.set_municipality(who, municipality)
    app.service.ask(text, asker(who, visibility=visibility,
                                channel="algemeen" if visibility is Visibility.PUBLIC else "geheim"))


def test_open_questions_grouped_and_asked_in_a_channel(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    from bot.handlers.console import ConsoleAdapter, ConsoleIdentity

    app, client = site
    capture(app.service, "Schuldhulp via de huisarts. #schuldhulp uitkomst: gelukt", channel="algemeen")
    _ask_unanswered(app, "Heeft een gemeente ervaring met schuldhulp voor zzp'ers in de bouw?", ANNA, "Zwolle")
    _ask_unanswered(app, "heeft een gemeente ervaring met schuldhulp voor zzp'ers in de bouw", BRAM, "Ede")
    _ask_unanswered(app, "Schuldhulp voor zzp'ers in de bouw, iemand ervaring?", CARLA, "Zwolle")
    _ask_unanswered(app, "Wie weet iets over zwerfafval bij evenementen?", ANNA)
    _ask_unanswered(app, "Geheime vraag over de reorganisatie van het stadhuis?", BRAM,
                    visibility=Visibility.PRIVATE)
    with app.db.session() as session:  # all unanswered (the fake embedder may find something: make sure)
        for row in session.query(QuestionRow):
            row.answered, row.hit_ids = False, []
    out = io.StringIO()
    ConsoleAdapter(app, ConsoleIdentity(), stdin=io.StringIO(""), stdout=out)  # the console runs beside the page
    sign_in(client, idp, COORDINATOR)
    page = client.get("/hiaten").text
    assert "schuldhulp <span class=\"count\">(3)</span>" in page
    assert "3× gevraagd" in page and "Zwolle (2), Ede" in page
    assert "zwerfafval" in page and "reorganisatie" not in page
    response = client.post("/hiaten/vraag", data={"csrf": csrf(client, "/hiaten"), "place": "console|algemeen",
                                                  "question": "Schuldhulp voor zzp'ers in de bouw, iemand ervaring?",
                                                  "times": "3"})
    assert response.status_code == 303
    assert "[#algemeen]" in out.getvalue() and "3× gesteld" in out.getvalue()
    refused = client.post("/hiaten/vraag", data={"csrf": csrf(client, "/hiaten"), "place": "console|geheim",
                                                 "question": "x"})
    assert refused.status_code == 400


def test_charts_and_exports_hold_public_lessons_only(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    capture(app.service, "Burgerbegroting in drie wijken. #participatie uitkomst: gelukt gemeente: Zwolle")
    capture(app.service, "Wijkbudget zonder begeleiding. #participatie uitkomst: mislukt gemeente: Ede")
    capture(app.service, "Intern: reorganisatie stadhuis mislukt. #organisatie uitkomst: mislukt", channel="team",
            visibility=Visibility.PRIVATE)
    sign_in(client, idp, {**COORDINATOR, "leerkring_workspaces": ["console:local"]})
    assert "reorganisatie" in client.get("/lessen").text  # their own workspace's private lesson, on the list
    charts = client.get("/grafieken").text
    assert "Nieuwe openbare lessen per maand, naar uitkomst" in charts and "organisatie" not in charts
    picture = client.get("/grafieken/outcomes.png")
    assert picture.headers["content-type"] == "image/png" and picture.content[:8] == b"\x89PNG\r\n\x1a\n"
    table = client.get("/grafieken/outcomes.csv").text.splitlines()
    month = datetime.now(UTC).strftime("%Y-%m")
    assert table[0].startswith("Maand,gelukt,mislukt") and table[1].startswith(f"{month},1,1,")
    lines = client.get("/export.jsonl").text.splitlines()
    assert sorted(json.loads(line)["title"] for line in lines) == ["Burgerbegroting in drie wijken.",
                                                                    "Wijkbudget zonder begeleiding."]
    assert "reorganisatie" not in client.get("/export.csv").text
    markdown = client.get("/export.md", params={"outcome": "failed"}).text
    assert "## Wijkbudget zonder begeleiding." in markdown and "Burgerbegroting" not in markdown


def test_private_lessons_only_for_coordinators_of_their_workspace(site: tuple[App, TestClient],
                                                                 idp: FakeIdP) -> None:
    app, client = site
    private = capture(app.service, "Intern: reorganisatie stadhuis. #organisatie", channel="team",
                      visibility=Visibility.PRIVATE).lesson
    sign_in(client, idp, {**COORDINATOR, "leerkring_workspaces": "slack:T0OTHER"})
    assert "reorganisatie" not in client.get("/lessen").text
    assert client.get(f"/lessen/{private.id}").status_code == 404
    token = csrf(client)
    assert client.post(f"/lessen/{private.id}/verwijder", data={"csrf": token, "confirm": "yes"}).status_code == 404
    assert client.post(f"/lessen/{private.id}/staat", data={"csrf": token, "status": "archived"}).status_code == 404
    assert app.repo.get_lesson(private.id).status == "current"  # type: ignore[union-attr]
    client.post("/logout", data={"csrf": token})
    sign_in(client, idp, {**COORDINATOR, "leerkring_workspaces": "console:local"})
    assert "reorganisatie" in client.get("/lessen").text
    assert client.get(f"/lessen/{private.id}").status_code == 200


def test_the_page_speaks_english(site: tuple[App, TestClient], idp: FakeIdP) -> None:
    app, client = site
    capture(app.service, "Burgerbegroting in drie wijken. uitkomst: gelukt")
    sign_in(client, idp, COORDINATOR)
    page = client.get("/lessen", params={"lang": "en"}).text
    assert '<html lang="en">' in page and "Signed in as" in page and "worked" in page
    assert "Signed in as" in client.get("/hiaten").text  # the choice is kept


def test_stats_lists_the_open_questions_grouped(app: App) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    capture(app.service, "Schuldhulp via de huisarts. #schuldhulp uitkomst: gelukt")
    for who, text in ((ANNA, "Heeft een gemeente ervaring met schuldhulp voor zzp'ers?"),
                      (BRAM, "heeft een gemeente ervaring met schuldhulp voor zzp'ers"),
                      (CARLA, "Wie weet iets over zwerfafval bij evenementen?")):
        app.service.ask(text, asker(who))
    with app.db.session() as session:
        for row in session.query(QuestionRow):
            row.answered, row.hit_ids = False, []
    settings = app.settings
    app.close()
    result = CliRunner().invoke(cli, ["stats"], env={
        "LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
        "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake"})
    assert result.exit_code == 0, result.output
    assert "Open vragen, per onderwerp:" in result.output
    assert "schuldhulp (2)" in result.output and "2× heeft een gemeente ervaring met schuldhulp" in result.output
    assert "1× Wie weet iets over zwerfafval" in result.output


@platforms("slack", "mattermost", "teams")
def test_ask_the_network_from_the_page_posts_in_the_chat_channel(chat) -> None:  # type: ignore[no-untyped-def]
    """`leerkring run` serves the page beside the platforms: "Vraag het netwerk" posts through the real client."""
    message = chat.say(ANNA_ID, PUBLIC, "Burgerbegroting in drie wijken: bewoners kozen zelf. #participatie")
    chat.tag(ANNA_ID, PUBLIC, message)
    wait_for(lambda: chat.core.repo.count_lessons() == 1)
    chat.ask(ANNA_ID, PUBLIC, "Wie pakte zwerfafval bij evenementen aan?")
    wait_for(lambda: chat.core.repo.question_counts()[0] == 1)
    with chat.core.db.session() as session:  # unanswered, whatever the test embedder found
        for row in session.query(QuestionRow):
            row.answered, row.hit_ids = False, []
    with TestClient(create_app(chat.core), follow_redirects=False) as client:
        client.get(urlsplit(create_admin_link(chat.core.repo, "http://testserver", [])).path)
        page = client.get("/hiaten")
        assert page.status_code == 200
        place = f"{chat.name}|{chat.ids[PUBLIC]}"
        assert f'value="{place}"' in page.text
        response = client.post("/hiaten/vraag", data={"csrf": csrf(client, "/hiaten"), "place": place,
                                                      "question": "Wie pakte zwerfafval bij evenementen aan?",
                                                      "times": "4"})
        assert response.status_code == 303
    assert wait_for(lambda: [text for text in chat.public(PUBLIC) if "4× gesteld" in text and "zwerfafval" in text])


def test_leerkring_run_serves_the_page_beside_the_platforms(settings: Settings) -> None:
    """The web page is one more part of the one process: started with the others, stopped with them."""
    import socket
    import threading

    from bot.cli_support import serve
    from bot.web import run as web_run

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = bootstrap(settings.model_copy(update={"web_listen": f"127.0.0.1:{port}"}), embedder=HashingEmbedder())
    stop = threading.Event()
    runner = threading.Thread(target=serve, args=(app, [("web", web_run)], stop), daemon=True)
    runner.start()
    try:
        login = wait_for(lambda: _get(f"http://127.0.0.1:{port}/lessen"))
        assert login.status_code == 303 and login.headers["location"] == "/login"
    finally:
        stop.set()
        runner.join(20)
        app.close()
    assert not runner.is_alive()


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, follow_redirects=False, timeout=2)
    except httpx.TransportError:
        return None


def test_doctor_checks_the_page_s_sign_in(settings: Settings, idp: FakeIdP) -> None:
    from click.testing import CliRunner

    from bot.cli import cli

    env = {"LEERKRING_DATA_DIR": str(settings.data_dir), "LEERKRING_INDEX_DIR": str(settings.index_dir),
           "DATABASE_URL": settings.database_url, "LEERKRING_EMBEDDER": "fake", "LEERKRING_LANGUAGE": "en",
           "SLACK_BOT_TOKEN": "", "MATTERMOST_URL": "", "LEERKRING_WEB_LISTEN": "127.0.0.1:8090"}

    def web_line(**more: str) -> str:
        result = CliRunner().invoke(cli, ["doctor"], env={**env, **more})
        return next(line for line in result.output.splitlines() if line.split()[1:2] == ["web"])

    assert web_line().startswith("WARN") and "one-time links only" in web_line()
    working = web_line(LEERKRING_OIDC_ISSUER=idp.url, LEERKRING_OIDC_CLIENT_ID=idp.client_id,
                       LEERKRING_OIDC_CLIENT_SECRET=idp.client_secret, LEERKRING_WEB_SECRET="lang-en-geheim")
    assert working.startswith("ok") and idp.url in working and idp.client_secret not in working
    assert web_line(LEERKRING_OIDC_ISSUER=idp.url + "/verkeerd").startswith("FAIL")
