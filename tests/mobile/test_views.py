"""The app's shell, manifest and service worker: served without a session (they hold no personal
data), no inline script or style (the CSP stays strict), installable (manifest with PNG icons,
a maskable one), and every precached file listed with a revision and served."""

import json
import re

from django.test import Client

from gridgov.mobile import shell


def test_the_shell_is_public_and_has_no_inline_script_or_style(db):
    response = Client().get("/app/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="zh-Hans"' in html
    assert "Content-Security-Policy" in response
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    assert all("src=" in attrs for attrs in scripts), "an inline script"
    assert "<style" not in html
    assert "style=" not in html
    assert '<link rel="manifest" href="/app/manifest.webmanifest">' in html
    for label in ("我的今天", "人口", "上报", "巡查", "我的"):
        assert f"{label}</a>" in html


def test_the_manifest_makes_the_app_installable(db):
    response = Client().get("/app/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = json.loads(response.content)
    assert manifest["display"] == "standalone"
    assert manifest["scope"] == "/app/"
    assert manifest["start_url"].startswith("/app/")
    assert manifest["lang"] == "zh-Hans"
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        served = Client().get(icon["src"])
        assert served.status_code == 200
        body = b"".join(served.streaming_content) if served.streaming else served.content
        assert body.startswith(b"\x89PNG")


def test_the_service_worker_precaches_the_shell_with_revisions(db):
    response = Client().get("/app/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/app/"
    assert response["Cache-Control"] == "no-cache"
    config = json.loads(re.search(r"self\.GG_SHELL = (\{.*\});", response.content.decode()).group(1))
    urls = {entry["url"]: entry["revision"] for entry in config["precache"]}
    assert "/app/" in urls
    assert all(re.fullmatch(r"[0-9a-f]{16}", revision) for revision in urls.values())
    for path in shell.PAGE_SCRIPTS + shell.STYLES:
        assert any(url.endswith(path) for url in urls), path
    for url in [*urls, config["workbox"], *config["modules"].values(), *config["scripts"]]:
        assert Client().get(url).status_code == 200, url


def test_a_changed_file_changes_the_service_worker(db, monkeypatch):
    before = shell._service_worker()
    original = shell._read
    monkeypatch.setattr(
        shell, "_read", lambda path: original(path) + (b"/* changed */" if path.endswith("main.js") else b"")
    )
    assert shell._service_worker() != before


def test_the_login_page_offers_the_app(db):
    html = Client().get("/accounts/login/").content.decode()
    assert 'href="/app/"' in html
