"""The web page's sign-in: a recruiter's or the job board's key, given once in a form, opens a session held in
the ``careerrank_session`` cookie (HttpOnly, SameSite=Lax, Secure behind TLS); an admin key opens none.

Every POST carries the session's CSRF token (a form field, or the ``X-CSRF-Token`` header that htmx sends) and
is refused with 403 without it. The sign-in form, which has no session yet, is protected by a double-submit
cookie instead. A visitor without a live session is sent to the sign-in page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Final

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from careerrank.api.access import SESSION_COOKIE, Principal
from careerrank.api.page_render import HOME_PATH, SIGN_IN_PATH, PageRoute, redirect, render

CSRF_FIELD: Final = "csrf_token"
CSRF_HEADER: Final = "X-CSRF-Token"
LOGIN_CSRF_COOKIE: Final = "careerrank_login_csrf"
MAX_KEY_CHARS: Final = 256

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


async def signed_in(request: Request) -> Principal | None:
    """Who holds this request's session, with the session's CSRF token; None without a live one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    async with request.app.state.database.session() as session:
        web = await session.api_keys.session(token)
    if web is None or web.key.role == "admin":
        return None
    return Principal.of(web.key, web.csrf_token)


async def page_user(request: Request) -> Principal:
    """A dependency: the signed-in visitor (else 401, answered as the way to the sign-in page)."""
    user = await signed_in(request)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "sign in first")
    return user


def _same(sent: str | None, expected: str | None) -> bool:
    return bool(sent and expected) and hmac.compare_digest(str(sent).encode(), str(expected).encode())


async def _sent_token(request: Request, field: str) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    value = (await request.form()).get(field)
    return value if isinstance(value, str) else None


async def checked_user(request: Request, user: Annotated[Principal, Depends(page_user)]) -> Principal:
    """A dependency of every POST: the signed-in visitor, if the request carries the session's CSRF token."""
    if not _same(await _sent_token(request, CSRF_FIELD), user.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the CSRF token is missing or wrong")
    return user


User = Annotated[Principal, Depends(page_user)]
Poster = Annotated[Principal, Depends(checked_user)]


def pending_mark(user: Principal, kind: str, item_id: str) -> str:
    """Proof that this session posted the item: lets its page wait for it instead of answering 404."""
    assert user.csrf_token is not None
    return hmac.new(user.csrf_token.encode(), f"{kind}:{item_id}".encode(), hashlib.sha256).hexdigest()[:32]


def posted_here(user: Principal, kind: str, item_id: str, mark: str | None) -> bool:
    return _same(mark, pending_mark(user, kind, item_id))


def _sign_in_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", status_code=status_code, login_csrf=token, error=error)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, max_age=3600, path=SIGN_IN_PATH, httponly=True, samesite="strict",
        secure=request.app.state.settings.api.secure_cookies,
    )  # fmt: skip
    return response


@router.get("/login")
async def sign_in_page(request: Request) -> Response:
    if await signed_in(request) is not None:
        return redirect(HOME_PATH)
    return _sign_in_page(request)


@router.post("/login")
async def sign_in(request: Request) -> Response:
    """The key comes in the form body only; the answer sets the session cookie and goes to the vacancies."""
    if not _same(await _sent_token(request, "login_csrf"), request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the sign-in form's token is missing or wrong")
    secret = (await request.form()).get("key")
    key = None
    if isinstance(secret, str) and 0 < len(secret.strip()) <= MAX_KEY_CHARS:
        key = await request.app.state.keys.find(secret.strip())
    if key is None:
        return _sign_in_page(request, "bad_key", status.HTTP_401_UNAUTHORIZED)
    if key.role == "admin":
        return _sign_in_page(request, "admin_refused", status.HTTP_403_FORBIDDEN)
    settings = request.app.state.settings.api
    async with request.app.state.database.session() as session:
        token, _ = await session.api_keys.open_session(key, timedelta(hours=settings.session_hours))
    response = redirect(HOME_PATH)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=round(settings.session_hours * 3600), httponly=True, samesite="lax",
        secure=settings.secure_cookies,
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/logout")
async def sign_out(request: Request, user: Poster) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        async with request.app.state.database.session() as session:
            await session.api_keys.close_session(token)
    response = redirect(SIGN_IN_PATH)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
    return response
