"""One router per fal host the local server stands in for, all sharing one `ServerState`.

Each module exposes ``routes(state) -> list[BaseRoute]``; `falwidgets.server._app.ROUTERS` lists
them in matching order.
"""
