# ruff: noqa: E501  (markdown cell text is wrapped for reading, not for the linter)
"""Write notebooks/01..06 from the cell sources below (outputs cleared, so git diffs stay readable).

Run ``python notebooks/make_notebooks.py`` after editing; ``tests/notebooks`` executes every
notebook with nbclient (no FAL_KEY, no internet) and fails if this script would change a file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

MD, CODE = "md", "code"

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {
    "01-quickstart": [
        (
            MD,
            """# falwidgets quickstart

One cell gives a working form for a fal model. With no `FAL_KEY` set, falwidgets starts a
fal-compatible **local server** in this kernel (once) whose demo endpoints make real images, video,
audio and 3D, so this notebook runs offline. Set `FAL_KEY` and the same code talks to fal.ai.""",
        ),
        (
            CODE,
            """import falwidgets

ui = falwidgets.app("fal-ai/flux-realism")
ui""",
        ),
        (
            MD,
            """Type a prompt and press **Run**: the status line shows the queue position, then the elapsed
time, then the inference time; logs stream in below; the images appear in the result area.

The same run from code (handy in scripts too): `run()` blocks until the result is back.""",
        ),
        (
            CODE,
            """result = ui.run({"prompt": "a lighthouse on a cliff at dusk, film photo", "seed": 7})
print(ui.status["text"])
print(result["images"][0]["url"])""",
        ),
        (
            MD,
            """`ui.form.code()` is the Python call for the current inputs, ready to paste into a script:""",
        ),
        (CODE, """print(ui.form.code())"""),
    ],
    "02-seed-endpoints": [
        (
            MD,
            """# The three seed endpoints

