import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    mo.md("# The seed endpoints: images, then a video from them, then a game clip")
    return


@app.cell
def _():
    from falwidgets.runner import app

    flux = app("fal-ai/flux-realism")
    frames = flux.run({"prompt": "a red fox in fresh snow", "num_images": 2, "seed": 1})
    flux
    return app, frames


@app.cell
def _(app, frames):
    toon = app("fal-ai/toon-crafter")
    urls = [image["url"] for image in frames["images"]]
    clip = toon.run({"keyframe_image_urls": urls, "prompt": "a fox turning its head", "steps": 10})
    print(clip["video"]["url"])
    toon
    return


@app.cell
def _(app, frames):
    game = app("anthonywu/gamecraft")
    first = frames["images"][0]
    walk = game.run(
        {
            "image": {"url": first["url"], "content_type": "image/png"},
            "prompt": "a fox walking through a snowy forest",
            "infer_steps": 8,
        }
    )
    print(walk["video"]["url"])
    game
    return


if __name__ == "__main__":
    app.run()
