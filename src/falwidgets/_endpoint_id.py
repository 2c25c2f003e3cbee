"""fal endpoint ids, parsed once for every layer (client URLs, the local server's routes, the
workshop proxy's allow-list).

An id is ``[namespace/]owner/app[/path]`` (``fal-ai/flux-pro/kontext/max``, ``workflows/me/wf``)
or a legacy ``<number>-<app>``. Status, result and cancel URLs use only ``[namespace/]owner/app``;
submit, run and stream use the full id. Ids end up in URL paths, so segments are restricted to
URL-safe characters and ``.``/``..``, empty segments and whitespace are refused with a clear error.

This module imports nothing from the package: any layer may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "NAMESPACES",
    "RUN_PREFIX",
    "EndpointId",
    "app_id_of",
    "is_segment",
    "parse_endpoint",
]

NAMESPACES = ("workflows", "comfy")
RUN_PREFIX = "run"  # a one-server layout (``falwidgets serve``) serves fal.run under <base>/run
_LEGACY = re.compile(r"^([0-9]+)-([a-zA-Z0-9-]+)$")
_PART = re.compile(r"^[A-Za-z0-9._~@+-]+$")


def is_segment(part: str) -> bool:
    """Whether ``part`` may be one ``/``-separated segment of an id (URL-safe, not ``.``/``..``)."""
    return bool(_PART.match(part)) and part not in (".", "..")


@dataclass(frozen=True)
class EndpointId:
    """A parsed endpoint id: ``[namespace/]owner/app[/path]``."""

    owner: str
    app: str
    path: str = ""
    namespace: str = ""

    @property
    def app_id(self) -> str:
        """``[namespace/]owner/app``: the prefix of status, result and cancel URLs."""
        prefix = f"{self.namespace}/" if self.namespace else ""
        return f"{prefix}{self.owner}/{self.app}"

    @property
    def full(self) -> str:
        """The full id, used by submit, run and stream."""
        return f"{self.app_id}/{self.path}" if self.path else self.app_id


def parse_endpoint(endpoint: str) -> EndpointId:
    """Split an endpoint id the way fal's official clients do, with a clear error on bad input.

    One leading or trailing ``/`` is tolerated (ids copied from URLs); anything else odd is not.
    """
    if not isinstance(endpoint, str) or not endpoint.strip().strip("/"):
        raise ValueError(f"endpoint must be a string like 'fal-ai/flux/dev', got {endpoint!r}")
    text = endpoint.strip()
    parts = text.strip("/").split("/")
    for part in parts:
        if not part:
            raise ValueError(f"invalid endpoint id {endpoint!r}: empty segment ('//')")
        if part in (".", ".."):
            raise ValueError(f"invalid endpoint id {endpoint!r}: relative segment {part!r}")
        if not is_segment(part):
            raise ValueError(
                f"invalid endpoint id {endpoint!r}: segment {part!r} has characters other than "
                "letters, digits and . _ ~ @ + -"
            )
    if len(parts) == 1:
        legacy = _LEGACY.match(parts[0])
        if not legacy:
            raise ValueError(f"invalid endpoint id {endpoint!r}: expected 'owner/app[/path]'")
        return EndpointId(legacy.group(1), legacy.group(2))
    if parts[0] in NAMESPACES:
        if len(parts) < 3:
            raise ValueError(f"invalid endpoint id {endpoint!r}: expected '{parts[0]}/owner/app'")
        return EndpointId(parts[1], parts[2], "/".join(parts[3:]), parts[0])
    return EndpointId(parts[0], parts[1], "/".join(parts[2:]))


def app_id_of(pattern: str) -> str:
    """``[namespace/]owner/app`` of an id, or of a glob such as ``fal-ai/flux/*`` (no character
    checks, so allow-list patterns work): what status, result and cancel URLs are named by.

    A pattern too short to have an app part is returned as it is.
    """
    parts = pattern.strip().strip("/").split("/")
    if len(parts) == 1:
        legacy = _LEGACY.match(parts[0])
        return f"{legacy.group(1)}/{legacy.group(2)}" if legacy else parts[0]
    keep = 3 if parts[0] in NAMESPACES else 2
    return "/".join(parts[:keep])
