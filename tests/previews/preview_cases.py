"""Real-shaped outputs (from the corpus's Output examples) and an HTML safety checker.

A plain module (not conftest) so test files can import it by a name no other test area uses.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from falwidgets.previews import safe_url

FAL = "https://v3.fal.media/files"

# shapes copied from the corpus (fal-ai/flux-realism, toon-crafter, minimax-music/v1.5, meshy/v5,
# moondream3-preview/detect and /point, florence-2-large/object-detection, flux-krea-lora/stream)
OUTPUTS: dict[str, dict[str, Any]] = {
    "flux": {
        "images": [
            {
                "url": f"{FAL}/rabbit/img{i}.jpeg",
                "content_type": "image/jpeg",
                "width": 1024,
                "height": 768,
                "file_size": 180_000 + i,
            }
            for i in range(4)
        ],
        "timings": {"inference": 2.1234},
        "seed": 42,
        "has_nsfw_concepts": [False, False, False, False],
        "prompt": "a red fox in the snow",
    },
    "video": {
        "video": {
            "url": f"{FAL}/zebra/out.mp4",
            "content_type": "video/mp4",
            "file_name": "out.mp4",
            "file_size": 1_234_567,
        }
    },
    "audio": {"audio": {"url": f"{FAL}/lion/music.mp3", "content_type": "audio/mpeg"}},
    "meshy": {
        "model_glb": {
            "file_size": 7875308,
            "file_name": "model.glb",
            "content_type": "model/gltf-binary",
            "url": f"{FAL}/b/tiger/model.glb",
        },
        "thumbnail": {
            "file_name": "preview.png",
            "content_type": "image/png",
            "url": f"{FAL}/b/koala/preview.png",
        },
        "model_urls": {
            "fbx": {
                "file_name": "model.fbx",
                "content_type": "application/octet-stream",
                "url": f"{FAL}/b/koala/model.fbx",
            },
            "usdz": {
                "file_name": "model.usdz",
                "content_type": "model/vnd.usdz+zip",
                "url": f"{FAL}/b/panda/model.usdz",
            },
            "glb": {
                "file_name": "model.glb",
                "content_type": "model/gltf-binary",
                "url": f"{FAL}/b/tiger/model.glb",
            },
            "obj": {"file_name": "model.obj", "content_type": "text/plain", "url": f"{FAL}/m.obj"},
        },
        "texture_urls": [
            {"base_color": {"content_type": "image/png", "url": f"{FAL}/b/panda/texture_0.png"}}
        ],
        "seed": 783032043,
    },
    "detect": {
        "finish_reason": "stop",
        "usage_info": {"output_tokens": 23, "input_tokens": 737, "ttft_ms": 91.87},
        "objects": [
            {"y_min": 0.163, "x_max": 0.875, "x_min": 0.817, "y_max": 0.306},
            {"y_min": 0.098, "x_max": 0.715, "x_min": 0.670, "y_max": 0.210},
        ],
        "image": {"url": "https://storage.googleapis.com/falserverless/detect_out.png"},
    },
    "points": {
        "finish_reason": "stop",
        "points": [{"y": 0.866, "x": 0.118}, {"y": 0.5, "x": 0.25}],
        "image": {"url": "https://storage.googleapis.com/falserverless/point_out.png"},
    },
    "florence": {
        "results": {
            "bboxes": [
                {"x": 100, "y": 50, "w": 200, "h": 100, "label": "car"},
                {"x": 0, "y": 0, "w": 400, "h": 400, "label": "road"},
            ]
        },
        "image": {"url": f"{FAL}/f.png", "content_type": "image/png", "width": 800, "height": 400},
    },
}


def output_component(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The Output schema of a corpus document (either kind, see fal-schemas/README.md)."""
    comps = doc.get("components", {}).get("schemas", {})
    derived = doc.get("x-falschemas-derived")
    if derived:
        return comps.get(derived.get("output_schema") or "")
    for path, ops in doc.get("paths", {}).items():
        if path.endswith("/requests/{request_id}") and "get" in ops:
            schema = ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            return comps.get(schema.get("$ref", "").rsplit("/", 1)[-1])
    return None


def example_output(doc: dict[str, Any]) -> dict[str, Any]:
    """An output built from the first example of every Output property (what fal shows)."""
    schema = output_component(doc) or {}
    out: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        examples = prop.get("examples")
        if isinstance(examples, list) and examples:
            out[name] = examples[0]
        elif "example" in prop:
            out[name] = prop["example"]
    return out


ALLOWED_TAGS = {
    "style", "div", "span", "b", "figure", "figcaption", "img", "a", "video", "audio",
    "details", "summary", "pre",
}  # fmt: skip
URL_ATTRS = {"src", "href"}


class HtmlCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._in_style = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        self._in_style = tag == "style"
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r}")
            if name in URL_ATTRS and safe_url(value, href=name == "href") is None:
                self.problems.append(f"unsafe {name}={value!r}")
            if name == "style" and value and ("url(" in value or "expression" in value):
                self.problems.append(f"style with url(): {value!r}")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.text.append(data)


def parse_html(html: str) -> HtmlCheck:
    checker = HtmlCheck()
    checker.feed(html)
    checker.close()
    return checker