`fal-ai/flux-realism` (text to image), `fal-ai/toon-crafter` (keyframes to an animation) and
`anthonywu/gamecraft` (an image plus camera actions to a game-like video). Their forms come from
fal's published schemas; on the local server each makes real media.""",
        ),
        (
            CODE,
            """import falwidgets

flux = falwidgets.app("fal-ai/flux-realism")
frames = flux.run({"prompt": "a red fox in fresh snow", "num_images": 2, "seed": 1})
flux""",
        ),
        (
            MD,
            """toon-crafter interpolates between keyframes: use the two images flux just made.""",
        ),
        (
            CODE,
            """toon = falwidgets.app("fal-ai/toon-crafter")
urls = [image["url"] for image in frames["images"]]
clip = toon.run({"keyframe_image_urls": urls, "prompt": "a fox turning its head", "steps": 10})
print(clip["video"]["url"])
toon""",
        ),
        (
            CODE,
            """game = falwidgets.app("anthonywu/gamecraft")
first = frames["images"][0]
walk = game.run(
    {
        "image": {"url": first["url"], "content_type": "image/png"},
        "prompt": "a fox walking through a snowy forest",
        "infer_steps": 8,
    }
)
print(walk["video"]["url"])
game""",
        ),
    ],
    "03-media-previews": [
        (
            MD,
            """# Media previews

Results render inline by URL (nothing large goes through the kernel): image galleries, video and
audio players, a three.js GLB viewer bundled with the package (works offline), detection boxes
drawn over their image, and streamed images that replace each other as they arrive.""",
        ),
        (
            CODE,
            """import falwidgets

images = falwidgets.app("fal-ai/imagen4/preview")
shots = images.run({"prompt": "three ceramic cups on a wooden table", "num_images": 2})
images""",
        ),
        (
            MD,
            """Video plays in a `<video controls>` player: here toon-crafter animates between the two
images just made.""",
        ),
        (
            CODE,
            """video = falwidgets.app("fal-ai/toon-crafter")
keyframes = [image["url"] for image in shots["images"]]
video.run({"keyframe_image_urls": keyframes, "prompt": "the cups slide together", "steps": 10})
video""",
        ),
        (
            CODE,
            """music = falwidgets.app("fal-ai/minimax-music/v1.5")
music.run(
    {
        "prompt": "calm lo-fi piano, rain in the background",
        "lyrics_prompt": "[verse] quiet streets, soft light",
    }
)
music""",
        ),
        (
            CODE,
            """mesh = falwidgets.app("fal-ai/meshy/v5/multi-image-to-3d")
mesh.run({"image_urls": [shots["images"][0]["url"]]})
mesh""",
        ),
        (
            CODE,
            """detect = falwidgets.app("fal-ai/moondream3-preview/detect")
found = detect.run({"image_url": shots["images"][0]["url"], "prompt": "cup"})
print(len(found["objects"]), "objects")
detect""",
        ),
        (
            MD,
            """Streaming endpoints send partial results; the app shows each one in place, then the final
result.""",
        ),
        (
            CODE,
            """stream = falwidgets.app("fal-ai/flux-krea-lora/stream")
final = stream.run({"prompt": "a paper boat on a pond", "num_inference_steps": 8})
stream""",
        ),
        (
            MD,
            """Any output can be previewed on its own with `falwidgets.preview`, for example a result
fetched earlier:""",
        ),
        (CODE, """falwidgets.preview(found)"""),
    ],
    "04-your-own-model": [
        (
            MD,
            """# Your own model

Describe the inputs and outputs with Pydantic, serve a plain Python function with
`@falwidgets.server.endpoint`, and the local server runs it behind the same queue protocol as fal:
queue position, logs, cancel, validation errors on the fields. The form is built from your model.""",
        ),
        (
            CODE,
            """import io

from PIL import Image, ImageDraw
from pydantic import BaseModel, Field

import falwidgets
from falwidgets.server import endpoint


class BadgeIn(BaseModel):
    text: str = Field(description="What the badge says", max_length=24, examples=["hello"])
    size: int = Field(256, ge=64, le=1024, description="Side of the square image in pixels")
    colour: str = Field("#3366ff", description="Background colour")
    steps: int = Field(5, ge=1, le=50, description="Pretend work: one log line per step")


class BadgeFile(BaseModel):
    url: str
    content_type: str
    file_name: str
    width: int
    height: int


class BadgeOut(BaseModel):
    image: BadgeFile
    text: str


@endpoint("me/badge", input=BadgeIn, output=BadgeOut)
def badge(inp: BadgeIn, ctx) -> BadgeOut:
    \"\"\"Draw a square badge with some text on it.\"\"\"
    for _ in ctx.steps(inp.steps, label="drawing"):
        pass
    picture = Image.new("RGB", (inp.size, inp.size), inp.colour)
    draw = ImageDraw.Draw(picture)
    draw.ellipse([8, 8, inp.size - 8, inp.size - 8], outline="white", width=6)
    draw.text((inp.size // 4, inp.size // 2), inp.text, fill="white")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    saved = ctx.save(buffer.getvalue(), "badge.png", "image/png")
    image = BadgeFile(**{**saved, "width": inp.size, "height": inp.size})
    return BadgeOut(image=image, text=inp.text)""",
        ),
        (
            CODE,
            """ui = falwidgets.app("me/badge")
out = ui.run({"text": "falwidgets", "size": 320})
print(out["image"]["width"], out["image"]["url"])
ui""",
        ),
        (
            MD,
            """Bad input is caught before anything is sent: Run refuses ("fix 1 field first"), the field
stays marked, and the error has the shape of fal's 422 (a rule only the server knows comes back as a
real 422 and lands beside its field the same way):""",
        ),
        (
            CODE,
            """try:
    ui.run({"text": "x" * 40, "size": 320})
except falwidgets.InputRejected as error:
    print("rejected:", [e["loc"] for e in error.errors])
ui.form.errors""",
        ),
    ],
    "05-sweeps-and-history": [
        (
            MD,
            """# Sweeps and history

`falwidgets.sweep` runs a grid of inputs through the queue (bounded concurrency) and fills a
labelled grid as results arrive, with one progress bar. Every run is kept in the journal;
`falwidgets.history()` shows past runs as cards to load back into a form, rerun, or compare.""",
        ),
        (
            CODE,
            """import falwidgets

grid = falwidgets.sweep(
    "fal-ai/flux-realism",
    {"prompt": "a glass teapot, studio light", "num_inference_steps": 6},
    grid={"seed": [1, 2, 3], "guidance_scale": [2.0, 5.0]},
    concurrency=4,
)
grid""",
        ),
        (
            CODE,
            """await grid  # results fill in above; this waits for the last one
print(len(grid), "runs,", len(grid.failures), "failed")
[point.params for point in grid.points if point.ok][:3]""",
        ),
        (
            CODE,
            """past = falwidgets.history(limit=12)
past""",
        ),
        (
            MD,
            """Tick **Compare** on two cards to see the inputs that differ and both outputs side by side;
the same from code:""",
        ),
        (CODE, """past.compare(0, 1)"""),
        (
            MD,
            """**Load** puts a past run's inputs back into a form; **Rerun** submits them again.""",
        ),
        (
            CODE,
            """again = past.load(past.entries[0])
again.form.value["seed"]""",
        ),
    ],
    "06-workshop": [
        (
            MD,
            """# Running a workshop

**Teacher**: keep the fal key on one machine and run the key-holding proxy; hand each student a
token. The proxy limits endpoints, rate and budget per token, and never shows the key.

**Students**: point falwidgets at the proxy with their token; everything else is the same.

Here the "fal" behind the proxy is the local server, so the whole flow runs offline; in a real
workshop leave `upstream` out and set `FAL_KEY` where the proxy runs.""",
        ),
        (
            CODE,
            """# --- teacher ---
import falwidgets
from falwidgets.proxy import new_tokens, serve_proxy

stand_in = falwidgets.serve(port=0)  # offline stand-in for fal.ai
tokens = new_tokens(3)
proxy = serve_proxy(
    tokens,
    upstream=stand_in.url,
    allow=["fal-ai/flux-realism"],
    rate_per_min=30,
    budget=20,
)
print("proxy at", proxy.url)
print("student tokens:", *tokens, sep="\\n  ")""",
        ),
        (
            CODE,
            """# --- student ---
import falwidgets

my_token = tokens[0]  # what the teacher handed out
# the token goes only to the proxy; a FAL_KEY in the environment is never sent there
client = falwidgets.AsyncClient(key=my_token, proxy_url=proxy.url)
ui = falwidgets.app("fal-ai/flux-realism", client=client)
ui.run({"prompt": "a hand-drawn map of a treasure island", "seed": 3})
ui""",
        ),
        (
            MD,
            """Endpoints the teacher did not allow are refused by the proxy with a clear message:""",
        ),
        (
            CODE,
            """other = falwidgets.app("fal-ai/imagen4/preview", client=client)
try:
    other.run({"prompt": "not allowed here"})
except falwidgets.FalError as error:
    print(type(error).__name__, "-", error)""",
        ),
        (
            CODE,
            """# --- teacher, at the end ---
proxy.stop()
stand_in.stop()""",
        ),
    ],
}


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if kind == MD
            else nbformat.v4.new_code_cell(source)
        )
        cell["id"] = f"{name[:2]}-{i:02d}"  # stable ids: regenerating gives no diff
        nb.cells.append(cell)
    return nb


def render(name: str) -> str:
    return nbformat.writes(build(name, NOTEBOOKS[name])) + "\n"


def main(check: bool = False) -> int:
    stale = []
    for name in NOTEBOOKS:
        path = HERE / f"{name}.ipynb"
        text = render(name)
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.name)
        if not check:
            path.write_text(text)
    if check and stale:
        print("out of date (run notebooks/make_notebooks.py):", *stale)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(check="--check" in sys.argv))
