"""The CDN host (`v3.fal.media`, served at `<base>/files/`): single and multipart uploads, and
the files themselves (GET/HEAD, cacheable, readable from any origin)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from falwidgets.server._http import not_found, spool_upload
from falwidgets.server._protocol import json_response
from falwidgets.server._routes._multipart import complete_parts, put_part
from falwidgets.server._state import ServerState

_FILE_HEADERS = {"cache-control": "public, max-age=3600", "access-control-allow-origin": "*"}


class CdnRoutes:
    """Handlers of the CDN host, sharing one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        methods = ["GET", "HEAD", "POST", "PUT"]
        return [Route("/files/{path:path}", self.dispatch, methods=methods)]

    async def dispatch(self, request: Request) -> Response:
        parts = request.path_params["path"].strip("/").split("/")
        method = request.method
        if parts == ["upload"] and method == "POST":
            return await self.upload(request)
        if parts == ["upload", "multipart"] and method == "POST":
            return self.start_multipart(request)
        if len(parts) == 5 and parts[2] == "multipart":  # files/<id>/<name>/multipart/<id>/<n>
            if method == "PUT":
                return await put_part(self.state, request, parts[3], parts[4])
            if parts[4] == "complete" and method == "POST":
                return await complete_parts(self.state, request, parts[3])
        if len(parts) == 2 and method in ("GET", "HEAD"):
            return self.file(parts[0], parts[1])
        return not_found(f"files/{'/'.join(parts)}")

    async def upload(self, request: Request) -> Response:
        storage = self.state.storage
        content_type = request.headers.get("content-type") or None
        stored = storage.reserve(request.headers.get("x-fal-file-name"), content_type)
        tmp = storage.open_for_write(stored.file_id, stored.name)
        _, problem = await spool_upload(request, tmp)
        if problem is not None:
            return problem
        stored = storage.commit(tmp, stored.file_id, stored.name)
        return json_response(
            {
                "access_url": self.state.outward(request, stored.url),
                "content_type": stored.content_type,
            }
        )

    def start_multipart(self, request: Request) -> Response:
        upload_id, stored = self.state.storage.start_multipart(
            request.headers.get("x-fal-file-name"), request.headers.get("content-type")
        )
        return json_response(
            {"access_url": self.state.outward(request, stored.url), "uploadId": upload_id}
        )

    def file(self, file_id: str, name: str) -> Response:
        stored = self.state.storage.get(file_id, name)
        if stored is None:
            return json_response({"detail": "File not found"}, 404)
        return FileResponse(stored.path, media_type=stored.content_type, headers=_FILE_HEADERS)


def routes(state: ServerState) -> list[BaseRoute]:
    return CdnRoutes(state).routes()
