"""Leader pages for care: due and overdue per area and grid worker, the stale list; scoped."""


def test_due_page_drills_down_to_grids_with_their_workers(login, node):
    client = login("huimin_admin")
    page = client.get(f"/care/?node={node('惠民社区').pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "惠民社区第一网格" in text
    assert "高波" in text
    assert "no-store" in page["Cache-Control"]
    assert login("laogangfang_worker").get(f"/care/?node={node('惠民社区').pk}").status_code == 404


def test_stale_page(login, node):
    page = login("gaobo").get(f"/care/stale/?node={node('惠民社区第一网格').pk}&days=30")
    assert page.status_code == 200
    assert "久未核实" in page.content.decode()
    assert login("gaobo").get("/care/stale/?days=abc").status_code == 200
