"""The coordinators' web page as a Starlette app: server-rendered Jinja2 pages, no build step. Every page
needs a signed-in coordinator; every form a CSRF token; the session cookie is signed, HttpOnly, SameSite=Lax
and Secure when the page is served over HTTPS."""

from __future__ import annotations

import logging
import math
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.errors import InputError, NotFoundError
from bot.messages import t
from bot.municipalities import SIZE_CLASSES, registry
from bot.render import OUTCOME_ICON, format_date, source_link
from bot.storage.tending import AuditEntry
from bot.tending import EDITABLE, BrowseQuery, Coordinator, Tending
from bot.web import auth
from bot.web.charts import CHARTS, png, table

if TYPE_CHECKING:
    from bot.bootstrap import App

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PER_PAGE = 25
FILTERS = ("text", "municipality", "province", "size_class", "theme", "outcome", "since", "until", "platform",
           "channel", "status")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
}


AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def audit_text(entry: AuditEntry, lang: str) -> str:
    """What a change did, in words."""
    detail = entry.detail
    if entry.action == "edit":
        names = detail.get("fields")
        names = names if isinstance(names, list) else []
        return t("web.audit.edit", lang, fields=", ".join(t(f"web.field.{name}", lang).lower()
                                                          for name in names if isinstance(name, str)))
    if entry.action == "status":
        return t("web.audit.status", lang, status=t(f"web.status.{detail.get('status')}", lang))
    if entry.action == "merge":
        return t("web.audit.merge", lang, merged=f"#{detail.get('merged')}")
    if entry.action == "merged_into":
        return t("web.audit.merged_into", lang, into=f"#{detail.get('into')}")
    return t(f"web.audit.{entry.action}", lang)


class SignInNeeded(Exception):
    pass


