"""Leader pages: coverage (htmx), a grid's tracks and due buildings, one patrol, the QR sheet;
scoped, no-store, and each track of another person shown is audited."""

from gridgov.audit.models import AuditEntry
from gridgov.patrols.models import Patrol


def test_coverage_page_for_a_community_and_its_htmx_tables(login, grid):
    client = login("huimin_admin")
    page = client.get("/patrols/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    body = page.content.decode()
    assert grid.name in body
    assert "高波" in body
    partial = client.get(
        f"/patrols/?node={grid.parent_id}&start=2026-11-01&end=2026-11-30", headers={"HX-Request": "true"}
    )
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert "coverage-grids" in partial.content.decode()
    bad = client.get(f"/patrols/?node={grid.parent_id}&start=2026-12-01&end=2026-11-01")
    assert bad.status_code == 200
    assert "开始日期不能晚于结束日期" in bad.content.decode()


def test_workers_and_outsiders_do_not_get_coverage(login, grid):
    assert login("gaobo").get("/patrols/").status_code == 403
    assert login("laogangfang_worker").get(f"/patrols/?node={grid.parent_id}").status_code in (403, 404)
    assert login("laogangfang_worker").get(f"/patrols/grids/{grid.pk}/").status_code == 404


def test_grid_page_shows_tracks_and_audits_each_one_shown(login, grid):
    before = AuditEntry.objects.filter(action="read_sensitive", object_type="patrols.patrol").count()
    page = login("huimin_chief").get(f"/patrols/grids/{grid.pk}/")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    shown = len(page.context["patrols"])
    assert shown > 0
    assert all(p.grid_id == grid.pk for p in page.context["patrols"])
    after = AuditEntry.objects.filter(action="read_sensitive", object_type="patrols.patrol").count()
    assert after - before == min(shown, 50)
    assert 'id="patrol-map-data"' in page.content.decode()


def test_one_patrol_page_is_hidden_from_colleagues(login, grid):
    patrol = Patrol.objects.filter(grid=grid).first()
    assert login("huimin_volunteer").get(f"/patrols/{patrol.pk}/").status_code == 404
    assert login("laogangfang_worker").get(f"/patrols/{patrol.pk}/").status_code == 404
    own = login(patrol.worker.username).get(f"/patrols/{patrol.pk}/")
    assert own.status_code == 200
    assert login("huimin_instructor").get(f"/patrols/{patrol.pk}/").status_code == 200


def test_the_qr_sheet_is_a_pdf_for_superiors_only(login, grid):
    sheet = login("huimin_chief").get(f"/patrols/grids/{grid.pk}/codes.pdf")
    assert sheet.status_code == 200
    assert sheet["Content-Type"] == "application/pdf"
    assert sheet.content.startswith(b"%PDF")
    # a worker holding his own codes could check in without walking
    assert login("gaobo").get(f"/patrols/grids/{grid.pk}/codes.pdf").status_code == 403
    assert AuditEntry.objects.filter(action="export", message__contains="building QR codes").exists()


def test_weekly_page_per_grid_and_per_area(login, grid, node):
    client = login("huimin_admin")
    page = client.get(f"/patrols/weekly/?node={grid.parent_id}")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    result = page.context["result"]
    assert len(result.weeks) in (8, 9)  # the last eight weeks by default, whole weeks
    assert grid.pk in {r.node_id for r in result.rows}
    body = page.content.decode()
    assert "coverage-weeks" in body
    assert grid.name in body
    county = login("zhaowuda_admin").get(
        f"/patrols/weekly/?node={node('昭乌达南路街道').pk}&start=2026-11-02&end=2026-11-29"
    )
    assert county.status_code == 200
    assert len(county.context["result"].weeks) == 4
    bad = client.get(f"/patrols/weekly/?node={grid.parent_id}&start=2026-12-01&end=2026-11-01")
    assert bad.status_code == 400
    assert "开始日期不能晚于结束日期" in bad.content.decode()


def test_workers_and_outsiders_do_not_get_the_weekly_page(login, grid):
    assert login("gaobo").get("/patrols/weekly/").status_code == 403
    assert login("laogangfang_worker").get(f"/patrols/weekly/?node={grid.parent_id}").status_code in (
        403,
        404,
    )
