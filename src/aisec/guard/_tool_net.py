"""URL and host arguments: parsed the way lenient clients parse them, without DNS.

A URL is read as a WHATWG (browser, curl-like) client would: backslashes count as slashes,
``http:/host``, ``http:\\\\host`` and ``http:///host`` all reach ``host``, a URL without a
scheme (``example.com/x``, ``//example.com``) is still a URL. Hosts are percent-decoded,
folded (NFKC, ideographic full stops), lower-cased and stripped of trailing dots; every
IPv4 spelling inet_aton accepts (``2130706433``, ``0x7f.1``, ``0177.0.0.1``, ``127.1``) and
every IPv6 form that embeds an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) is
reduced to the address it names. A host that is not a valid name or address is denied.

Internal means not globally routable (loopback, private, link-local, CGNAT, multicast,
unspecified, reserved, documentation ranges), a cloud metadata name, a single-label name
(resolved through search domains to internal hosts), a ``.local`` / ``.internal`` /
``.localhost`` name, or a wildcard-DNS name (nip.io and friends) that embeds such an address.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["ParsedURL", "host_problem", "internal_host", "parse_url"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA_HOSTS = frozenset(
    {
        "metadata.google.internal", "metadata.goog", "metadata", "instance-data",
        "instance-data.ec2.internal", "metadata.azure.com", "kubernetes.default",
        "kubernetes.default.svc", "localhost", "localhost.localdomain", "ip6-localhost",
        "ip6-loopback", "localtest.me", "lvh.me", "vcap.me", "metadata.tencentyun.com",
        "metadata.platformequinix.com", "instance-data.ec2.internal.",
    }
)  # fmt: skip
# cloud services on globally routable addresses that answer only from inside the cloud
_METADATA_IPS = frozenset({ipaddress.ip_address("168.63.129.16")})  # Azure WireServer
_INTERNAL_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".localtest.me",
                      ".lvh.me", ".vcap.me", ".home.arpa", ".intranet", ".corp", ".lan",
                      ".svc", ".cluster.local", ".in-addr.arpa", ".ip6.arpa")  # fmt: skip
_WILDCARD_DNS = re.compile(
    r"(?:^|[.-])((?:\d{1,3}[.-]){3}\d{1,3}|[0-9a-f]{8})\.(?:nip\.io|sslip\.io|xip\.io|"
    r"traefik\.me|localtest\.me)\Z"
)
_HOSTNAME = re.compile(r"\A[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*\Z")
_NUMERIC_LABEL = re.compile(r"\A(?:0x[0-9a-f]*|\d+)\Z")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]{0,30}):")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")


def fold(text: str) -> str:
    """NFKC plus the dots IDNA treats as '.'."""
    return (
        unicodedata.normalize("NFKC", text)
        .replace("\u3002", ".")
        .replace("\uff61", ".")
        .replace("\uff0e", ".")
    )


def parse_ipv4_loose(host: str) -> ipaddress.IPv4Address | None:
    """inet_aton's forms: 2130706433, 0x7f000001, 0177.0.0.1, 127.1, 0x7f.1."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(parts):
        return None
    nums: list[int] = []
    for part in parts:
        if not _NUMERIC_LABEL.match(part) or len(part) > 40:
            return None
        try:
            if part.startswith("0x"):
                nums.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                nums.append(int(part, 8))
            else:
                nums.append(int(part, 10))
        except ValueError:
            return None
    *head, last = nums
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(nums)):
        return None
    value = 0
    for n in head:
        value = value * 256 + n
    value = value * 256 ** (5 - len(nums)) + last
    return ipaddress.IPv4Address(value)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.packed[:12] == bytes(12) and int(ip) > 1:  # deprecated IPv4-compatible
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.packed[:8] == bytes(8) and ip.packed[8:12] in (b"\xff\xff\x00\x00", b"\x00\x00\xff\xff"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)  # SIIT ::ffff:0:a.b.c.d
    return None


