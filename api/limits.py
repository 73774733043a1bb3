"""Request body limits that answer in the API's JSON error shape.

Starlette's own limiter (FastAPI's `max_body_size`) answers 413 in plain text, and from outside
the exception handlers. This one refuses a declared Content-Length over the limit before
reading anything, and stops a body that grows past it while it is read (chunked uploads), so an
oversized upload is never spooled to disk whole. Uploads get the upload limit, every other
route a small JSON one.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response, upload_too_large

JSON_LIMIT = 1 << 20
# Multipart framing around the files of an upload.
_FORM_OVERHEAD = 1 << 20
_UPLOAD = re.compile(r"^/v1/collections/[^/]+/documents/?$")


class BodyLimit:
    def __init__(self, app: ASGIApp, upload_mb: float, json_bytes: int = JSON_LIMIT) -> None:
        self.app = app
        self.upload_bytes = int(upload_mb * 2**20) + _FORM_OVERHEAD
        self.json_bytes = json_bytes
        self.upload_message = upload_too_large(int(upload_mb * 2**20))
        self.json_message = f"The request is too large: the limit is {json_bytes} bytes."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and _UPLOAD.match(scope["path"]) is not None
        limit = self.upload_bytes if upload else self.json_bytes
        refusal = self.upload_message if upload else self.json_message
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response = error_response(413, "PayloadTooLarge", refusal)
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # An HTTPException, so that FastAPI's body parsing re-raises it as it is
                    # (it turns other errors into 400) and the handlers answer in JSON.
                    raise HTTPException(413, refusal)
            return message

        await self.app(scope, limited, send)