class Web:
    """The page's state: the app it tends, its templates and the sign-in client."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.settings = app.settings
        self.tending = Tending(app.service)
        self.oidc = auth.oidc_client(app.settings)
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                               trim_blocks=True, lstrip_blocks=True)

    # -- helpers -------------------------------------------------------------------------------------
    def lang(self, request: Request) -> str:
        chosen = request.query_params.get("lang") or request.session.get("lang")
        if chosen in ("nl", "en"):
            request.session["lang"] = chosen
            return str(chosen)
        accept = request.headers.get("accept-language", "")
        return "en" if accept.startswith("en") else self.settings.default_language

    def render(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = self.lang(request)
        query = dict(request.query_params)
        query["lang"] = "en" if lang == "nl" else "nl"
        page = self.env.get_template(name).render(
            request=request, lang=lang, t=lambda key, **kw: t(key, lang, **kw), who=auth.coordinator_of(request),
            csrf=auth.csrf_token(request), other_lang_url=f"{request.url.path}?{urlencode(query)}",
            icon=OUTCOME_ICON, date=lambda moment: format_date(moment, lang), source=source_link,
            clock=lambda moment: moment.astimezone(AMSTERDAM).strftime("%H:%M"),
            audit=lambda entry: audit_text(entry, lang),
            flash=request.session.pop("flash", ""), **context)
        return HTMLResponse(page, status_code=status)

    def who(self, request: Request) -> Coordinator:
        who = auth.coordinator_of(request)
        if who is None:
            raise SignInNeeded()
        return who

    async def form(self, request: Request) -> dict[str, str]:
        """The posted form, once its CSRF token is checked."""
        data = await request.form()
        if not auth.csrf_ok(request, data.get("csrf")):
            raise PermissionError()
        return {key: str(value) for key, value in data.items() if isinstance(value, str)}

    def back(self, request: Request, url: str, flash: str = "") -> RedirectResponse:
        if flash:
            request.session["flash"] = flash
        return RedirectResponse(url, status_code=303)

    # -- signing in ----------------------------------------------------------------------------------
    async def login(self, request: Request) -> Response:
        return self.render(request, "login.html", oidc=self.oidc is not None, error=request.query_params.get("e"))

    async def login_oidc(self, request: Request) -> Response:
        if self.oidc is None:
            raise NotFoundError(short_id="")
        base = self.settings.web_url.rstrip("/") or str(request.base_url).rstrip("/")
        return await self.oidc.authorize_redirect(request, f"{base}/auth/callback")

    async def callback(self, request: Request) -> Response:
        if self.oidc is None:
            raise NotFoundError(short_id="")
        lang = self.lang(request)
        try:
            token = await self.oidc.authorize_access_token(request)
            claims = dict(token.get("userinfo") or {})
        except Exception as exc:  # a bad state, code or token: the reason, never the token itself
            log.warning("OpenID Connect sign-in failed: %s", type(exc).__name__)
            message = t("web.login.failed", lang, reason=type(exc).__name__)
            return self.render(request, "login.html", status=401, oidc=True, error=message)
        who, name = auth.coordinator_from_claims(claims, self.settings)
        if who is None:
            return self.render(request, "login.html", status=403, oidc=True,
                               error=t("web.login.not_coordinator", lang, name=name))
        auth.sign_in(request, who, "oidc")
        return RedirectResponse("/lessen", status_code=303)

    async def login_once(self, request: Request) -> Response:
        workspaces = self.app.repo.use_admin_link(request.path_params["token"])
        if workspaces is None:
            return self.render(request, "login.html", status=403, oidc=self.oidc is not None,
                               error=t("web.login.link_used", self.lang(request)))
        auth.sign_in(request, Coordinator("admin", frozenset((p, w) for p, w in
                                                             (item.split(":", 1) for item in workspaces))), "link")
        return RedirectResponse("/lessen", status_code=303)

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # -- lessons -------------------------------------------------------------------------------------
    def _query(self, request: Request) -> BrowseQuery:
        return BrowseQuery(**{name: request.query_params.get(name, "") for name in FILTERS})

    async def lessons(self, request: Request) -> Response:
        who = self.who(request)
        query = self._query(request)
        page = max(int(request.query_params.get("page", "1") or 1), 1)
        lessons, total = self.tending.browse(who, query, page=page, per_page=PER_PAGE)
        filters = {name: getattr(query, name) for name in FILTERS if getattr(query, name)}
        return self.render(request, "lessons.html", lessons=lessons, total=total, page=page,
                           pages=max(math.ceil(total / PER_PAGE), 1), query=query, filters=filters,
                           qs=lambda **kw: urlencode({**filters, **kw}), provinces=registry().provinces,
                           sizes=[label for label, _, _ in SIZE_CLASSES], platforms=self._platforms())

    def _platforms(self) -> list[str]:
        return sorted({platform for platform, _, _, _ in self.app.repo.places()})

    async def lesson(self, request: Request) -> Response:
        who = self.who(request)
        view = self.tending.view(who, int(request.path_params["id"]))
        return self.render(request, "lesson.html", view=view, lesson=view.lesson, editable=EDITABLE)

    async def edit(self, request: Request) -> Response:
        who, form = self.who(request), await self.form(request)
        lesson_id = int(request.path_params["id"])
        changed = self.tending.edit(who, lesson_id, {name: form[name] for name in EDITABLE if name in form})
        lang = self.lang(request)
        message = (t("web.lesson.saved", lang, fields=", ".join(t(f"web.field.{f}", lang) for f in changed))
                   if changed else t("web.lesson.unchanged", lang))
        return self.back(request, f"/lessen/{lesson_id}", message)

    async def status(self, request: Request) -> Response:
        who, form = self.who(request), await self.form(request)
        lesson_id = int(request.path_params["id"])
        self.tending.set_status(who, lesson_id, form.get("status", ""))
        return self.back(request, f"/lessen/{lesson_id}")

    async def merge(self, request: Request) -> Response:
        who, form = self.who(request), await self.form(request)
        lesson_id = int(request.path_params["id"])
        other = form.get("other", "").strip().lstrip("#")
        if not other.isdigit():
            raise InputError("web.bad_filter", name="#", value=other)
        self.tending.merge(who, lesson_id, int(other))
        return self.back(request, f"/lessen/{lesson_id}")

    async def delete(self, request: Request) -> Response:
        who, form = self.who(request), await self.form(request)
        lesson_id = int(request.path_params["id"])
        if form.get("confirm") != "yes":
            return self.back(request, f"/lessen/{lesson_id}")
        self.tending.delete(who, lesson_id)
        return self.back(request, "/lessen", t("web.lesson.deleted", self.lang(request), id=lesson_id))

    # -- contacts ------------------------------------------------------------------------------------
    async def contacts(self, request: Request) -> Response:
        who = self.who(request)
        return self.render(request, "contacts.html", contacts=self.app.repo.contacts(who.workspaces))

    async def hand_over(self, request: Request) -> Response:
        who, form = self.who(request), await self.form(request)
        moved = self.tending.hand_over(who, form.get("platform", ""), form.get("user", ""),
                                       form.get("to_user", ""), form.get("to_name", ""))
        return self.back(request, "/contacten", t("web.contacts.done", self.lang(request), n=len(moved),
                                                  name=form.get("to_name", "").strip()))

    # -- gaps ----------------------------------------------------------------------------------------
    async def gaps(self, request: Request) -> Response:
        self.who(request)
        places = [place for place in self.app.repo.places() if place[0] in self.app.service.posters]
        return self.render(request, "gaps.html", topics=self.tending.gaps(), places=places)

    async def ask(self, request: Request) -> Response:
        who, form = self.who(request), await self.form(request)
        platform, _, channel = form.get("place", "").partition("|")
        self.tending.ask_network(who, platform, channel, form.get("question", ""),
                                 times=int(form.get("times", "1") or 1), lang=self.lang(request))
        name = next((n for p, _, c, n in self.app.repo.places() if (p, c) == (platform, channel)), channel)
        return self.back(request, "/hiaten", t("web.gaps.posted", self.lang(request), channel=f"#{name}"))

    # -- charts and export ---------------------------------------------------------------------------
    def _tables(self, request: Request, names: tuple[str, ...]) -> list[tuple[str, Any]]:
        """The charts' tables, from one read of the public lessons and the questions."""
        lessons, questions = self.tending.public_lessons(), self.app.repo.questions_by_month()
        return [(name, table(name, lessons, questions, self.lang(request))) for name in names]

    async def charts(self, request: Request) -> Response:
        self.who(request)
        return self.render(request, "charts.html", tables=self._tables(request, CHARTS))

    async def chart_file(self, request: Request) -> Response:
        self.who(request)
        name, fmt = request.path_params["name"], request.path_params["fmt"]
        if name not in CHARTS or fmt not in ("png", "csv"):
            raise NotFoundError(short_id="")
        data = self._tables(request, (name,))[0][1]
        if fmt == "csv":
            return Response(data.csv(), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="leerkring-{name}.csv"'})
        return Response(png(name, data), media_type="image/png")

    async def export(self, request: Request) -> Response:
        """The public lessons that pass the page's filters, as JSONL, CSV or Markdown (network-wide: no
        private lesson, whoever asks)."""
        from bot.exporting import write_lessons
        from bot.storage.repository import lesson_summary

        self.who(request)
        fmt = request.path_params["fmt"]
        if fmt not in ("jsonl", "csv", "md"):
            raise NotFoundError(short_id="")
        rows = [lesson_summary(lesson) for lesson in self.tending.public_lessons(self._query(request))]
        body = write_lessons(rows, {"md": "markdown"}.get(fmt, fmt))
        media = {"jsonl": "application/x-ndjson", "csv": "text/csv", "md": "text/markdown"}[fmt]
        return Response(body, media_type=f"{media}; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="leerkring-lessen.{fmt}"'})


def create_app(app: App) -> Starlette:
    """The web page for `app` (its settings, database and service)."""
    web = Web(app)

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInNeeded:
                return RedirectResponse("/login", status_code=303)
            except PermissionError:
                return web.render(request, "error.html", status=403, message=t("web.csrf", web.lang(request)))
            except NotFoundError:
                return web.render(request, "error.html", status=404, message=t("web.not_found", web.lang(request)))
            except (ValueError, KeyError):
                return web.render(request, "error.html", status=404, message=t("web.not_found", web.lang(request)))
            except InputError as exc:
                return web.render(request, "error.html", status=400,
                                  message=t(exc.key, web.lang(request), **exc.params))
        return endpoint

    async def home(request: Request) -> Response:
        return RedirectResponse("/lessen", status_code=303)

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    routes = [
        Route("/", home), Route("/healthz", health),
        Route("/login", guarded(web.login)), Route("/login/oidc", guarded(web.login_oidc)),
        Route("/auth/callback", guarded(web.callback)), Route("/login/once/{token}", guarded(web.login_once)),
        Route("/logout", guarded(web.logout), methods=["POST"]),
        Route("/lessen", guarded(web.lessons)), Route("/lessen/{id:int}", guarded(web.lesson)),
        Route("/lessen/{id:int}/bewerk", guarded(web.edit), methods=["POST"]),
        Route("/lessen/{id:int}/staat", guarded(web.status), methods=["POST"]),
        Route("/lessen/{id:int}/samenvoegen", guarded(web.merge), methods=["POST"]),
        Route("/lessen/{id:int}/verwijder", guarded(web.delete), methods=["POST"]),
        Route("/contacten", guarded(web.contacts)),
        Route("/contacten/overdragen", guarded(web.hand_over), methods=["POST"]),
        Route("/hiaten", guarded(web.gaps)), Route("/hiaten/vraag", guarded(web.ask), methods=["POST"]),
        Route("/grafieken", guarded(web.charts)),
        Route("/grafieken/{name}.{fmt}", guarded(web.chart_file)),
        Route("/export.{fmt}", guarded(web.export)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    secret = app.settings.web_secret.get_secret_value() if app.settings.web_secret else secrets.token_urlsafe(32)
    if app.settings.web_secret is None:
        log.warning("LEERKRING_WEB_SECRET is not set: sessions end when the page restarts")
    middleware = [Middleware(SessionMiddleware, secret_key=secret, session_cookie="leerkring_session",
                             max_age=8 * 3600, same_site="lax", https_only=app.settings.web_url.startswith("https"))]
    middleware.append(Middleware(SecurityHeaders))
    site = Starlette(routes=routes, middleware=middleware)
    site.state.web = web
    return site


class SecurityHeaders:
    """Adds the security headers to every response, and no-store to every page (they show lessons)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static")

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
