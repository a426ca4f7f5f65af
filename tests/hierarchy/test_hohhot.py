"""Hohhot's committed divisions and outlines, and the geography drawn on them (no database)."""

import re

import pytest
from shapely import unary_union
from shapely.geometry import Point

from gridgov.hierarchy import hohhot

COUNTY_CODES = ["150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124", "150125"]
TOLERANCE = 1e-6  # share of an area that rounding the coordinates may open or overlap


def townships():
    return [t for county in hohhot.city().children for t in county.children]


def communities():
    return [c for t in townships() for c in t.children]


def assert_tiles(pieces, whole):
    union = unary_union(pieces)
    assert union.symmetric_difference(whole).area <= TOLERANCE * whole.area
    for piece in pieces:
        assert piece.is_valid
        assert not piece.is_empty
        assert piece.difference(whole).area <= TOLERANCE * piece.area
    assert abs(sum(p.area for p in pieces) - union.area) <= TOLERANCE * whole.area


def test_the_real_divisions_with_their_statistical_codes():
    city = hohhot.city()
    assert (city.code, city.name) == ("150100", "呼和浩特市")
    assert [c.code for c in city.children] == COUNTY_CODES
    assert len(townships()) == 93
    assert len(communities()) == 1390
    for county in city.children:
        for township in county.children:
            assert re.fullmatch(rf"{county.code}\d{{3}}000", township.code), township
            for community in township.children:
                assert re.fullmatch(rf"{township.code[:9]}\d{{3}}", community.code), community
                assert not community.name.endswith(("委员会", "委会")), community
    codes = [t.code for t in townships()] + [c.code for c in communities()]
    assert len(codes) == len(set(codes))


def test_the_articles_places_with_their_real_codes():
    by_code = {d.code: d for d in townships() + communities()}
    assert by_code["150105006000"].name == "昭乌达南路街道"
    assert by_code["150102004000"].name == "东街街道"
    assert by_code["150105006036"].name == "惠民社区"
    # The statistical list says 老缸房街社区; the article and the demo say 老缸房社区.
    assert by_code["150102004007"].name == "老缸房社区"
    assert [c.name for c in communities()].count("惠民社区") == 1
    assert [c.name for c in communities()].count("老缸房社区") == 1


def test_the_nine_county_outlines_are_valid_and_do_not_overlap():
    outlines = hohhot.county_boundaries()
    assert list(outlines) == COUNTY_CODES
    for outline in outlines.values():
        assert outline.is_valid
    for i, a in enumerate(COUNTY_CODES):
        for b in COUNTY_CODES[i + 1 :]:
            assert outlines[a].intersection(outlines[b]).area <= TOLERANCE * outlines[a].area
    city = unary_union(list(outlines.values()))
    assert city.contains(Point(hohhot.CITY_CENTRE))
    assert outlines["150102"].contains(Point(111.68, 40.86))  # 新城区 north-east of the old centre
    assert 110.4 < city.bounds[0] < city.bounds[2] < 112.4
    assert 39.5 < city.bounds[1] < city.bounds[3] < 41.5


@pytest.mark.parametrize("county", COUNTY_CODES)
def test_townships_tile_their_county(county):
    shapes = hohhot.township_shapes(county)
    division = next(c for c in hohhot.city().children if c.code == county)
    assert set(shapes) == {t.code for t in division.children}
    assert_tiles(list(shapes.values()), hohhot.county_boundaries()[county])


def test_streets_are_drawn_small_and_near_the_centre_towns_large_and_around_them():
    shapes = hohhot.township_shapes("150105")  # 赛罕区: eight streets, three towns
    division = next(c for c in hohhot.city().children if c.code == "150105")
    streets = [shapes[t.code] for t in division.children if t.is_street]
    towns = [shapes[t.code] for t in division.children if t.name.endswith("镇")]
    assert len(streets) == 8
    assert len(towns) == 3
    assert max(s.area for s in streets) < min(t.area for t in towns)
    centre = Point(hohhot.CITY_CENTRE)
    assert max(s.distance(centre) for s in streets) < min(t.centroid.distance(centre) for t in towns)


@pytest.mark.parametrize("township", ["150105006000", "150102004000", "150121100000"])
def test_communities_tile_their_township(township):
    shapes = hohhot.community_shapes(township)
    outline = hohhot.township_shapes(township[:6])[township]
    division = next(t for t in townships() if t.code == township)
    assert set(shapes) == {c.code for c in division.children}
    assert_tiles(list(shapes.values()), outline)


def test_a_village_covers_more_land_than_an_urban_community():
    shapes = hohhot.community_shapes("150121100000")  # 察素齐镇: the county seat's 社区 and its 村
    division = next(t for t in townships() if t.code == "150121100000")
    urban = [shapes[c.code].area for c in division.children if c.is_urban]
    villages = [shapes[c.code].area for c in division.children if not c.is_urban]
    assert urban
    assert villages
    assert max(urban) < min(villages)


def test_grids_tile_their_community_and_dedicated_ones_are_smaller():
    outline = hohhot.community_shapes("150105006000")["150105006036"]
    kinds = [False, False, True, False, False, True]
    grids = hohhot.grid_shapes("150105006036", outline, kinds)
    assert len(grids) == 6
    assert_tiles(grids, outline)
    basic = [g.area for g, dedicated in zip(grids, kinds, strict=True) if not dedicated]
    special = [g.area for g, dedicated in zip(grids, kinds, strict=True) if dedicated]
    assert max(special) < min(basic)
    assert [g.wkt for g in hohhot.grid_shapes("150105006036", outline, kinds)] == [g.wkt for g in grids]


def test_the_citys_grids_follow_the_households():
    counts = hohhot.grid_counts(5880)
    assert sum(counts.values()) == 5880
    assert set(counts) == {c.code for c in communities()}
    assert min(counts.values()) >= 1
    urban = [counts[c.code] for c in communities() if c.is_urban and not c.is_virtual]
    villages = [counts[c.code] for c in communities() if not c.is_urban]
    assert sum(urban) / len(urban) > 3 * sum(villages) / len(villages)
    assert hohhot.grid_counts(5880) == counts
    with pytest.raises(ValueError, match="cannot cover"):
        hohhot.grid_counts(1000)
