import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    mo.md(
        """
        # Quickstart: fal's Playground in a marimo notebook

        Without `FAL_KEY` every run goes to the embedded local fal-compatible server, so this
        notebook runs offline. Fill in the prompt and press **Run** (or Ctrl/Cmd+Enter).
        """
    )
    return (mo,)


@app.cell
def _():
    from falwidgets.runner import app

    ui = app("fal-ai/flux-realism")
    ui
    return (ui,)


@app.cell
def _(ui):
    result = ui.run({"prompt": "a lighthouse on a cliff at dusk, film photo", "seed": 7})
    print(ui.status["text"])
    print(result["images"][0]["url"])
    return


@app.cell
def _(ui):
    print(ui.code())
    return


if __name__ == "__main__":
    app.run()
