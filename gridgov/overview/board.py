"""The overview of one node for one viewer and period, as the page, the API, the big screen and
the monthly report show it: the sections' figures, the breakdown by child unit, the 12-month
trend, the top categories and the groups by tag. Reads only (rollups and the node's children)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from gridgov.accounts.models import User
from gridgov.accounts.scope import Who, scope_of
from gridgov.events.models import Category
from gridgov.hierarchy.models import Level, Node
from gridgov.overview import indicators, selectors
from gridgov.overview.figures import FIGURES, RATIOS, SECTIONS, STOCK, figure_of
from gridgov.overview.period import Period
from gridgov.overview.selectors import BREAKDOWN, TREND, Sight, card_values, family, figure_label
from gridgov.registry.choices import CareTag, SpecialTag

RISK_LABELS = {"low": "低风险", "medium": "中风险", "high": "高风险", "critical": "极高风险"}
LIST_PATHS = {
    "events": "/events/",
    "disputes": "/disputes/",
    "tasks": "/tasks/grids/",
    "screening": "/screening/answers/",
}
# The display link's view: counts of everything but the special groups, no names.
DISPLAY_SIGHT = Sight(events=True, registry=True, special=False, view=True)


def list_url(
    link: tuple[str, dict[str, str]] | None, node: Node, period: Period, *, flow: bool, by: str = ""
) -> str:
    """The event or dispute list behind a figure: the node's area, the figure's filters, and the
    period's dates for figures counted in it."""
    if link is None:
        return ""
    kind, filters = link
    params = {"node": str(node.pk), **filters}
    if flow:
        params.update({"from": period.start.isoformat(), "to": period.end.isoformat()})
        if by:
            params["by"] = by
    return f"{LIST_PATHS[kind]}?{urlencode(params)}"


def _link_of(key: str, node: Node, period: Period) -> str:
    entry = figure_of(key)
    if entry is None:
        ratio = next((r for r in RATIOS if r.key == key), None)
        return list_url(ratio.link, node, period, flow=True) if ratio is not None else ""
    by = "closed" if key.startswith("events.closed") else ""
    return list_url(entry.link, node, period, flow=entry.kind != STOCK, by=by)


def breadcrumbs(node: Node, who: Who | None) -> list[Node]:
    """Ancestors down from the top of the viewer's scope (a display link: the node only)."""
    if who is None:
        return [node]
    scope = scope_of(who)
    by_path = {
        n.path: n
        for n in Node.objects.filter(path__in=node.ancestor_paths()).only("pk", "name", "path", "level")
    }
    return [by_path[p] for p in node.ancestor_paths() if p in by_path and scope.covers(p)]


def children_of(node: Node) -> list[Node]:
    if node.level in (Level.GRID, Level.BUILDING):
        return []
    return list(
        Node.objects.filter(parent=node)
        .exclude(level=Level.BUILDING)
        .only("pk", "name", "code", "level", "path")
        .order_by("code")
    )


def _sections(values: dict[str, Any], seen: Sight, node: Node, period: Period) -> list[dict[str, Any]]:
    out = []
    for section, items in selectors.cards(seen).items():
        out.append(
            {
                "key": section,
                "label": SECTIONS[section],
                "cards": [
                    {
                        "key": card.key,
                        "label": card.label,
                        "unit": card.unit,
                        "value": values.get(card.key),
                        "url": _link_of(card.key, node, period),
                    }
                    for card in items
                ],
            }
        )
    return out


