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
    # Running a workshop

    **Teacher**: keep the fal key on one machine and run the key-holding proxy; hand each student a
    token. The proxy limits endpoints, rate and budget per token, and never shows the key.

    **Students**: point falwidgets at the proxy with their token; everything else is the same.

    Here the "fal" behind the proxy is the local server, so the whole flow runs offline; in a real
    workshop leave `upstream` out and set `FAL_KEY` where the proxy runs.
    """)
    return


@app.cell
def _():
    # --- teacher ---
    import falwidgets
    import falwidgets.runner
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
    print("student tokens:", *tokens, sep="\n  ")
    return falwidgets, proxy, stand_in, tokens


@app.cell
def _(falwidgets, proxy, tokens):
    # --- student ---
    my_token = tokens[0]
    client = falwidgets.AsyncClient(key=my_token, proxy_url=proxy.url)
    ui = falwidgets.runner.app("fal-ai/flux-realism", client=client)  # what the teacher handed out
    # the token goes only to the proxy; a FAL_KEY in the environment is never sent there
    ui.run({"prompt": "a hand-drawn map of a treasure island", "seed": 3})
    ui
    return (client,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    Endpoints the teacher did not allow are refused by the proxy with a clear message:
    """)
    return


@app.cell
def _(client, falwidgets):
    other = falwidgets.runner.app("fal-ai/imagen4/preview", client=client)
    try:
        other.run({"prompt": "not allowed here"})
    except falwidgets.FalError as error:
        print(type(error).__name__, "-", error)
    return


@app.cell
def _(proxy, stand_in):
    # --- teacher, at the end ---
    proxy.stop()
    stand_in.stop()
    return


if __name__ == "__main__":
    app.run()
