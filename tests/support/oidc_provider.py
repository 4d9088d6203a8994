"""A real OpenID Connect provider on loopback for the single sign-on tests: the npm package `oidc-provider`, run by
Node from tests/support/oidc/ (its packages installed there by `scripts/bootstrap.sh --test`), and a browser-like
HTTP client that signs in through it, following redirects and submitting the provider's forms."""

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx

HOME = Path(__file__).resolve().parent / "oidc"
NODE = "/usr/bin/node"
CLIENT_SECRET = "callintel-test-client-secret"
RS256_CLIENT = "callintel"
ES256_CLIENT = "callintel-es256"
CALLBACK = "/login/sso/callback"

# The provider's accounts: login -> claims. Any password signs in a listed login.
ACCOUNTS: dict[str, dict[str, object]] = {
    "oleg": {
        "email": "Oleg.Ivanov@bank.example",
        "email_verified": True,
        "name": "Олег Иванов",
        "locale": "ru-RU",
        "groups": ["callintel-heads", "sales-moscow"],
    },
    "anna": {
        "email": "anna.petrova@bank.example",
        "email_verified": True,
        "name": "Anna Petrova",
        "locale": "en-US",
        "groups": ["callintel-reps", "sales-spb"],
    },
    "maria": {
        "email": "maria@bank.example",
        "email_verified": True,
        "name": "Мария Смирнова",
        "groups": ["callintel-admins"],
    },
    "guest": {"email": "guest@elsewhere.example", "email_verified": True, "name": "Guest", "groups": []},
    "unverified": {
        "email": "maria@bank.example",
        "email_verified": False,
        "name": "Someone claiming Maria's address",
        "groups": ["callintel-heads", "sales-moscow"],
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class LoopbackProvider:
    issuer: str
    # Where the web app must be served: the provider only sends browsers back to redirect URIs registered there.
    app_url: str

    def tamper(self, mode: str) -> None:
        """The next token answer carries an altered ID token (see tests/support/oidc/provider.mjs)."""
        httpx.post(f"{self.issuer}/test/tamper", params={"mode": mode}).raise_for_status()

    def settings(self, client_id: str = RS256_CLIENT, **overrides: object) -> dict[str, object]:
        """The CALLINTEL_SSO_* settings of a deployment signing in through this provider."""
        return {
            "public_url": self.app_url,
            "sso_issuer": self.issuer,
            "sso_provider_name": "Bank ID",
            "sso_client_id": client_id,
            "sso_client_secret": CLIENT_SECRET,
            "sso_scopes": ["openid", "email", "profile", "groups"],
            "sso_roles": {"callintel-reps": "rep", "callintel-heads": "rop", "callintel-admins": "admin"},
            "sso_teams": {"sales-moscow": "Moscow", "sales-spb": "Saint Petersburg"},
            **overrides,
        }


@contextmanager
def running_provider() -> Iterator[LoopbackProvider]:
    if not (HOME / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError(f"{HOME}/node_modules is missing: run scripts/bootstrap.sh --test")
    port, app_port = free_port(), free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    client = {
        "client_secret": CLIENT_SECRET,
        "redirect_uris": [app_url + CALLBACK],
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }
    env = {
        **os.environ,
        "OIDC_PORT": str(port),
        "OIDC_CLIENTS": json.dumps(
            [
                {**client, "client_id": RS256_CLIENT},
                {**client, "client_id": ES256_CLIENT, "id_token_signed_response_alg": "ES256"},
            ]
        ),
        "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
    }
    process = subprocess.Popen(
        [NODE, "provider.mjs"], cwd=HOME, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the OpenID provider exited: {process.stdout.read() if process.stdout else ''}")
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the OpenID provider did not start within 20 s")
            time.sleep(0.1)
        yield LoopbackProvider(issuer, app_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class _Form(HTMLParser):
    """The first form of a page: its action and its fields' values."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action, self._open = named.get("action", ""), True
        elif tag == "input" and self._open and named.get("name"):
            self.fields[named["name"]] = named.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = False


def _follow(client: httpx.Client, response: httpx.Response, stop_at: str | None) -> httpx.Response:
    while response.is_redirect:
        target = urljoin(str(response.url), response.headers["location"])
        if stop_at is not None and target.startswith(stop_at):
            return response
        response = client.get(target)
    return response


def submit(client: httpx.Client, page: httpx.Response, stop_at: str | None = None, **values: str) -> httpx.Response:
    form = _Form()
    form.feed(page.text)
    assert form.action is not None, f"no form on {page.url}: {page.text[:500]}"
    answer = client.post(urljoin(str(page.url), form.action), data={**form.fields, **values})
    return _follow(client, answer, stop_at)


def open_provider_login(provider: LoopbackProvider, stop_at: str | None = None) -> tuple[httpx.Client, httpx.Response]:
    """A fresh browser on the app's login page follows its provider button to the provider's login form."""
    client = httpx.Client(timeout=15)
    page = client.get(f"{provider.app_url}/login?next=/app/calls")
    button = _Link("/login/sso")
    button.feed(page.text)
    assert button.href is not None, "the login page has no single sign-on button"
    return client, _follow(client, client.get(urljoin(str(page.url), button.href)), stop_at)


def sign_in(
    provider: LoopbackProvider, login: str, *, stop_at_callback: bool = False
) -> tuple[httpx.Client, httpx.Response]:
    """A fresh browser signs in as `login`: the app's login page, its provider button, the provider's login and
    consent forms, and back. With `stop_at_callback` the browser stops before going back to the app; the answer is
    then the provider's redirect, whose location is the callback address."""
    stop_at = provider.app_url + CALLBACK if stop_at_callback else None
    client, page = open_provider_login(provider, stop_at)
    page = submit(client, page, stop_at, login=login, password="any password")
    if 'value="consent"' in page.text:
        page = submit(client, page, stop_at)
    return client, page


def cancel_at_provider(provider: LoopbackProvider) -> httpx.Response:
    """A browser leaves the provider's login form by its cancel link; the answer is where it lands."""
    client, page = open_provider_login(provider)
    cancel = _Link(provider.issuer + "/interaction/")
    cancel.feed(page.text)
    assert cancel.href is not None and cancel.href.endswith("/abort"), "the provider's page has no cancel link"
    return _follow(client, client.get(cancel.href), None)


class _Link(HTMLParser):
    """The first link of a page whose address starts with `prefix`."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.startswith(self.prefix) and self.href is None:
            self.href = href