def _tags(values: dict[str, int], key: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    counts = family(values, key)
    return [
        {"key": tag, "label": labels.get(tag, tag), "value": n}
        for tag, n in sorted(counts.items(), key=lambda kv: -kv[1])
    ]


def _categories(values: dict[str, int], node: Node, period: Period, top: int = 5) -> list[dict[str, Any]]:
    counts = sorted(family(values, "events.category").items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    names = dict(Category.objects.filter(code__in=[c for c, _n in counts]).values_list("code", "name"))
    return [
        {
            "code": code,
            "label": names.get(code, code),
            "value": n,
            "url": list_url(("events", {"category": code}), node, period, flow=True),
        }
        for code, n in counts
    ]


def overview(
    node: Node, period: Period, seen: Sight, *, who: Who | None = None, trend: bool = True, links: bool = True
) -> dict[str, Any]:
    """Everything one screen shows of `node` (already checked visible) for a viewer who sees `seen`
    (`links` False: no links to the lists, for the big screen and the reports)."""
    by_child = selectors.sums_by_child(node.path, period)
    values = selectors.visible(selectors.total(by_child), seen)
    shown = card_values(values, seen)
    children = children_of(node)
    breakdown_keys = [k for k in BREAKDOWN if k in shown]
    rows = []
    for child in children:
        child_values = card_values(selectors.visible(by_child.get(child.path, {}), seen), seen)
        rows.append(
            {
                "id": child.pk,
                "name": child.name,
                "code": child.code,
                "level": child.level,
                "values": {k: child_values.get(k) for k in breakdown_keys},
            }
        )
    data: dict[str, Any] = {
        "node": {
            "id": node.pk,
            "name": node.name,
            "code": node.code,
            "level": node.level,
            "level_label": Level(node.level).label,
        },
        "crumbs": [{"id": n.pk, "name": n.name} for n in breadcrumbs(node, who)],
        "period": period.as_dict(),
        "sections": _sections(shown, seen, node, period),
        "breakdown": {
            "columns": [{"key": k, "label": figure_label(k)} for k in breakdown_keys],
            "rows": rows,
            "child_level": Level(children[0].level).label if children else "",
        },
        "categories": _categories(values, node, period) if seen.events else [],
        "disputes_by_risk": [
            {"key": k, "label": RISK_LABELS[k], "value": family(values, "disputes.open").get(k, 0)}
            for k in RISK_LABELS
        ]
        if seen.events
        else [],
        "care": _tags(values, "people.care", {k: str(v) for k, v in CareTag.choices})
        if seen.registry
        else [],
        "special": _tags(values, "people.special", {k: str(v) for k, v in SpecialTag.choices})
        if seen.special
        else [],
    }
    if trend:
        data["trend"] = trend_of(node, period, seen)
    if not links:
        for section in data["sections"]:
            for card in section["cards"]:
                card["url"] = ""
        for category in data["categories"]:
            category["url"] = ""
    return data


def trend_of(node: Node, period: Period, seen: Sight) -> dict[str, Any]:
    months = selectors.trend_months(period.end)
    keys = [k for k in TREND if seen.keeps(k)]
    series = selectors.monthly(node.path, months, keys) if keys else {}
    out: dict[str, Any] = {"months": [m.strftime("%Y-%m") for m in months], "series": []}
    for key in keys:
        out["series"].append({"key": key, "label": figure_label(key), "values": series[key]})
    if "events.closed" in series and "events.closed_on_time" in series:
        rates = [
            round(on_time * 100 / closed, 1) if closed else None
            for on_time, closed in zip(series["events.closed_on_time"], series["events.closed"], strict=True)
        ]
        out["series"].append(
            {"key": "events.close_rate", "label": "按时办结率", "values": rates, "unit": "%"}
        )
    return out


def figure_keys() -> list[str]:
    return [f.key for f in FIGURES]


def indicator_table(who: Any, node: Node, chosen: Period) -> dict[str, Any]:
    """Indicators of the node, of its children and of the workers who reported under it
    (only for viewers who see the node's events)."""
    seen = selectors.sight(who, node)
    if not seen.events:
        return {"node": None, "children": [], "workers": []}
    own = indicators.for_node(node.path, chosen.start, chosen.end)
    children = indicators.for_children(node.path, chosen.start, chosen.end)
    names = dict(Node.objects.filter(path__in=list(children)).values_list("path", "name"))
    workers = indicators.for_workers(node.path, chosen.start, chosen.end)
    people = {
        u.pk: u.full_name or u.username
        for u in User.objects.filter(pk__in=list(workers)).only("pk", "full_name", "username")
    }
    return {
        "period": chosen.as_dict(),
        "node": own.as_dict(),
        "children": [
            {"path": path, "name": names.get(path, path), **values.as_dict()}
            for path, values in sorted(children.items())
            if path != node.path
        ],
        "workers": [
            {"user_id": uid, "name": people.get(uid, ""), **values.as_dict()}
            for uid, values in sorted(workers.items(), key=lambda kv: -kv[1].found)
        ],
    }
