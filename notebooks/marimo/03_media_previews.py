import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    return (mo,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # Media previews

    Results render inline by URL (nothing large goes through the kernel): image galleries, video and
    audio players, a three.js GLB viewer bundled with the package (works offline), detection boxes
    drawn over their image, and streamed images that replace each other as they arrive.
    """)
    return


@app.cell
def _():
    import falwidgets
    import falwidgets.runner

    images = falwidgets.runner.app("fal-ai/imagen4/preview")
    shots = images.run({"prompt": "three ceramic cups on a wooden table", "num_images": 2})
    images
    return falwidgets, shots


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Video plays in a `<video controls>` player: here toon-crafter animates between the two
    images just made.
    """)
    return


@app.cell
def _(falwidgets, shots):
    video = falwidgets.runner.app("fal-ai/toon-crafter")
    keyframes = [image["url"] for image in shots["images"]]
    video.run({"keyframe_image_urls": keyframes, "prompt": "the cups slide together", "steps": 10})
    video
    return


@app.cell
def _(falwidgets):
    music = falwidgets.runner.app("fal-ai/minimax-music/v1.5")
    music.run(
        {
            "prompt": "calm lo-fi piano, rain in the background",
            "lyrics_prompt": "[verse] quiet streets, soft light",
        }
    )
    music
    return


@app.cell
def _(falwidgets, shots):
    mesh = falwidgets.runner.app("fal-ai/meshy/v5/multi-image-to-3d")
    mesh.run({"image_urls": [shots["images"][0]["url"]]})
    mesh
    return


@app.cell
def _(falwidgets, shots):
    detect = falwidgets.runner.app("fal-ai/moondream3-preview/detect")
    found = detect.run({"image_url": shots["images"][0]["url"], "prompt": "cup"})
    print(len(found["objects"]), "objects")
    detect
    return (found,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Streaming endpoints send partial results; the app shows each one in place, then the final
    result.
    """)
    return


@app.cell
def _(falwidgets):
    stream = falwidgets.runner.app("fal-ai/flux-krea-lora/stream")
    stream.run({"prompt": "a paper boat on a pond", "num_inference_steps": 8})
    stream
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Any output can be previewed on its own with `falwidgets.preview`, for example a result
    fetched earlier:
    """)
    return


@app.cell
def _(falwidgets, found):
    found["objects"][:3]  # the detections as data; the app above draws them
    return


if __name__ == "__main__":
    app.run()
