"""The REST host's storage and token calls (`rest.fal.ai`, served at `<base>/`).

`/storage/upload/initiate` answers a presigned-style PUT URL on this server; the multipart
initiate answers an upload id whose parts go through `_multipart`; `/storage/auth/token` is the
CDN upload token fal_client asks for first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from falwidgets.server._http import not_found, parse_json_body, spool_upload
from falwidgets.server._protocol import error_response, json_response
from falwidgets.server._routes._multipart import complete_parts, put_part
from falwidgets.server._state import ServerState
from falwidgets.server._storage import safe_name


class StorageRoutes:
    """Handlers of the REST host's storage paths, sharing one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/storage/auth/token", self.token, methods=["POST"]),
            Route("/storage/upload/initiate", self.initiate, methods=["POST"]),
            Route("/storage/upload/initiate-multipart", self.initiate_multipart, methods=["POST"]),
            Route("/storage/upload/complete-multipart", self.complete_by_query, methods=["POST"]),
            Route("/storage/upload/put/{file_id}/{name}", self.put, methods=["PUT"]),
            Route(
                "/storage/upload/multipart/{upload_id}/{tail}",
                self.multipart,
                methods=["PUT", "POST"],
            ),
        ]

    async def token(self, request: Request) -> Response:
        expires = datetime.now(timezone.utc) + timedelta(hours=1)
        return json_response(
            {
                "token": uuid.uuid4().hex,
                "token_type": "Bearer",
                "base_url": self.state.base_for(request),
                "expires_at": expires.isoformat(),
            }
        )

    async def initiate(self, request: Request) -> Response:
        body, problem = await parse_json_body(request)
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        stored = self.state.storage.reserve_put(body.get("file_name"), body.get("content_type"))
        base = self.state.base_for(request)
        return json_response(
            {
                "upload_url": f"{base}/storage/upload/put/{stored.file_id}/{stored.name}",
                "file_url": self.state.outward(request, stored.url),
            }
        )

    async def put(self, request: Request) -> Response:
        storage = self.state.storage
        file_id, name = request.path_params["file_id"], safe_name(request.path_params["name"])
        try:
            tmp = storage.claim_put(file_id, name)
        except KeyError:
            return json_response({"detail": "Unknown upload"}, 404)
        except PermissionError as exc:
            return json_response({"detail": f"Upload refused: {exc}"}, 403)
        _, problem = await spool_upload(request, tmp)
        if problem is not None:
            storage.release_put(file_id, name)  # the client may try again
            return problem
        storage.commit(tmp, file_id, name)
        return Response(status_code=200)

    async def initiate_multipart(self, request: Request) -> Response:
        body, problem = await parse_json_body(request)
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        upload_id, stored = self.state.storage.start_multipart(
            body.get("file_name"), body.get("content_type")
        )
        upload_url = f"{self.state.base_for(request)}/storage/upload/multipart/{upload_id}"
        return json_response(
            {"upload_url": upload_url, "file_url": self.state.outward(request, stored.url)}
        )

    async def multipart(self, request: Request) -> Response:
        """`PUT .../multipart/<id>/<n>` (a part) and `POST .../multipart/<id>/complete`."""
        upload_id, tail = request.path_params["upload_id"], request.path_params["tail"]
        if tail == "complete" and request.method == "POST":
            return await complete_parts(self.state, request, upload_id)
        if request.method == "PUT":
            return await put_part(self.state, request, upload_id, tail)
        return not_found(request.url.path)

    async def complete_by_query(self, request: Request) -> Response:
        """`POST /storage/upload/complete-multipart?upload_id=…` (the proxy allow-list's form)."""
        query = request.query_params
        upload_id = query.get("upload_id") or query.get("uploadId")
        if not upload_id:
            return error_response(400, "upload_id query parameter is required", "bad_request")
        return await complete_parts(self.state, request, upload_id)


def routes(state: ServerState) -> list[BaseRoute]:
    return StorageRoutes(state).routes()
