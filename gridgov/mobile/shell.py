"""The app shell: the files the phone needs to open the app with no network, and their revisions.

The service worker (/app/sw.js) precaches these with Workbox. Each file's revision is a hash of
its content, computed once per process from the files as the static-files finders (or, in a
deployment, the collected files) have them: a changed file changes its revision and with it the
service worker's script, so phones fetch the new file on their next visit. No build step: the
list is here, the hashes are taken at start.
"""

import hashlib
import json
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.templatetags.static import static

VENDOR_DEXIE = "vendor/dexie/dexie.min.js"
# Scripts the page loads, in order (each defines part of the GG namespace; see js/core.js).
PAGE_SCRIPTS = [
    VENDOR_DEXIE,
    "app/js/core.js",
    "app/js/store.js",
    "app/js/api.js",
    "app/js/kinds.js",
    "app/js/patrol-kinds.js",
    "app/js/academy-kinds.js",
    "app/js/outbox.js",
    "app/js/care.js",
    "app/js/inspection-kinds.js",
    "app/js/pinyin.js",
    "app/js/search.js",
    "app/js/sync.js",
    "app/js/ui.js",
    "app/js/screens/people.js",
    "app/js/screens/work.js",
    "app/js/screens/patrol.js",
    "app/js/screens/day.js",
    "app/js/screens/workforce.js",
    "app/js/screens/inspection.js",
    "app/js/screens/academy.js",
    "app/js/main.js",
]
# Scripts the service worker imports for Background Sync (no DOM: no ui, screens or search).
WORKER_SCRIPTS = [
    VENDOR_DEXIE,
    "app/js/core.js",
    "app/js/store.js",
    "app/js/api.js",
    "app/js/kinds.js",
    "app/js/patrol-kinds.js",
    "app/js/academy-kinds.js",
    "app/js/outbox.js",
    "app/js/care.js",
    "app/js/inspection-kinds.js",
]
STYLES = ["app/app.css"]
ICONS = {
    "icon_192": "app/icons/icon-192.png",
    "icon_512": "app/icons/icon-512.png",
    "maskable_512": "app/icons/maskable-512.png",
    "apple_touch": "app/icons/apple-touch-180.png",
}
WORKBOX = "vendor/workbox-sw/workbox-sw.js"
WORKBOX_MODULES = ["workbox-core", "workbox-precaching", "workbox-routing", "workbox-strategies"]
SERVICE_WORKER_MAIN = "app/sw-main.js"


def _read(path: str) -> bytes:
    found = finders.find(path)
    if found:
        with open(str(found), "rb") as handle:
            return handle.read()
    with staticfiles_storage.open(path) as handle:
        return bytes(handle.read())


def _revision(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def shell_html() -> str:
    return render_to_string(
        "mobile/shell.html",
        {"scripts": PAGE_SCRIPTS, "styles": STYLES, "icons": ICONS},
    )


def manifest() -> dict[str, Any]:
    return {
        "name": "网格助手 · 网格化服务管理",
        "short_name": "网格助手",
        "description": "网格员和楼栋长的手机应用：离线查询人口、登记修改、上报事件，联网后自动发送。",
        "lang": "zh-Hans",
        "dir": "ltr",
        "id": "/app/",
        "start_url": "/app/#/today",
        "scope": "/app/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f7fb",
        "theme_color": "#1d4ed8",
        "icons": [
            {"src": static(ICONS["icon_192"]), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static(ICONS["icon_512"]), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static(ICONS["maskable_512"]),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


def manifest_json() -> str:
    return json.dumps(manifest(), ensure_ascii=False, indent=1)


def _precache() -> list[dict[str, str]]:
    entries = [
        {"url": "/app/", "revision": _revision(shell_html().encode())},
        {"url": "/app/manifest.webmanifest", "revision": _revision(manifest_json().encode())},
    ]
    for path in [*PAGE_SCRIPTS, *STYLES, *ICONS.values()]:
        entries.append({"url": static(path), "revision": _revision(_read(path))})
    return entries


def _service_worker() -> str:
    config = {
        "shell": "/app/",
        "precache": _precache(),
        "workbox": static(WORKBOX),
        "modules": {name: static(f"vendor/{name}/{name}.prod.js") for name in WORKBOX_MODULES},
        "scripts": [static(path) for path in WORKER_SCRIPTS],
    }
    # The worker's own code is a static file; what changes with a release (the revisions) is
    # here, so any changed file changes this script and the browser installs the new worker.
    return (
        "/* gridgov app service worker: generated from gridgov/mobile/shell.py */\n"
        f"self.GG_SHELL = {json.dumps(config, ensure_ascii=False)};\n"
        f"importScripts({json.dumps(static(SERVICE_WORKER_MAIN))}); /* rev {_revision(_read(SERVICE_WORKER_MAIN))} */\n"
    )


@cache
def _cached_service_worker() -> str:
    return _service_worker()


def service_worker() -> str:
    """The service worker's script (computed once per process; on every request with DEBUG)."""
    return _service_worker() if settings.DEBUG else _cached_service_worker()


def shell_files() -> list[str]:
    """The static paths of the shell (for the size benchmark)."""
    return [*PAGE_SCRIPTS, *STYLES, WORKBOX, SERVICE_WORKER_MAIN] + [
        f"vendor/{name}/{name}.prod.js" for name in WORKBOX_MODULES
    ]
