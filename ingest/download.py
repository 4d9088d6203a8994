"""Fetching the recording a provider announced: from allowed hosts only, never into this machine's own network.

Whoever can send a signed webhook chooses the URL, so the URL is not trusted: its host must be listed in
settings.download_hosts, and the addresses it resolves to must be public unless settings.download_allow_private.
The name is resolved once and the connection goes to the address that was checked (with the original Host header
and TLS server name), so a DNS answer that changes between the check and the connect (DNS rebinding) cannot steer
the request elsewhere. Redirects are followed by hand, each one checked the same way.
"""

import asyncio
import ipaddress
import logging
import re
import socket
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import httpx

from ingest.intake import SUFFIXES
from ingest.providers.base import RejectedRequest
from models import IncomingCall
from models.errors import Unavailable
from pipeline.settings import Settings

log = logging.getLogger(__name__)

MAX_REDIRECTS = 3
CHUNK = 1 << 16
# Audio is sometimes served as application/octet-stream, so only types that are surely not audio are refused:
# an API's JSON error or a login page stored as a recording would fail much later and much less clearly.
NOT_AUDIO = ("application/json", "text/", "application/xml")
TYPE_SUFFIXES = {
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/flac": ".flac",
    "audio/webm": ".webm",
    "audio/amr": ".amr",
}


class DownloadError(RejectedRequest):
    """A recording that cannot be fetched as announced (a host not allowed, a wrong answer): the sender gets 422."""

    def __init__(self, reason: str) -> None:
        super().__init__(422, reason)


class DownloadUnavailable(Unavailable):
    """The host serving the recording failed or did not answer: the sender gets 502 and may announce it again."""

    status_code = 502

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def host_allowed(host: str, patterns: list[str]) -> bool:
    """Exact names, or '*.example.com' for any name under example.com (not example.com itself)."""
    host = host.lower().rstrip(".")
    for pattern in patterns:
        pattern = pattern.strip().lower().rstrip(".").strip("[]")
        if (pattern.startswith("*.") and host.endswith(pattern[1:])) or host == pattern:
            return True
    return False


