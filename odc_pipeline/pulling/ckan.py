"""CKAN portals (Satu Data Indonesia, Open Data Jabar and others): find a resource's file.

A registry entry points at the dataset's `package_show` URL and names the resource (by its
name, its id, or its format); the API's answer gives the file's URL, which is then pulled
like any other.
"""

from __future__ import annotations

import json
from pathlib import Path


class CkanError(RuntimeError):
    """The package or the resource could not be found; the message lists what there is."""


def resource_url(package_show: Path, wanted: str, shown_url: str) -> tuple[str, str]:
    """From a saved `package_show` answer, the URL and name of the resource `wanted`."""
    try:
        answer = json.loads(package_show.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CkanError(f"{shown_url}: not a CKAN API answer ({error})") from None
    if not isinstance(answer, dict) or not answer.get("success"):
        detail = answer.get("error") if isinstance(answer, dict) else None
        raise CkanError(f"{shown_url}: the CKAN API refused: {detail or 'no success flag'}")
    resources = (answer.get("result") or {}).get("resources") or []
    key = wanted.casefold()
    for field in ("id", "name", "format"):
        matches = [r for r in resources if str(r.get(field) or "").casefold() == key]
        if len(matches) == 1:
            match = matches[0]
            if not match.get("url"):
                raise CkanError(f"{shown_url}: resource {wanted!r} has no URL")
            return match["url"], match.get("name") or match["id"]
        if len(matches) > 1:
            raise CkanError(
                f"{shown_url}: {len(matches)} resources have {field} {wanted!r}; "
                "name the one to pull by its id"
            )
    available = ", ".join(
        f"{r.get('name')!r} ({r.get('format')}, id {r.get('id')})" for r in resources
    )
    raise CkanError(
        f"{shown_url}: no resource with id, name or format {wanted!r}; "
        f"the package has: {available or 'no resources'}"
    )
