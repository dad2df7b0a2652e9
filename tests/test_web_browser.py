"""The coordinators' page in a real browser: Debian's chromium (installed by tests/setup-browser, never
downloaded by a tool), driven by Playwright, signing in at the loopback OpenID Connect provider and walking
each task a coordinator has; axe-core checks every page against WCAG 2.1 A/AA. Screenshots are kept in
test-artifacts/browser/ (or $LEERKRING_TEST_ARTIFACTS)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.bootstrap import App, bootstrap
from bot.config import Settings
from bot.model import Visibility
from bot.search.embedder import HashingEmbedder
from bot.storage.tables import QuestionRow
from tests.fakes.idp import FakeIdP
from tests.helpers import ANNA, BRAM, asker, capture

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed: run tests/setup-browser")
ARTIFACTS = Path(os.environ.get("LEERKRING_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[App, str, FakeIdP, io.StringIO]]:
    import uvicorn

    from bot.handlers.console import ConsoleAdapter, ConsoleIdentity
    from bot.web.app import create_app

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with FakeIdP() as idp:
        app = bootstrap(settings.model_copy(update={
            "oidc_issuer": idp.url, "oidc_client_id": idp.client_id, "web_url": url,
            "oidc_client_secret": SecretStr(idp.client_secret)}), embedder=HashingEmbedder())
        out = io.StringIO()
        ConsoleAdapter(app, ConsoleIdentity(), stdin=io.StringIO(""), stdout=out)
        server = uvicorn.Server(uvicorn.Config(create_app(app), log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        try:
            yield app, url, idp, out
        finally:
            server.should_exit = True
            thread.join(10)
            app.close()


def _seed(app: App) -> dict[str, int]:
    ids = {}
    ids["budget"] = capture(app.service, "Burgerbegroting in drie wijken. Zonder begeleiding dienden alleen de "
                                         "gebruikelijke bewoners plannen in. #participatie uitkomst: gemengd "
                                         "gemeente: Zwolle", channel="participatie").lesson.id
    ids["again"] = capture(app.service, "Burgerbegroting in drie wijken, nog eens verteld. #participatie "
                                        "gemeente: Zwolle", channel="algemeen").lesson.id
    ids["debt"] = capture(app.service, "Schuldhulp via de huisarts: vroeg signaleren werkte. #schuldhulp "
                                       "uitkomst: gelukt gemeente: Hardenberg", person=BRAM).lesson.id
    capture(app.service, "Intern: reorganisatie van het stadhuis. #organisatie", channel="team",
            visibility=Visibility.PRIVATE)
    app.service.set_municipality(ANNA, "Ede")
    for text in ("Heeft een gemeente ervaring met zwerfafval bij evenementen?",
                 "heeft een gemeente ervaring met zwerfafval bij evenementen"):
        app.service.ask(text, asker(ANNA))
    with app.db.session() as session:
        for row in session.query(QuestionRow):
            row.answered, row.hit_ids = False, []
    return ids


def test_a_coordinator_walks_every_task_in_chromium(served: tuple[App, str, FakeIdP, io.StringIO]) -> None:
    from axe_playwright_python.sync_playwright import Axe
    from playwright.sync_api import expect, sync_playwright

    app, url, idp, posted = served
    ids = _seed(app)
    idp.claims = {"sub": "c-1", "email": "fenna@netwerk.example", "name": "Fenna Coördinator",
                  "roles": ["leerkring-coordinator"]}
    shots = ARTIFACTS / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    axe = Axe()
    serious: dict[str, list[str]] = {}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"])
        context = browser.new_context(bypass_csp=True, accept_downloads=True, locale="nl-NL",
                                      viewport={"width": 1280, "height": 900})
        page = context.new_page()

        def check(name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            violations = axe.run(page, options=WCAG).response["violations"]
            found = [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations
                     if v["impact"] in ("serious", "critical")]
            if found:
                serious[name] = found

        page.goto(f"{url}/lessen")
        expect(page).to_have_url(f"{url}/login")
        check("01-aanmelden")
        page.get_by_role("link", name="Aanmelden met je organisatie-account").click()
        expect(page).to_have_url(f"{url}/lessen")
        expect(page.get_by_text("Aangemeld als Fenna Coördinator")).to_be_visible()
        expect(page.get_by_text("reorganisatie")).to_have_count(0)  # not their workspace
        check("02-lessen")

        page.get_by_label("Uitkomst").select_option("worked")
        page.get_by_role("button", name="Filter").click()
        expect(page.get_by_role("heading", name="1 lessen")).to_be_visible()
        expect(page.get_by_role("link", name="Schuldhulp via de huisarts: vroeg signaleren werkte.")).to_be_visible()
        check("03-gefilterd")

        page.goto(f"{url}/lessen/{ids['budget']}")
        page.get_by_label("Geleerd").fill("Begeleid bewoners bij het uitwerken van hun plan.")
        page.get_by_role("button", name="Opslaan").click()
        expect(page.get_by_role("status")).to_contain_text("Geleerd")
        page.get_by_label("verouderd").check()
        page.get_by_role("button", name="Zet staat").click()
        page.get_by_label("#").fill(str(ids["again"]))
        page.get_by_role("button", name="Samenvoegen").click()
        expect(page.locator(".audit li")).to_have_count(3)
        check("04-les-getend")
        answer = app.service.ask("burgerbegroting wijken", asker(), record=False).answer
        assert [h.lesson.id for h in answer.hits] == [ids["budget"]]
        assert answer.hits[0].lesson.learned.startswith("Begeleid bewoners")
        assert answer.hits[0].lesson.outdated and answer.hits[0].lesson.also_sources

        page.goto(f"{url}/contacten")
        check("05-contactpersonen")
        row = page.get_by_role("row").filter(has_text="Bram Peters")
        row.get_by_label("Gebruikers-id van de opvolger op console").fill("dirk")
        row.get_by_label("Naam van de opvolger").fill("Dirk Smit")
        row.get_by_role("button", name="Overdragen").click()
        expect(page.get_by_role("status")).to_contain_text("1 lessen overgedragen aan Dirk Smit")
        assert app.repo.get_lesson(ids["debt"]).contact.name == "Dirk Smit"  # type: ignore[union-attr]

        page.goto(f"{url}/hiaten")
        expect(page.get_by_text("2× gevraagd")).to_be_visible()
        check("06-open-vragen")
        page.get_by_label("Kanaal").first.select_option(label="console #participatie")
        page.get_by_role("button", name="Vraag het netwerk").first.click()
        expect(page.get_by_role("status")).to_contain_text("Gevraagd in #participatie")
        assert "[#participatie]" in posted.getvalue() and "zwerfafval" in posted.getvalue()

        page.goto(f"{url}/grafieken")
        expect(page.get_by_role("img", name="Nieuwe openbare lessen per maand, naar uitkomst")).to_be_visible()
        assert page.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
        check("07-grafieken")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download als CSV").first.click()
        assert download.value.suggested_filename == "leerkring-outcomes.csv"

        page.goto(f"{url}/lessen?lang=en")
        expect(page.get_by_text("Signed in as Fenna Coördinator")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="CSV").click()
        exported = Path(download.value.path()).read_text(encoding="utf-8")
        assert "Schuldhulp" in exported and "reorganisatie" not in exported
        check("08-english")

        page.goto(f"{url}/lessen/{ids['debt']}?lang=nl")
        page.get_by_label("Ja, verwijder deze les voorgoed").check()
        page.get_by_role("button", name="Verwijderen").click()
        expect(page.get_by_role("status")).to_contain_text(f"Les {ids['debt']} is verwijderd")
        assert app.repo.get_lesson(ids["debt"]) is None

        page.get_by_role("button", name="Afmelden").click()
        expect(page).to_have_url(f"{url}/login")
        page.goto(f"{url}/lessen")
        expect(page).to_have_url(f"{url}/login")
        browser.close()

    assert serious == {}, f"axe-core found serious or critical WCAG 2.1 violations: {serious}"
