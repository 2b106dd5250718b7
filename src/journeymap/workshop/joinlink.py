"""How participants reach a workshop: the address of this machine on the network, the join link, its QR code.

A laptop in the room cannot open `localhost` or `127.0.0.1`: those name the laptop itself. So the
address shown on the shared screen is, in order: the one the facilitator set for the workshop,
`JOURNEYMAP_PUBLIC_URL`, the address the facilitator's browser used when that is not a loopback
one, else this machine's address on the local network with the app's port. Finding that address
sends nothing: connecting a UDP socket only asks the kernel which interface would be used.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import urllib.parse

from journeymap.core.errors import JourneyError

__all__ = ["PUBLIC_URL", "LOOPBACK_NAMES", "lan_address", "is_loopback", "checked_public_url", "participant_address",
           "join_link", "short_address", "qr_svg"]

PUBLIC_URL = "JOURNEYMAP_PUBLIC_URL"  # the server's setting; a workshop's own setting comes first
LOOPBACK_NAMES = ("localhost", "0.0.0.0", "::", "")
_ROUTE_PROBE = ("10.255.255.255", 1)  # any non-local address: a UDP connect sends no packet
_MAX_URL = 300


def lan_address() -> str | None:
    """This machine's IPv4 address on the local network (not loopback, not link-local); None if it has none."""
    candidates: list[str] = []
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_ROUTE_PROBE)  # chooses the outgoing interface; nothing is sent
            candidates.append(probe.getsockname()[0])
    except OSError:
        pass
    try:
        candidates += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        pass
    for address in candidates:
        ip = ipaddress.ip_address(address)
        if not (ip.is_loopback or ip.is_link_local or ip.is_unspecified):
            return address
    return None


def is_loopback(url: str) -> bool:
    """True when a URL names this machine only (localhost, 127.x, ::1, 0.0.0.0): other laptops cannot open it."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host.endswith(".localhost")
    return ip.is_loopback or ip.is_unspecified


def checked_public_url(text: str) -> str | None:
    """A typed public address made canonical (scheme added, no trailing /join or slash); None when empty.

    A JourneyError says what is wrong: not a web address, a user name or password in it (it would
    be shown on the projector), or too long.
    """
    raw = " ".join(str(text).split())
    if not raw:
        return None
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", raw):
        raw = "http://" + raw
    parts = urllib.parse.urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise JourneyError(f"'{text[:80]}' is not a web address; write it as participants would type it, "
                           "such as http://192.168.1.20:8501.")
    if parts.username or parts.password:
        raise JourneyError("The address participants open is shown on the shared screen, so it cannot carry a "
                           "user name or password; leave them out.")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise JourneyError(f"The port in '{text[:80]}' is not a number from 1 to 65535.") from None
    path = re.sub(r"/(join|workshop)/?$", "", parts.path).rstrip("/")
    url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    if len(url) > _MAX_URL:
        raise JourneyError(f"The address is {len(url)} characters long; at most {_MAX_URL} fit on the screen.")
    return url


def participant_address(*, workshop_url: str | None = None, browser_url: str = "", port: int | None = None,
                        listening: str = "") -> str:
    """The app's address as participants reach it (no trailing slash), by the order in the module's docstring.

    `browser_url` is the page address the facilitator's browser used; `port` the app's port;
    `listening` the address the server listens on (Streamlit's `server.address`).
    """
    for candidate in (workshop_url, os.environ.get(PUBLIC_URL, "").strip()):
        if candidate:
            return checked_public_url(candidate) or ""
    here = re.sub(r"/(workshop|join)/?$", "", (browser_url or "").split("?")[0]).rstrip("/")
    if here and not is_loopback(here):
        return here
    parts = urllib.parse.urlsplit(here) if here else None
    lan = lan_address() if listening in ("", "0.0.0.0", "::") else None
    if lan is None:
        return here
    scheme = parts.scheme if parts and parts.scheme else "http"
    port = (parts.port if parts and parts.port else None) or port
    path = parts.path if parts else ""
    return f"{scheme}://{lan}{f':{port}' if port and port not in (80, 443) else ''}{path}"


def join_link(address: str, join_code: str) -> str:
    """The link a participant opens: the app's join page with the code filled in."""
    return f"{address.rstrip('/')}/join?code={urllib.parse.quote(join_code)}"


def short_address(address: str) -> str:
    """The join page's address as people type it off the screen: no http://, no code ("192.168.1.20:8501/join")."""
    return re.sub(r"^https?://", "", address.rstrip("/")) + "/join"


def qr_svg(link: str, *, dark: str = "#0b1220", light: str = "#ffffff") -> str:
    """A QR code of `link` as SVG text that scales to its box (medium error correction, a quiet zone of 4).

    `link` is text the app composed (an address and a join code), never a user's free text.
    """
    import segno  # here: the store imports this module for its address check, and needs no QR codes

    if not link:
        raise JourneyError("There is no address to put in the QR code.")
    code = segno.make(link, error="m", micro=False)
    svg = code.svg_inline(scale=1, border=4, dark=dark, light=light, omitsize=True)
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code of the join link" '
                       'style="width:100%;height:100%;display:block" ', 1)
