"""The worker's rectifications on the phone: the open ones of their grid are synced (not other
grids'), a reported one leaves the phone at the next sync and a rejected one comes back with the
reason; the app loads the inspection scripts (page and service worker)."""

from gridgov.inspection import services
from gridgov.inspection.models import Rectification
from gridgov.mobile import shell


def _sync(client, since=None):
    records, removed = [], []
    body = client.get("/api/v1/sync" + (f"?since={since}" if since else "")).json()
    while True:
        records += [r["data"] for r in body["records"] if r["kind"] == "rectification"]
        removed += [r for r in body.get("removed", []) if r["kind"] == "rectification"]
        if not body.get("more"):
            return records, removed, body["cursor"]
        body = client.get(f"/api/v1/sync?since={body['cursor']}").json()


def test_open_rectifications_reach_the_workers_phone_and_leave_when_reported(api, user):
    rect = Rectification.objects.get(state="open", grid__name="惠民社区第一网格")
    phone = api("gaobo")
    records, _removed, cursor = _sync(phone)
    assert rect.pk in {r["id"] for r in records}
    record = next(r for r in records if r["id"] == rect.pk)
    assert record["requirement"] == rect.requirement
    assert record["finding"]
    other, _r, _c = _sync(api("laogangfang_worker"))
    assert rect.pk not in {r["id"] for r in other}
    services.report_rectification(user=user("gaobo"), rectification=rect, text="已清理")
    _records, removed, cursor = _sync(phone, cursor)
    assert rect.pk in {r["id"] for r in removed}
    services.review_rectification(
        user=user("zhaowuda_admin"),
        rectification=Rectification.objects.get(pk=rect.pk),
        accept=False,
        reason="未清理干净",
    )
    records, _removed, _cursor = _sync(phone, cursor)
    back = next(r for r in records if r["id"] == rect.pk)
    assert (back["last_reason"], back["rejections"]) == ("未清理干净", 1)


def test_the_app_loads_the_inspection_scripts():
    assert "app/js/inspection-kinds.js" in shell.PAGE_SCRIPTS
    assert "app/js/inspection-kinds.js" in shell.WORKER_SCRIPTS
    assert shell.PAGE_SCRIPTS.index("app/js/screens/inspection.js") < shell.PAGE_SCRIPTS.index(
        "app/js/main.js"
    )
