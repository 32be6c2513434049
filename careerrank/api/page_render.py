"""How the web page answers: Jinja2 templates (autoescaped: postings carry HTML of their own), the security
headers of every page, and the pages' route class, which turns a refusal into an HTML page (404, 403, ...) or,
for a visitor who is not signed in, into a redirect to the sign-in page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from fastapi import HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from careerrank.api.access import Principal
from careerrank.api.page_texts import LANG_COOKIE, TEXTS, Lang, language, year_word
from careerrank.errors import ServiceUnavailable

TEMPLATES: Final = Path(__file__).parent / "templates"
SIGN_IN_PATH: Final = "/ui/login"
HOME_PATH: Final = "/ui/vacancies"
SECURITY_HEADERS: Final = {
    # htmx is served from here and configured by a meta tag: no inline script or style is needed.
    "Content-Security-Policy": "default-src 'self'; base-uri 'self'; form-action 'self'; object-src 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_ERROR_TEXTS: Final = {
    status.HTTP_403_FORBIDDEN: ("forbidden_title", "forbidden_text"),
    status.HTTP_404_NOT_FOUND: ("not_found_title", "not_found_text"),
    status.HTTP_503_SERVICE_UNAVAILABLE: ("unavailable_title", "unavailable_text"),
}


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.1f}"


def _money(low: int | None, high: int | None, currency: str) -> str:
    if low is None and high is None:
        return "—"
    if low is not None and high is not None:
        return f"{_number(low)}–{_number(high)} {currency}"
    return f"{_number(low)}+ {currency}" if low is not None else f"≤ {_number(high)} {currency}"


def _moment(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


ENV: Final = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
)
ENV.filters["number"] = _number
ENV.filters["moment"] = _moment
ENV.filters["q"] = lambda value: quote(str(value), safe="")
ENV.globals["money"] = _money
ENV.globals["year_word"] = year_word


def _switch_url(request: Request, other: Lang) -> str:
    """This page's address in the other language (a path of this site: never one that leaves it)."""
    path = "/" + request.url.path.lstrip("/")
    query = request.url.include_query_params(lang=other).query
    return f"{path}?{query}"


def render(
    request: Request, template: str, user: Principal | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page or a fragment in the request's language; remembers a language asked for in the query."""
    lang, remember = language(request)
    other: Lang = "en" if lang == "ru" else "ru"
    html = ENV.get_template(template).render(
        t=TEXTS[lang],
        lang=lang,
        user=user,
        csrf=user.csrf_token if user is not None else None,
        switch_url=_switch_url(request, other),
        **context,
    )
    response = HTMLResponse(html, status_code)
    if remember:
        secure_cookies = request.app.state.settings.api.secure_cookies
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax", secure=secure_cookies
        )
    return response


def redirect(url: str) -> RedirectResponse:
    """See Other: after a form, or to a page of this site."""
    return RedirectResponse(url, status.HTTP_303_SEE_OTHER)


def error_page(request: Request, status_code: int) -> HTMLResponse:
    title, text = _ERROR_TEXTS.get(status_code, ("bad_request_title", "bad_request_text"))
    return render(request, "error.html", status_code=status_code, title_key=title, text_key=text)


def to_sign_in(request: Request) -> Response:
    """The sign-in page: a redirect, or for an htmx request the header that makes htmx load it."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=status.HTTP_401_UNAUTHORIZED, headers={"HX-Redirect": SIGN_IN_PATH})
    return redirect(SIGN_IN_PATH)


def secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class PageRoute(APIRoute):
    """A route of the web page: refusals answered as pages (401 as the way to sign in), security headers on all."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as exc:
                if exc.status_code == status.HTTP_401_UNAUTHORIZED:
                    response = to_sign_in(request)
                else:
                    response = error_page(request, exc.status_code)
            except RequestValidationError:
                response = error_page(request, status.HTTP_422_UNPROCESSABLE_CONTENT)
            except ServiceUnavailable:
                # PostgreSQL or RabbitMQ is down: a page that says so (the API answers JSON 503 with Retry-After).
                response = error_page(request, status.HTTP_503_SERVICE_UNAVAILABLE)
                response.headers["Retry-After"] = "5"
            return secure(response)

        return answer
