"""Every Output example in the real fal corpus previews without error, and media are found."""

from __future__ import annotations

import collections
from pathlib import Path
from typing import Any

import pytest
from preview_cases import parse_html

from falwidgets.previews import preview, render


def test_every_corpus_output_example_renders(corpus_outputs: dict[str, dict[str, Any]]) -> None:
    assert len(corpus_outputs) > 1300
    counts: collections.Counter[str] = collections.Counter()
    for stem, output in corpus_outputs.items():
        r = render(output)
        checker = parse_html(r.html)
        assert not checker.problems, (stem, checker.problems)
        assert 'class="fw-error"' not in r.html, stem
        for tag, attrs in checker.tags:
            if tag in ("img", "video", "audio"):
                counts[tag] += 1
            if "fw-boxes" in (attrs.get("class") or ""):
                counts["boxes"] += 1
        counts["glb"] += len(r.widgets)
    # 386 documents carry no Output examples; in the rest (census, form-conventions.md (b)):
    # hundreds of images and videos, dozens of audio and GLB. Floors just under today's counts
    # catch a detector that silently stops finding media.
    assert counts["img"] > 380, counts
    assert counts["video"] > 440, counts
    assert counts["audio"] > 85, counts
    assert counts["glb"] > 25, counts
    assert counts["boxes"] >= 2, counts  # moondream3 detect and segment


@pytest.mark.parametrize(
    ("stem", "tag"),
    [
        ("fal-ai__flux-realism", "img"),
        ("fal-ai__toon-crafter", "video"),
        ("anthonywu__gamecraft", "video"),
    ],
)
def test_seed_endpoints_with_their_output_spec(seeds_dir: Path, stem: str, tag: str) -> None:
    """URLs with no extension and no content type still get the right player from the spec."""
    from falwidgets.schema import load_endpoint

    endpoint = load_endpoint(seeds_dir / f"{stem}.json")
    assert endpoint.output is not None
    output: dict[str, Any] = {}
    for prop in endpoint.output.properties:
        if (
            prop.media is not None
        ):  # toon-crafter: `video` is a File (media "file"): the name says video
            blob = {"url": f"https://x/{prop.name}-blob"}
            output[prop.name] = [blob] if prop.kind == "array" else blob
    assert output, "the seed output spec names no media field"
    w = preview(output, spec=endpoint)  # an EndpointSchema works as well as its .output
    kind = {"img": "images", "video": "video"}[tag]
    blocks = [b for b in w.blocks if b["kind"] == kind]
    srcs = [i["url"] for b in blocks for i in b.get("items", [b])]
    assert srcs and all(src.startswith("https://x/") for src in srcs)
    srcs = [a["src"] for t, a in parse_html(render(output, spec=endpoint).html).tags if t == tag]
    assert srcs and all(src.startswith("https://x/") for src in srcs)
