"""Dividing a shape by weights, and points inside a shape."""

import random

import pytest
from shapely import unary_union
from shapely.geometry import MultiPolygon, Point, Polygon, box

from gridgov.hierarchy.partition import anchor, divide, polygons, scatter, to_geojson

SQUARE = box(111.0, 40.0, 111.1, 40.1)
# A "C": concave, so straight cuts leave detached slivers that must find a neighbour.
C_SHAPE = Polygon([(0, 0), (10, 0), (10, 2), (2, 2), (2, 8), (10, 8), (10, 10), (0, 10), (0, 0)])
# A main part and a detached island (a county with an enclave).
ISLANDS = MultiPolygon([box(0, 0, 10, 10), box(12, 0, 13, 1)])


def assert_tiles(pieces, whole, tolerance=1e-6):
    """The pieces cover the whole, stay inside it and do not overlap (within rounding)."""
    union = unary_union(pieces)
    assert union.symmetric_difference(whole).area <= tolerance * whole.area
    for piece in pieces:
        assert piece.is_valid
        assert not piece.is_empty
        assert piece.difference(whole).area <= tolerance * piece.area
    assert abs(sum(p.area for p in pieces) - union.area) <= tolerance * whole.area


@pytest.mark.parametrize("weights", [[1], [1, 1], [1, 2, 3, 4], [5, 0.35, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]])
def test_pieces_tile_a_square_with_areas_in_proportion(weights):
    pieces = divide(SQUARE, weights, random.Random(1))
    assert len(pieces) == len(weights)
    assert_tiles(pieces, SQUARE)
    for piece, weight in zip(pieces, weights, strict=True):
        assert piece.area / SQUARE.area == pytest.approx(weight / sum(weights), abs=1e-4)


@pytest.mark.parametrize("shape", [C_SHAPE, ISLANDS], ids=["concave", "with-enclave"])
def test_awkward_shapes_are_still_tiled(shape):
    pieces = divide(shape, [1.0] * 9, random.Random(7))
    assert_tiles(pieces, shape)
    # A straight cut through the C leaves detached bits; they join a neighbour, so most pieces are
    # in one part (the island off the main square is the only part that cannot be joined).
    assert sum(len(polygons(p)) > 1 for p in pieces) <= 1
    assert all(p.area > 0.02 * shape.area for p in pieces)


def test_earlier_weights_lie_nearer_the_point_given():
    toward = (111.0, 40.0)  # the south-west corner
    pieces = divide(SQUARE, [1.0] * 8, random.Random(3), toward=toward)
    corner = Point(toward)
    distances = [p.centroid.distance(corner) for p in pieces]
    assert distances[0] < distances[-1]
    assert pieces[0].distance(corner) < 1e-9  # the first piece holds the corner


def test_the_same_seed_draws_the_same_pieces():
    first = divide(C_SHAPE, [1, 2, 3], random.Random("x"))
    second = divide(C_SHAPE, [1, 2, 3], random.Random("x"))
    assert [p.wkt for p in first] == [p.wkt for p in second]


def test_bad_weights_are_refused():
    assert divide(SQUARE, [], random.Random(0)) == []
    with pytest.raises(ValueError, match="positive"):
        divide(SQUARE, [1, 0], random.Random(0))
    with pytest.raises(ValueError, match="positive"):
        divide(SQUARE, [1, -2], random.Random(0))


def test_scattered_points_are_inside_and_reproducible():
    points = scatter(C_SHAPE, 200, random.Random(5))
    assert len(points) == 200
    assert all(C_SHAPE.contains(Point(p)) for p in points)
    assert scatter(C_SHAPE, 200, random.Random(5)) == points
    # Not all bunched up: both arms of the C get some.
    assert any(y < 2 for _x, y in points)
    assert any(y > 8 for _x, y in points)


def test_a_sliver_still_gets_its_points_inside():
    sliver = Polygon([(0, 0), (100, 0), (100, 1e-5), (0, 0)])
    points = scatter(sliver, 5, random.Random(0))
    assert len(points) == 5
    assert all(sliver.covers(Point(p)) for p in points)


def test_anchor_is_inside_even_when_the_centroid_is_not():
    assert not C_SHAPE.contains(C_SHAPE.centroid)
    assert C_SHAPE.contains(Point(anchor(C_SHAPE)))
    assert anchor(SQUARE) == (111.05, 40.05)


def test_geojson_is_rounded_to_the_stored_precision():
    geometry = box(111.123456789, 40.1, 111.2, 40.2)
    data = to_geojson(geometry)
    assert data["type"] == "Polygon"
    xs = {x for ring in data["coordinates"] for x, _y in ring}
    assert 111.12345679 in xs
