"""Hostile server text and URLs reach the page only as escaped text and are never linked."""

from __future__ import annotations

import asyncio
from html.parser import HTMLParser
from typing import Any

import pytest
from hostile_endpoint import ENDPOINT, register

import falwidgets
from loop_helpers import run_coroutine

DANGEROUS_SCHEMES = ("javascript:", "data:text/html", "vbscript:")


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


def widget_markup(widget: Any) -> list[str]:
    """Every HTML string in a widget tree (HTML values, labels, descriptions, tooltips)."""
    out: list[str] = []
    state = widget.get_state()
    for key in ("value", "description", "tooltip", "placeholder", "_esm", "html", "label"):
        value = state.get(key)
        if isinstance(value, str):
            out.append(value)
    for child in getattr(widget, "children", ()) or ():
        out.extend(widget_markup(child))
    return out


@pytest.fixture(scope="module")
def hostile_runs(local_server: Any) -> list[Any]:
    register()
    client = falwidgets.AsyncClient(base_url=local_server.url)
    apps = [falwidgets.app(ENDPOINT, client=client, timeout=30) for _ in range(3)]

    async def go() -> None:
        for ui, mode in zip(apps, ("output", "fail", "field"), strict=True):
            ui.form.value = {"mode": mode}
            ui.run_button.click()
        await asyncio.wait_for(asyncio.gather(*(ui.wait_async() for ui in apps)), 60)

    run_coroutine(go())
    return apps


def test_the_hostile_runs_really_rendered_their_text(hostile_runs: list[Any]) -> None:
    done, failed, field_error = hostile_runs
    assert done.last.state == "done" and failed.last.state == "failed"
    assert field_error.last.state == "failed"
    markup = "\n".join(widget_markup(done))
    assert "&lt;script&gt;" in markup and "onerror" in markup  # shown, as text
    assert "window.__pwned" in "\n".join(widget_markup(failed))  # the logs made it to the page


@pytest.mark.parametrize("which", [0, 1, 2])
def test_no_markup_can_execute_or_follow_a_dangerous_url(
    hostile_runs: list[Any], which: int
) -> None:
    problems = [(m[:120], p) for m in widget_markup(hostile_runs[which]) for p in audit(m)]
    assert problems == []


def test_preview_alone_escapes_and_drops_dangerous_urls(local_server: Any) -> None:
    register()
    output = falwidgets.Client(base_url=local_server.url).run(ENDPOINT, {"mode": "output"})
    widget = falwidgets.preview(output)
    markup = "\n".join(widget_markup(widget))
    assert audit(markup) == []
    assert "/files/" in markup, "the one real image is still shown"
    # the bad URLs may be shown as text (so the user sees what came back), never as a link
    assert "javascript:" in markup.lower()