def internal_ip(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None and internal_ip(inner):
            return True
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return True  # also Alibaba's metadata service, 100.100.100.200
    return not ip.is_global or ip.is_multicast or ip.is_reserved or ip in _METADATA_IPS


def clean_host(host: str) -> str:
    """The host as a resolver would see it: percent-decoded, folded, lower-case, no
    brackets, no trailing dots, no IPv6 zone id."""
    h = host
    for _ in range(3):
        if "%" not in h:
            break
        h = unquote(h)
    h = fold(h).strip().lower()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    h = h.rstrip(".")
    if "%" in h and ":" in h:  # IPv6 zone id
        h = h.split("%", 1)[0]
    return h


def ip_of(host: str) -> IPAddress | None:
    """The address ``host`` (already cleaned) spells in any notation, or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return parse_ipv4_loose(host)


def internal_host(host: str) -> str | None:
    """Why ``host`` (a name or any IP spelling) is internal, or None if it looks public."""
    h = clean_host(host)
    if not h:
        return None
    ip = ip_of(h)
    if ip is not None:
        return f"internal address {ip}" if internal_ip(ip) else None
    if h in _METADATA_HOSTS or h.endswith(_INTERNAL_SUFFIXES):
        return f"internal name {h}"
    wild = _WILDCARD_DNS.search(h)
    if wild:
        inner = wild.group(1)
        ip4 = (
            parse_ipv4_loose(inner.replace("-", "."))
            if "." in inner or "-" in inner
            else ipaddress.IPv4Address(int(inner, 16))
        )
        if ip4 is not None and internal_ip(ip4):
            return f"wildcard DNS name for {ip4}"
    if "." not in h:
        return f"single-label name {h}"
    return None


def host_problem(host: str, allow_private: bool = False) -> str | None:
    """Why ``host`` may not be reached: unparsable, or internal (unless allowed)."""
    h = clean_host(host)
    if not h:
        return "no host"
    ip = ip_of(h)
    if ip is None:
        if not h.isascii():
            try:
                h = h.encode("idna").decode("ascii")
            except UnicodeError:
                return f"host {h[:60]!r} is not a valid name"
        labels = h.split(".")
        if _NUMERIC_LABEL.match(labels[-1]):
            # WHATWG: a host whose last label is a number must be an IPv4 address
            return f"host {h[:60]!r} is not a valid address"
        if not _HOSTNAME.match(h) or len(h) > 253:
            return f"host {h[:60]!r} is not a valid name"
    if allow_private:
        return None
    return internal_host(h)


@dataclass(frozen=True, slots=True)
class ParsedURL:
    scheme: str  # "" when the URL had none
    hosts: tuple[str, ...]  # the host, and any other host a lenient parser may pick
    problem: str | None = None


def parse_url(value: str) -> ParsedURL:
    """Scheme and host(s) of ``value`` as lenient clients read it."""
    text = fold(value).strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return ParsedURL("", (), "control character in URL")
    raw_text = text
    text = text.replace("\\", "/")
    scheme = ""
    m = _SCHEME.match(text.lower())
    rest = text
    if m and not text[m.end() : m.end() + 1].isdigit():
        scheme = m.group(1)
        rest = text[m.end() :]
    elif m is None and ":" in text.split("/", 1)[0] and not text.startswith(("/", "[")):
        head = text.split("/", 1)[0]
        if not head.rsplit(":", 1)[1].isdigit():
            return ParsedURL("", (), "URL with an unreadable scheme")
    if scheme in ("mailto", "data", "javascript", "about", "blob"):
        return ParsedURL(scheme, ())
    if scheme == "file" or (not scheme and rest.startswith("///")):
        return ParsedURL(scheme or "file", ())
    authority = rest.lstrip("/")
    for stop in "/?#":
        authority = authority.split(stop, 1)[0]
    hosts: list[str] = []
    if "@" in authority:
        # WHATWG takes the part after the last '@', some clients the first
        hosts.append(_strip_port(authority.rsplit("@", 1)[1]))
        hosts.append(_strip_port(authority.split("@", 1)[1]))
        userinfo = _strip_port(authority.split("@", 1)[0])
        if "." in userinfo or userinfo.startswith("["):  # parsers that stop at ':' or '@'
            hosts.append(userinfo)
    else:
        hosts.append(_strip_port(authority))
    if "\\" in raw_text:
        # RFC 3986 parsers (Python's urlsplit) keep '\\' inside the authority, so
        # 'http://a.test\\@10.0.0.1/' reaches 10.0.0.1 there: judge that host too
        raw_rest = raw_text[len(raw_text) - len(rest) :].lstrip("/")
        raw_authority = raw_rest
        for stop in "/?#":
            raw_authority = raw_authority.split(stop, 1)[0]
        hosts.append(_strip_port(raw_authority.rsplit("@", 1)[-1].replace("\\", "")))
    unique = tuple(dict.fromkeys(h for h in hosts))
    return ParsedURL(scheme, unique)


def _strip_port(authority: str) -> str:
    if authority.startswith("["):
        return authority.split("]", 1)[0] + "]"
    if authority.count(":") == 1:
        return authority.split(":", 1)[0]
    if authority.count(":") > 1:  # an IPv6 address without brackets
        return authority
    return authority
