"""The registry: user entries first, type predicates, decorator, context managers, declining."""

from __future__ import annotations

import ipywidgets as W
import pytest

from falwidgets.previews import Block, Node, esc, register_preview, registry, render


@pytest.fixture(autouse=True)
def _restore_registry() -> object:
    with registry.restoring():
        yield


def test_user_entry_overrides_builtin_images() -> None:
    with register_preview(
        lambda n: n.media is not None and n.media.kind == "image",
        lambda n: f'<p class="mine">{esc(n.media.display_name)}</p>',
    ):
        html = render({"images": [{"url": "https://x/a.png"}]}).html
        assert '<p class="mine">a.png</p>' in html and "<img" not in html
    assert "<img" in render({"images": [{"url": "https://x/a.png"}]}).html  # removed on exit


def test_newest_registration_wins_and_remove() -> None:
    first = register_preview(lambda n: n.key == "score", lambda n: "<i>first</i>")
    second = register_preview(lambda n: n.key == "score", lambda n: "<i>second</i>")
    assert "<i>second</i>" in render({"score": 1}).html
    second.remove()
    assert "<i>first</i>" in render({"score": 1}).html
    first.remove()
    first.remove()  # idempotent
    assert '"score": 1' in render({"score": 1}).html


def test_decorator_form_and_type_predicate() -> None:
    class Mesh:
        def __init__(self, name: str) -> None:
            self.name = name

    @register_preview(Mesh)
    def mesh_card(node: Node) -> str:
        return f"<b>mesh {esc(node.value.name)}</b>"

    html = render({"result": Mesh("<cube>")}).html
    assert "<b>mesh &lt;cube&gt;</b>" in html
    assert registry.entries()[0].factory is mesh_card


def test_factory_may_return_a_widget_block_or_decline() -> None:
    calls: list[str] = []

    def declining(node: Node) -> None:
        calls.append(node.name)
        return None

    register_preview(lambda n: n.key == "video", declining)
    register_preview(lambda n: n.key == "level", lambda n: W.IntProgress(value=n.value, max=10))
    register_preview(lambda n: n.key == "tags", lambda n: Block("chips", ["<span>t</span>"]))
    r = render(
        {"video": {"url": "https://x/v.mp4"}, "level": 3, "tags": ["a"]},
    )
    assert calls == ["video"]  # declined: the built-in video entry rendered it
    assert "<video" in r.html
    (progress,) = r.widgets
    assert isinstance(progress, W.IntProgress) and progress.value == 3
    assert '<div class="fw-chips"><span>t</span></div>' in r.html


def test_failing_factory_is_reported_escaped_and_the_next_entry_renders() -> None:
    def broken(node: Node) -> str:
        raise RuntimeError("<boom>")

    register_preview(lambda n: n.key == "images", broken)
    html = render({"images": [{"url": "https://x/a.png"}]}).html
    assert "preview broken failed at images: RuntimeError: &lt;boom&gt;" in html
    assert "<img" in html  # the built-in gallery still shows the images


def test_node_context_for_predicates() -> None:
    seen: list[tuple[object, ...]] = []

    def spy(node: Node) -> bool:
        seen.append((node.path, node.name, node.parent.key if node.parent else "-"))
        return False

    register_preview(spy, lambda n: None)
    render({"a": {"b": [1]}})
    assert seen == [
        ((), "", "-"),
        (("a",), "a", None),
        (("a", "b"), "b", "a"),
        (("a", "b", 0), "b", "b"),
    ]


def test_bad_registrations_fail_clearly() -> None:
    with pytest.raises(TypeError, match="predicate must be a type or a callable"):
        register_preview("images", lambda n: None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="factory must be callable"):
        register_preview(lambda n: True, "nope")  # type: ignore[arg-type]


def test_restoring_undoes_everything_inside() -> None:
    before = registry.entries()
    with registry.restoring():
        register_preview(int, lambda n: "x")
        register_preview(str, lambda n: "y")
        assert len(registry.entries()) == len(before) + 2
    assert registry.entries() == before
