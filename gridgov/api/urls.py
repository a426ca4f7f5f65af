"""The API built by `gridgov.api.site.build_api`, as the root URLconf mounts it at /api/v1/."""

from gridgov.api.site import build_api

api = build_api()
