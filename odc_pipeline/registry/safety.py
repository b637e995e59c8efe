"""Where a registry entry may point: inside the data folders, or at a public web address.

The registry is written by many hands. A location must not reach files outside the folders
the operator allows (`../../etc/passwd`, or a symlink inside pointing out), and a URL must
not reach the server's own network (loopback, private ranges, cloud metadata addresses)
unless the operator lists that host. Checked when the registry loads, and again at each
pull and each redirect (a name can resolve differently later).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from odc_pipeline.settings import read

ALLOWED_DIRS_VARIABLE = "ODC_ALLOWED_DATA_DIRS"
ALLOWED_HOSTS_VARIABLE = "ODC_ALLOWED_HOSTS"
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def allowed_roots(base_dir: Path, environ: Mapping[str, str] | None = None) -> list[Path]:
    """The registry's own folder and the folders listed in ODC_ALLOWED_DATA_DIRS."""
    listed = read(ALLOWED_DIRS_VARIABLE, environ)
    extra = [Path(p) for p in listed.split(os.pathsep) if p.strip()]
    return [root.resolve() for root in (base_dir, *extra)]


def allowed_hosts(environ: Mapping[str, str] | None = None) -> set[str]:
    listed = read(ALLOWED_HOSTS_VARIABLE, environ)
    return {h.strip().lower() for h in listed.split(",") if h.strip()}


def path_problem(location: str, base_dir: Path, roots: list[Path]) -> str | None:
    """Why a local location may not be used, or None. Symlinks are followed first."""
    resolved = (base_dir / location).resolve()
    if any(resolved == root or resolved.is_relative_to(root) for root in roots):
        return None
    shown = ", ".join(str(r) for r in roots)
    return (
        f"location {location!r} leads outside the allowed folders ({shown}) to {resolved}; "
        f"move the file there, or list its folder in {ALLOWED_DIRS_VARIABLE}"
    )


def _internal_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def host_problem(url: str, hosts: set[str], resolve: bool = False) -> str | None:
    """Why a URL may not be fetched, or None: its host is on this server's own network.

    Without `resolve`, only the written host is judged (an IP literal or an internal name);
    with it, every address the name resolves to.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"{parts.scheme}:// is not pulled; only http(s) URLs are"
    host = (parts.hostname or "").lower()
    if not host:
        return "the URL has no host"
    if host in hosts:
        return None
    refusal = (
        f"{host} is on this server's own network; members' sources must be public "
        f"addresses (an operator can allow a host in {ALLOWED_HOSTS_VARIABLE})"
    )
    if host == "localhost" or host.endswith(_INTERNAL_SUFFIXES):
        return refusal
    try:
        return refusal if _internal_address(host) else None
    except ValueError:
        pass  # a name, not an address
    if not resolve:
        return None
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return None  # cannot resolve: the download says so
    if any(_internal_address(info[4][0]) for info in infos):
        return refusal
    return None