def address_refusal(address: str) -> str | None:
    """Why connecting to this address is refused, or None for a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) reaches the IPv4 address it carries.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for kind in ("unspecified", "loopback", "link_local", "multicast", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if ip.is_global else "not globally routable"


async def _addresses(url: httpx.URL, settings: Settings) -> list[str]:
    host = url.host
    if not settings.download_hosts:
        raise DownloadError("no download hosts are configured (CALLINTEL_DOWNLOAD_HOSTS)")
    if not host_allowed(host, settings.download_hosts):
        raise DownloadError(f"recording host {host} is not in download_hosts")
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise DownloadUnavailable(f"cannot resolve {host}: {exc.strerror}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not settings.download_allow_private:
        # Every address is checked, not just the one used: a name that also points inward is not trusted at all.
        for address in addresses:
            why = address_refusal(address)
            if why:
                raise DownloadError(
                    f"{host} resolves to {address} ({why}); set download_allow_private to fetch from such addresses"
                )
    return addresses


async def _send(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL,
    form: dict[str, str] | None,
    auth: tuple[str, str] | None,
    settings: Settings,
) -> httpx.Response:
    """Send to the checked address itself, keeping the name for the Host header, TLS SNI and certificate check."""
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    failure: httpx.ConnectError | None = None
    for address in await _addresses(url, settings):
        request = client.build_request(
            method,
            url.copy_with(host=address),
            headers={"Host": url.netloc.decode("ascii")},
            data=form,
            extensions=extensions,
        )
        try:
            return await client.send(request, auth=auth, stream=True)
        except httpx.ConnectError as exc:
            failure = exc
    raise DownloadUnavailable(f"cannot connect to {url.host}: {failure}")


async def _follow(
    client: httpx.AsyncClient, url: httpx.URL, incoming: IncomingCall, settings: Settings
) -> tuple[httpx.URL, httpx.Response]:
    """The final URL and its (unread) answer, after at most MAX_REDIRECTS redirects."""
    form = incoming.recording_form
    method = "POST" if form is not None else "GET"
    origin = (url.scheme, url.host, url.port)
    for _ in range(MAX_REDIRECTS + 1):
        if url.scheme not in ("http", "https"):
            raise DownloadError(f"recording URL scheme {url.scheme!r} is not http or https")
        # Credentials go only to the origin they were given for: a presigned storage link refuses a second auth.
        auth = incoming.recording_auth if (url.scheme, url.host, url.port) == origin else None
        response = await _send(client, method, url, form, auth, settings)
        if not response.is_redirect:
            return url, response
        await response.aclose()
        location = response.headers.get("location")
        if not location:
            raise DownloadError(f"{url.host} answered {response.status_code} without a Location")
        try:
            url = url.join(location)
        except httpx.InvalidURL as exc:
            raise DownloadError(f"{url.host} redirected to an invalid URL: {exc}") from exc
        # As browsers do: 303, and 301/302 after a POST, continue as a GET without the body; 307/308 keep both.
        if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
            method, form = "GET", None
    raise DownloadError(f"more than {MAX_REDIRECTS} redirects")


def safe_file_name(name: str, fallback: str) -> str:
    """A name from outside (a URL path, an upload) made safe to create in a directory of ours."""
    name = re.sub(r"[^\w.-]", "_", PurePosixPath(name).name).lstrip(".")[-200:]
    return name or fallback


def _file_name(url: httpx.URL, content_type: str) -> str:
    """The URL's own file name when it names an audio file, else 'recording' with the suffix its media type implies.

    The name becomes the stored recording's original name, and its suffix tells the decoder what to expect.
    """
    name = safe_file_name(unquote(url.path), "recording")
    if PurePosixPath(name).suffix.lower() in SUFFIXES:
        return name
    return "recording" + TYPE_SUFFIXES.get(content_type, ".bin")


async def _check_answer(url: httpx.URL, response: httpx.Response, max_bytes: int) -> str:
    """The answer's media type, once its status, type and announced size are acceptable."""
    if response.status_code >= 500:
        raise DownloadUnavailable(f"{url.host} answered {response.status_code} {response.reason_phrase}")
    if response.status_code != 200:
        raise DownloadError(f"{url.host} answered {response.status_code} {response.reason_phrase}")
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type.startswith(NOT_AUDIO):
        head = b""
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= 200:
                break
        text = head[:200].decode("utf-8", "replace").strip()
        raise DownloadError(f"{url.host} answered {content_type} instead of audio: {text}")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise DownloadError(f"recording is {int(length)} bytes, over the {max_bytes}-byte limit")
    return content_type


async def _save(url: httpx.URL, response: httpx.Response, dest_dir: Path, max_bytes: int) -> Path:
    content_type = await _check_answer(url, response, max_bytes)
    path = dest_dir / _file_name(url, content_type)
    try:
        size = 0
        with path.open("xb") as out:
            async for chunk in response.aiter_bytes(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"recording is over the {max_bytes}-byte limit")
                out.write(chunk)
        if size == 0:
            raise DownloadError(f"{url.host} answered with an empty body")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    log.info("downloaded %d bytes from %s", size, url.host)
    return path


async def download_recording(incoming: IncomingCall, settings: Settings, dest_dir: Path) -> Path:
    """Fetch incoming.recording_url into a new file in dest_dir and return its path, or raise DownloadError (422)
    or DownloadUnavailable (502).

    dest_dir is the caller's, empty, and the caller removes it with whatever is left in it.
    """
    if not incoming.recording_url:
        raise DownloadError("no recording_url to download")
    try:
        url = httpx.URL(incoming.recording_url)
    except httpx.InvalidURL as exc:
        raise DownloadError(f"recording_url is not a valid URL: {exc}") from exc
    limit = settings.download_timeout_s
    # trust_env=False: a proxy from the environment would make the connection somewhere other than the checked address.
    async with httpx.AsyncClient(timeout=limit, trust_env=False, headers={"User-Agent": "callintel"}) as client:
        try:
            async with asyncio.timeout(limit):
                final_url, response = await _follow(client, url, incoming, settings)
                try:
                    return await _save(final_url, response, dest_dir, settings.download_max_bytes)
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise DownloadUnavailable(f"download from {url.host} took over {limit:g} s") from exc
        except httpx.HTTPError as exc:
            raise DownloadUnavailable(f"download from {url.host} failed: {exc}") from exc
