"""One server for the browser and for other programs: FastAPI with the login, the admin REST API, the
OpenAI-compatible API and the Gradio app (one per label language) mounted under /app/<lang>/.

`create_app` builds it around an `Assistant`; `assistant serve` runs it with uvicorn.
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

import gradio as gr
from fastapi import Depends, FastAPI, File, Form, Request, UploadFile
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.core.errors import AccessDenied, AssistantError
from assistant.core.identity import Principal, comma_list
from assistant.services import Assistant
from ingest.uploads import check_count
from ui.app import CSS, build_blocks
from ui.auth import COOKIE, Gatekeeper, LoginLocked, LoginThrottle, Sessions
from ui.labels import LANGUAGES, other, t
from ui.library import Library, Upload, outcome_rows
from ui.openai_api import openai_router
from ui.streaming import StreamPump

LOGIN_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:360px;margin:10vh auto;padding:0 1em}}
label{{display:block;margin:.8em 0 .2em}}input{{width:100%;padding:.5em;box-sizing:border-box}}
button{{margin-top:1em;padding:.6em 1.2em}}.error{{color:#b00020}}</style></head>
<body><h1>{title}</h1><p class="error" id="login-error">{error}</p>
<form method="post" action="/login"><input type="hidden" name="lang" value="{lang}">
<label for="user">{user_label}</label><input id="user" name="user" autocomplete="username" required>
<label for="password">{password_label}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" id="login-submit">{submit}</button></form>
<p><a href="/login?lang={other}">{switch}</a></p></body></html>"""


def create_app(service: Assistant) -> FastAPI:
    settings = service.settings.server
    gate = Gatekeeper(
        service, Sessions(settings.session_hours * 3600), LoginThrottle(settings.login_attempts, settings.lockout_s)
    )
    library = Library(service)
    pump = StreamPump(service)
    app = FastAPI(title="Document assistant", docs_url="/api/docs", openapi_url="/api/openapi.json")
    app.state.gate = gate

    def lang_of(value: str | None) -> str:
        return value if value in LANGUAGES else settings.language

    def login_page(lang: str, error: str = "", status: int = 200) -> HTMLResponse:
        html = LOGIN_PAGE.format(
            lang=lang, other=other(lang), title=escape(t(lang, "title") + " — " + t(lang, "login.title")),
            error=escape(error), user_label=t(lang, "login.user"), password_label=t(lang, "login.password"),
            submit=t(lang, "login.submit"), switch=t(lang, "switch_language"),
        )
        return HTMLResponse(html, status_code=status)

    @app.middleware("http")
    async def login_first(request: Request, call_next):  # noqa: ANN001, ANN202
        """A browser without a session is sent to the login page instead of Gradio's bare 401."""
        path = request.url.path
        if request.method == "GET" and path.startswith("/app/") and gate.session_user(request) is None:
            if "text/html" in request.headers.get("accept", ""):
                lang = path.split("/")[2] if len(path.split("/")) > 2 else ""
                return RedirectResponse(f"/login?lang={lang_of(lang)}", status_code=303)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    def root(request: Request) -> RedirectResponse:
        target = f"/app/{settings.language}/" if gate.session_user(request) else f"/login?lang={settings.language}"
        return RedirectResponse(target, status_code=303)

    @app.get("/login", include_in_schema=False)
    def login_form(lang: str | None = None) -> HTMLResponse:
        return login_page(lang_of(lang))

    @app.post("/login", include_in_schema=False)
    def login(
        request: Request,
        user: Annotated[str, Form()],
        password: Annotated[str, Form()],
        lang: Annotated[str, Form()] = "",
    ) -> Response:
        lang = lang_of(lang)
        address = request.client.host if request.client else "?"
        try:
            token = gate.login(user.strip(), password, address)
        except LoginLocked as e:
            return login_page(lang, t(lang, "login.locked", seconds=round(e.wait_s)), status=429)
        except AccessDenied:
            return login_page(lang, t(lang, "login.wrong"), status=401)
        response = RedirectResponse(f"/app/{lang}/", status_code=303)
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="lax", max_age=int(settings.session_hours * 3600), path="/"
        )
        return response

    @app.get("/logout", include_in_schema=False)
    def logout(request: Request) -> RedirectResponse:
        gate.sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse(f"/login?lang={settings.language}", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "generation": service.kb.generation, "documents": service.has_documents}

    # --- admin REST API: the same operations as the admin view, refused to anyone but an admin ---------------
    admin_only = Depends(gate.admin)

    @app.get("/api/admin/documents")
    def documents(_: Principal = admin_only) -> list[dict[str, Any]]:
        return [
            {"id": d.id, "name": d.name, "pages": d.pages, "chunks": d.chunk_count, "groups": d.groups,
             "tags": d.tags, "updated_at": d.updated_at}
            for d in library.documents()
        ]

    @app.delete("/api/admin/documents/{doc_id}")
    def remove(doc_id: int, _: Principal = admin_only) -> dict[str, Any]:
        doc = library.remove(doc_id)
        return {"removed": doc.name}

    @app.post("/api/admin/documents")
    async def upload(
        files: Annotated[list[UploadFile], File()],
        groups: Annotated[str, Form()] = "",
        tags: Annotated[str, Form()] = "",
        _: Principal = admin_only,
    ) -> dict[str, Any]:
        check_count(service.settings, len(files))
        limit = min(settings.upload_max_mb, service.settings.ingest.max_file_mb) * 1024 * 1024
        uploads = [  # a file announced over the limit is refused without reading it into memory
            Upload(f.filename or "unnamed", None if (f.size or 0) > limit else await f.read(), f.size) for f in files
        ]
        report, refused = await run_in_threadpool(library.ingest_uploads, uploads, comma_list(groups), comma_list(tags))
        return {"files": outcome_rows(report, refused), "generation": report.generation if report else None}

    @app.get("/api/admin/status")
    def status(_: Principal = admin_only, check: bool = False) -> dict[str, Any]:
        return library.status(check)

    @app.exception_handler(StarletteHTTPException)
    async def unreadable_upload(request: Request, e: StarletteHTTPException) -> Response:
        """The multipart parser's bare "Invalid multipart data." said nothing an admin could act on."""
        if e.status_code == 400 and request.url.path == "/api/admin/documents":
            message = (
                f"the upload could not be read ({e.detail}): a file name of thousands of characters, or a form that "
                "is not multipart/form-data with 'files' fields. Nothing was stored."
            )
            return JSONResponse({"error": {"message": message, "type": "BadUpload"}}, status_code=400)
        return await http_exception_handler(request, e)

    @app.exception_handler(AssistantError)
    async def assistant_error(_: Request, e: AssistantError) -> JSONResponse:
        code = 403 if isinstance(e, AccessDenied) else 400
        return JSONResponse({"error": {"message": str(e), "type": type(e).__name__}}, status_code=code)

    app.include_router(openai_router(service, gate))

    for lang in LANGUAGES:
        blocks = build_blocks(service, pump, library, lang)
        blocks.queue(default_concurrency_limit=16)
        gr.mount_gradio_app(
            app, blocks, path=f"/app/{lang}", auth_dependency=gate.session_user, css=CSS, show_error=True,
            max_file_size=f"{settings.upload_max_mb}mb", run_history=False,
        )
    return app

