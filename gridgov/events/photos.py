"""Event photos: checked by content (JPEG, PNG, WebP, at most 5 MB each), stored under a fresh name."""

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from gridgov.events.models import (
    Event,
    EventPhoto,
    EventStep,
)
from gridgov.events.selectors import is_user

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 9


def sniff_image(head: bytes) -> str | None:
    """The image type from its first bytes (JPEG, PNG, WebP), or None if it is not one of them."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}


@dataclass(frozen=True)
class CheckedPhoto:
    name: str
    content: bytes
    content_type: str


def check_photos(photos: Iterable[Any], field_name: str = "photos") -> list[CheckedPhoto]:
    """Read and check uploads by content: an image (JPEG/PNG/WebP) of at most 5 MB each."""
    checked: list[CheckedPhoto] = []
    for index, photo in enumerate(photos or ()):
        label = getattr(photo, "name", None) or f"#{index + 1}"
        size = getattr(photo, "size", None)
        if size is not None and size > MAX_PHOTO_BYTES:
            raise ValidationError({field_name: f"照片 {label} 超过 5 MB（{size / 1024 / 1024:.1f} MB）"})
        if isinstance(photo, bytes | bytearray):
            content = bytes(photo)
        else:
            if hasattr(photo, "seek"):
                photo.seek(0)
            content = photo.read(MAX_PHOTO_BYTES + 1)
        if len(content) > MAX_PHOTO_BYTES:
            raise ValidationError({field_name: f"照片 {label} 超过 5 MB"})
        content_type = sniff_image(content[:16])
        if content_type is None:
            raise ValidationError({field_name: f"{label} 不是图片（只接受 JPEG、PNG、WebP）"})
        checked.append(CheckedPhoto(str(label), content, content_type))
    if len(checked) > MAX_PHOTOS:
        raise ValidationError({field_name: f"最多上传 {MAX_PHOTOS} 张照片"})
    return checked


def save_photo_file(photo: CheckedPhoto, written: list[str]) -> str:
    """Store one checked photo under a fresh name; `written` lists the files for clean-up."""
    name = f"events/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{_EXTENSIONS[photo.content_type]}"
    stored = default_storage.save(name, ContentFile(photo.content))
    written.append(stored)
    return stored


def store_photos(
    event: Event, step: EventStep | None, photos: list[CheckedPhoto], user: Any, written: list[str]
) -> None:
    for photo in photos:
        stored = save_photo_file(photo, written)
        EventPhoto.objects.create(
            event=event,
            step=step,
            image=stored,
            content_type=photo.content_type,
            size=len(photo.content),
            uploaded_by=user if is_user(user) else None,
        )


def remove_files(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):
            default_storage.delete(name)
