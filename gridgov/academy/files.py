"""Course material: an uploaded document or video, checked by its content (not its name or the
type the browser claims) and kept in private storage (GRIDGOV_ACADEMY_DIR), which no URL
serves: only `gridgov.academy.views.course_file`, after the scope check, hands it out.

Documents: PDF, Word (.docx), PowerPoint (.pptx), Excel (.xlsx), at most 50 MB. Videos: MP4
(also .m4v/.mov's ISO container) and WebM, at most 500 MB.
"""

import contextlib
import re
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

MB = 1024 * 1024
MAX_DOCUMENT = 50 * MB
MAX_VIDEO = 500 * MB
# Office Open XML packages: the part that tells which kind a zip is.
_OOXML = {
    "word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "ppt/presentation.xml": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
}
DOCUMENT_TYPES = "PDF、Word（.docx）、PowerPoint（.pptx）、Excel（.xlsx）"
VIDEO_TYPES = "MP4、WebM"


@dataclass(frozen=True)
class Checked:
    upload: Any
    content_type: str
    extension: str
    size: int
    original_name: str


def storage() -> FileSystemStorage:
    """Read at each call: the folder is a setting (the tests give theirs)."""
    return FileSystemStorage(location=Path(settings.GRIDGOV_ACADEMY_DIR))


def _head(upload: Any, n: int = 64) -> bytes:
    upload.seek(0)
    head = bytes(upload.read(n))
    upload.seek(0)
    return head


def _sniff(upload: Any) -> tuple[str, str, str] | None:
    """(kind, content type, extension) from the file's content, or None."""
    head = _head(upload)
    if head.startswith(b"%PDF-"):
        return "document", "application/pdf", "pdf"
    if head[4:8] == b"ftyp":
        return "video", "video/mp4", "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm", "webm"
    if head.startswith(b"PK\x03\x04"):
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        for part, (content_type, extension) in _OOXML.items():
            if part in names:
                return "document", content_type, extension
    return None


def check_upload(upload: Any, kind: str, field: str = "file") -> Checked:
    """Refuse (400 naming the field) a missing, empty, too large or wrong-typed file."""
    if upload is None:
        raise ValidationError({field: "请选择要上传的文件"})
    size = int(getattr(upload, "size", 0) or 0)
    if size == 0:
        raise ValidationError({field: "文件是空的"})
    limit = MAX_VIDEO if kind == "video" else MAX_DOCUMENT
    if size > limit:
        raise ValidationError({field: f"文件超过 {limit // MB} MB（{size / MB:.1f} MB）"})
    sniffed = _sniff(upload)
    allowed = VIDEO_TYPES if kind == "video" else DOCUMENT_TYPES
    if sniffed is None or sniffed[0] != kind:
        raise ValidationError(
            {field: f"文件类型不符：{'视频' if kind == 'video' else '文档'}只接受 {allowed}"}
        )
    name = str(getattr(upload, "name", "") or "")[:200]
    return Checked(upload, sniffed[1], sniffed[2], size, Path(name).name[:200])


def save(checked: Checked) -> str:
    """Store under a fresh name (the uploader's name is kept only as a label)."""
    name = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{checked.extension}"
    checked.upload.seek(0)
    return storage().save(name, checked.upload)


def open_file(name: str) -> Any:
    return storage().open(name, "rb")


def remove(name: str) -> None:
    if name:
        with contextlib.suppress(OSError):
            storage().delete(name)


# --- serving: byte ranges (a video seeks) and the phone's short-lived link ------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024
LINK_TTL_SECONDS = 30 * 60
_LINK_SALT = "gridgov.academy.material"


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `Range: bytes=a-b` request, or None to send the whole file;
    raises ValueError for a range that cannot be satisfied (416)."""
    match = _RANGE.match((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first_raw, last_raw = match.groups()
    if first_raw == "":  # the last N bytes
        first, last = max(size - int(last_raw), 0), size - 1
    else:
        first = int(first_raw)
        last = min(int(last_raw), size - 1) if last_raw else size - 1
    if first >= size or first > last:
        raise ValueError("range not satisfiable")
    return first, last


def chunks(handle: Any, first: int, last: int) -> Iterator[bytes]:
    try:
        handle.seek(first)
        left = last - first + 1
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        handle.close()


def material_link_token(user_id: int, course_id: int) -> str:
    """A signed, expiring key for one person and one course: the phone (which signs in with a
    bearer token, not a cookie) opens the material in the browser's own viewer or player."""
    return signing.dumps([user_id, course_id], salt=_LINK_SALT, compress=False)


def material_link_user(token: str, course_id: int) -> int | None:
    try:
        user_id, linked_course = signing.loads(token, salt=_LINK_SALT, max_age=LINK_TTL_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(user_id) if linked_course == course_id and isinstance(user_id, int) else None
