"""Hostile server text and URLs reach the page only as text and are never linked.

The anywidget front ends get JSON, not HTML: every string is drawn as a text node
(``js/src/shared/dom.js``, never ``innerHTML``) except the ``html`` block kind, which only a user's
own preview factory makes; URLs sit under a few keys and must never carry a dangerous scheme.
So the audit walks the synced state: no ``html`` block may come from a server's output (and any
``html`` is parsed for what a browser would execute), no URL key holds a dangerous URL, and the
hostile text is present, as plain text.
"""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
from typing import Any

import pytest
from hostile_endpoint import ENDPOINT, register

import falwidgets
from loop_helpers import run_coroutine

DANGEROUS_SCHEMES = ("javascript:", "data:text/html", "vbscript:")
# keys whose string the front ends put in src/href (results/render.js, app.js)
URL_KEYS = frozenset({"url", "download", "src", "href", "poster", "live_url", "thumbnail"})
# our own code and the form's own description of itself, not server data
NOT_DATA = frozenset({"_esm", "_css", "spec", "kinds", "layout", "children"})


class _Audit(HTMLParser):
    """Collects what a browser would execute or follow in an HTML string."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed", "base", "meta"):
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> handler")
            squashed = "".join((value or "").split()).lower()
            if name in ("src", "href", "poster", "action", "formaction", "srcdoc", "data") and (
                squashed.startswith(DANGEROUS_SCHEMES) or name == "srcdoc"
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")


def audit(markup: str) -> list[str]:
    parser = _Audit()
    parser.feed(markup)
    parser.close()
    return parser.problems


def _leaves(value: Any, key: str = "") -> list[tuple[str, Any]]:
    """(nearest dict key, value) for every leaf and every dict of a JSON value."""
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = [(key, value)]
        for k, v in value.items():
            out.extend(_leaves(v, str(k)))
        return out
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _leaves(item, key)]
    return [(key, value)]


def synced_data(widget: Any) -> list[tuple[str, Any]]:
    state = widget.get_state()
    return [
        leaf
        for name, value in state.items()
        if name not in NOT_DATA
        for leaf in _leaves(value, name)
    ]


def widget_text(widget: Any) -> str:
    """Every string the front end draws as text (text nodes: never parsed as HTML)."""
    return "\n".join(
        v for k, v in synced_data(widget) if isinstance(v, str) and k not in URL_KEYS | {"html"}
    )


def widget_problems(widget: Any) -> list[str]:
    """What in a widget's synced state a browser could execute or follow."""
    problems: list[str] = []
    for key, value in synced_data(widget):
        if isinstance(value, dict) and value.get("kind") == "html":
            problems.append(f"html block from server output: {str(value)[:120]}")
            problems.extend(audit(str(value.get("html") or "")))
        elif isinstance(value, str) and key in URL_KEYS:
            squashed = "".join(value.split()).lower()
            if squashed.startswith(DANGEROUS_SCHEMES):
                problems.append(f"{key}={value[:120]!r}")
    return problems


@pytest.fixture(scope="module")
def hostile_runs(local_server: Any) -> list[Any]:
    register()
    client = falwidgets.AsyncClient(base_url=local_server.url)
    apps = [falwidgets.app(ENDPOINT, client=client, timeout=30) for _ in range(3)]

    async def go() -> None:
        for ui, mode in zip(apps, ("output", "fail", "field"), strict=True):
            ui.form.value = {"mode": mode}
            ui.handle_message({"type": "run"}, [])  # what the Run button sends
        await asyncio.wait_for(asyncio.gather(*(ui.wait_async() for ui in apps)), 60)

    run_coroutine(go())
    return apps


def test_the_hostile_runs_really_rendered_their_text(hostile_runs: list[Any]) -> None:
    done, failed, field_error = hostile_runs
    assert done.last.state == "done" and failed.last.state == "failed"
    assert field_error.last.state == "failed"
    text = widget_text(done)
    assert "<script>" in text and "onerror" in text  # shown, as text
    assert "window.__pwned" in widget_text(failed)  # the logs made it to the page
    assert "window.__pwned" in widget_text(field_error)  # the field's message too


@pytest.mark.parametrize("which", [0, 1, 2])
def test_no_markup_can_execute_or_follow_a_dangerous_url(
    hostile_runs: list[Any], which: int
) -> None:
    assert widget_problems(hostile_runs[which]) == []


def test_preview_alone_escapes_and_drops_dangerous_urls(local_server: Any) -> None:
    register()
    output = falwidgets.Client(base_url=local_server.url).run(ENDPOINT, {"mode": "output"})
    widget = falwidgets.preview(output)
    assert widget_problems(widget) == []
    urls = [v for k, v in synced_data(widget) if k in URL_KEYS and isinstance(v, str)]
    assert any("/files/" in url for url in urls), "the one real image is still shown"
    text = widget_text(widget)
    assert "<script>" in text and "onerror" in text  # shown, as text
    # the bad URLs may be shown as text (so the user sees what came back), never as a link
    assert "javascript:" in text.lower()
