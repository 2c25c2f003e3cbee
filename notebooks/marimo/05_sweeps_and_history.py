import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo

    mo.md(
        """
        # Sweeps and history

        `falwidgets.sweep` runs a grid of inputs through the queue (bounded concurrency) and
        fills an even grid as results arrive, with "N ok · M failed" counts. Every run is kept in
        the journal; `falwidgets.history()` lists past runs (searchable, a page at a time) to
        load back into a form, rerun, or compare.
        """
    )
    return


@app.cell
def _():
    import falwidgets

    grid = falwidgets.sweep(
        "fal-ai/flux-realism",
        {"prompt": "a glass teapot, studio light", "num_inference_steps": 6},
        grid={"seed": [1, 2, 3], "guidance_scale": [2.0, 5.0]},
        concurrency=4,
    )
    grid.wait(300)  # marimo runs cells in order: the next ones read the results
    grid
    return falwidgets, grid


@app.cell
def _(grid):
    print(len(grid), "runs,", len(grid.failures), "failed")
    [point.params for point in grid.points if point.ok][:3]
    return


@app.cell
def _(falwidgets, grid):
    past = falwidgets.history(limit=12)
    assert past.total >= len(grid)
    past
    return (past,)


@app.cell
def _(past):
    # tick Compare on two rows for the same view under the row; from code it shows here
    past.compare(0, 1)
    return


@app.cell
def _(past):
    again = past.load(past.entries[0])
    again.form.value["seed"]
    return


if __name__ == "__main__":
    app.run()
