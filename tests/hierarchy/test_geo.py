"""Point-in-grid over the demo city's polygons, and boundary validation."""

import pytest
from django.core.exceptions import ValidationError
from shapely.geometry import shape

from gridgov.hierarchy import services
from gridgov.hierarchy.geo import GridLocator, locate_grid, parse_boundary
from gridgov.hierarchy.models import Level, Node


@pytest.fixture(autouse=True)
def fresh_index():
    GridLocator.invalidate()
    yield
    GridLocator.invalidate()


def inside(grid):
    point = shape(grid.boundary).representative_point()
    return point.x, point.y


def test_a_point_inside_each_demo_grid_finds_that_grid(db):
    grids = list(Node.objects.filter(level=Level.GRID, boundary__isnull=False))
    assert len(grids) >= 100
    for grid in grids:
        assert locate_grid(*inside(grid)) == grid, grid


def test_a_point_outside_every_grid_finds_none(db):
    assert locate_grid(100.0, 30.0) is None  # far outside Hohhot
    assert locate_grid(110.79, 40.5) is None  # just west of the city's extent


def test_the_centre_of_a_named_grid(node):
    grid = node("惠民社区第一网格")
    assert locate_grid(grid.lng, grid.lat) == grid


def test_a_new_grid_is_found_once_the_index_is_rebuilt(user, node, django_capture_on_commit_callbacks):
    polygon = {
        "type": "Polygon",
        "coordinates": [[[0.0, 0.0], [0.01, 0.0], [0.01, 0.01], [0.0, 0.01], [0.0, 0.0]]],
    }
    assert locate_grid(0.005, 0.005) is None
    with django_capture_on_commit_callbacks(execute=True):
        grid = services.create_node(
            user=user("huimin_admin"),
            level=Level.GRID,
            name="测试网格",
            parent=node("惠民社区"),
            boundary=polygon,
        )
    assert locate_grid(0.005, 0.005) == grid


def test_locate_api_answers_only_within_the_callers_scope(api, node):
    grid = node("惠民社区第一网格")
    lng, lat = inside(grid)
    found = api("gaobo").get("/api/v1/grids/locate", {"lng": lng, "lat": lat})
    assert found.status_code == 200
    assert found.json()["id"] == grid.pk
    assert api("laogangfang_worker").get("/api/v1/grids/locate", {"lng": lng, "lat": lat}).status_code == 404
    assert api("gaobo").get("/api/v1/grids/locate", {"lng": 100.0, "lat": 30.0}).status_code == 404


def test_feature_and_multipolygon_are_accepted():
    square = [[[111.0, 40.0], [111.1, 40.0], [111.1, 40.1], [111.0, 40.1], [111.0, 40.0]]]
    assert (
        parse_boundary({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square}}).area > 0
    )
    assert parse_boundary({"type": "MultiPolygon", "coordinates": [square]}).area > 0


@pytest.mark.parametrize(
    ("geojson", "words"),
    [
        (
            {
                "type": "Polygon",
                "coordinates": [[[111.0, 40.0], [111.1, 40.1], [111.1, 40.0], [111.0, 40.1], [111.0, 40.0]]],
            },
            "Self-intersection",
        ),
        ({"type": "Point", "coordinates": [111.0, 40.0]}, "Polygon"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[181.0, 40.0], [182.0, 40.0], [182.0, 41.0], [181.0, 40.0]]],
            },
            "范围",
        ),
        (None, "Polygon"),
        ([1, 2, 3], "Polygon"),
    ],
)
def test_bad_boundaries_name_the_problem(geojson, words):
    with pytest.raises(ValidationError) as caught:
        parse_boundary(geojson)
    assert words in caught.value.message_dict["boundary"][0]
