"""Security headers on every answer: a content security policy that allows only this site's own scripts and
styles and no framing, nosniff, a same-origin referrer, HSTS over HTTPS, and `Cache-Control: no-store` on
everything that is not a static asset, since pages, API answers and audio carry personal data that must not
stay in a browser's or a proxy's cache after logout.

HTTPS is what the request's scheme says. Behind a reverse proxy that is the proxy's X-Forwarded-Proto, which
uvicorn believes only from the addresses in its --forwarded-allow-ips (FORWARDED_ALLOW_IPS; 127.0.0.1 by default).
"""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# Versioned files that hold nothing personal: the only answers a browser may keep.
CACHEABLE_PREFIXES = ("/static/", "/docs-assets/")


class SecurityHeaders:
    """Pure ASGI, so streamed answers (audio ranges) pass through unbuffered."""

    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age_s}; includeSubDomains" if hsts_max_age_s > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith(CACHEABLE_PREFIXES)
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if not cacheable:
                    headers["Cache-Control"] = "no-store"
                if https and self.hsts:
                    headers["Strict-Transport-Security"] = self.hsts
            await send(message)

        await self.app(scope, receive, send_with_headers)
