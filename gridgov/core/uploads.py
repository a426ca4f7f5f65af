"""Uploaded files (event and task photos) are private: they show faces, licence plates and homes.

They are stored outside anything the web server publishes and have no public URL: the storage
refuses to make one, so a template or API answer cannot hand out `/media/...`. Each is served by a
view that first finds its owning object through the scope door (`get_visible_or_404`: 404 outside
the viewer's scope) and answers with `serve_upload`, never cached.
"""

from typing import Any

from django.core.files.storage import FileSystemStorage
from django.http import FileResponse, Http404


class PrivateUploadStorage(FileSystemStorage):
    """MEDIA_ROOT on disk, with no URL: uploads are read only through scoped views."""

    def url(self, name: str | None) -> str:
        raise ValueError("uploads have no public URL: serve them through a scoped view")


def serve_upload(field_file: Any, content_type: str) -> FileResponse:
    """The file as an inline answer: its checked content type, never sniffed, never cached."""
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("file not found") from exc
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # An uploaded file is never a page: no script runs in it even if a browser were fooled.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
