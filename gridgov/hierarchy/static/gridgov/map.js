/* The grid map: grid polygons of the user's subtree on a blank base (no online tiles).
 * Large subtrees come as areas (counties, townships…) that drill down on click. An area with
 * no polygon to draw comes as a point ("place") with a note saying it has no boundary data.
 * Data: GET /map/grids.geojson?node=<id> (scoped on the server). CSP: no inline scripts,
 * and popups are built as DOM nodes (names are never parsed as HTML). */
(function () {
  "use strict";
  var configNode = document.getElementById("map-config");
  var mapNode = document.getElementById("map");
  if (!configNode || !mapNode || typeof L === "undefined") { return; }
  var config = JSON.parse(configNode.textContent);
  var statusNode = document.getElementById("map-status");
  var titleNode = document.getElementById("map-title");
  var upLink = document.getElementById("map-up");
  var nodeLink = document.getElementById("map-node-link");
  var noteNode = document.getElementById("map-note");

  var map = L.map(mapNode, { zoomControl: true, attributionControl: false, minZoom: 5, maxZoom: 19 });
  map.setView([40.84, 111.75], 9);
  var layer = null;
  var current = config.node;

  var COLORS = { basic: "#0b5cad", dedicated: "#b54708", area: "#1f7a5c", gap: "#b42318", place: "#7a4b00" };

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function row(table, label, value) {
    var tr = el("tr");
    tr.appendChild(el("th", label));
    tr.appendChild(el("td", value));
    table.appendChild(tr);
  }

  function gridPopup(p) {
    var box = el("div", null, "map-popup");
    box.appendChild(el("strong", p.name));
    box.appendChild(el("div", p.code + " · " + p.grid_kind_label, "muted"));
    var table = el("table", null, "kv");
    if (p.staff.length === 0) { row(table, "人员", "尚未配备"); }
    p.staff.forEach(function (s) { row(table, s.role, s.name); });
    if (p.missing.length) { row(table, "空缺", p.missing.join("、")); }
    p.beats.forEach(function (b) {
      row(table, "警格", b.name);
      row(table, "派出所", b.station);
      row(table, "责任民警", b.officer + (b.badge ? "（警号 " + b.badge + "）" : ""));
      row(table, "义警", b.volunteers + " 人");
    });
    if (p.beats.length === 0) { row(table, "警格", "未关联"); }
    box.appendChild(table);
    var links = el("div", null, "map-popup-links");
    var open = el("a", "查看网格 ›");
    open.href = p.url;
    links.appendChild(open);
    var zoom = el("a", "楼栋");
    zoom.href = "?node=" + p.id;
    zoom.addEventListener("click", function (event) { event.preventDefault(); go(p.id); });
    links.appendChild(zoom);
    box.appendChild(links);
    return box;
  }

  function areaPopup(p) {
    var box = el("div", null, "map-popup");
    box.appendChild(el("strong", p.name));
    box.appendChild(el("div", p.level_label + " · " + p.grids + " 个网格", "muted"));
    var links = el("div", null, "map-popup-links");
    var drill = el("a", "进入");
    drill.href = "?node=" + p.id;
    drill.addEventListener("click", function (event) { event.preventDefault(); go(p.id); });
    links.appendChild(drill);
    var open = el("a", "节点详情 ›");
    open.href = p.url;
    links.appendChild(open);
    box.appendChild(links);
    return box;
  }

  function placePopup(p) {
    var box = el("div", null, "map-popup");
    box.appendChild(el("strong", p.name));
    box.appendChild(el("div", p.level_label + " · " + p.note, "muted"));
    var open = el("a", "节点详情 ›");
    open.href = p.url;
    box.appendChild(open);
    return box;
  }

  function buildingPopup(p) {
    var box = el("div", null, "map-popup");
    box.appendChild(el("strong", p.name));
    if (p.address) { box.appendChild(el("div", p.address, "muted")); }
    var open = el("a", "查看楼栋 ›");
    open.href = p.url;
    box.appendChild(open);
    return box;
  }

  function style(feature) {
    var p = feature.properties;
    if (p.kind === "area") {
      return { color: COLORS.area, weight: 2, fillOpacity: 0.12 };
    }
    var gap = p.missing && p.missing.length > 0;
    return {
      color: gap ? COLORS.gap : (p.grid_kind === "dedicated" ? COLORS.dedicated : COLORS.basic),
      weight: gap ? 3 : 2,
      dashArray: gap ? "6 4" : null,
      fillOpacity: p.grid_kind === "dedicated" ? 0.25 : 0.15
    };
  }

  function draw(data) {
    if (layer) { map.removeLayer(layer); }
    layer = L.geoJSON(data, {
      style: style,
      pointToLayer: function (feature, latlng) {
        if (feature.properties.kind === "place") {
          return L.circleMarker(latlng, { radius: 10, color: COLORS.place, weight: 2, fillColor: "#f5c26b", fillOpacity: 0.9 });
        }
        return L.circleMarker(latlng, { radius: 6, color: "#1f2933", weight: 1, fillColor: "#fbbf24", fillOpacity: 0.9 });
      },
      onEachFeature: function (feature, item) {
        var p = feature.properties;
        item.bindTooltip(p.name, { sticky: true });
        if (p.kind === "grid") { item.bindPopup(function () { return gridPopup(p); }); }
        else if (p.kind === "area") { item.bindPopup(function () { return areaPopup(p); }); }
        else if (p.kind === "place") { item.bindPopup(function () { return placePopup(p); }); }
        else { item.bindPopup(function () { return buildingPopup(p); }); }
      }
    }).addTo(map);
    var meta = data.gridgov || {};
    var polygons = data.features.filter(function (f) {
      return f.properties.kind === "grid" || f.properties.kind === "area";
    }).length;
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      // Points only (an area without boundary data): do not zoom in to the street.
      map.fitBounds(bounds, polygons ? { padding: [12, 12] } : { padding: [12, 12], maxZoom: 14 });
    }
    if (noteNode) {
      noteNode.textContent = meta.note || "";
      noteNode.hidden = !meta.note;
    }
    if (meta.mode === "areas") {
      statusNode.textContent = "共 " + meta.grid_count + " 个网格，按下一级区域显示 " + polygons + " 个区域；点击区域进入。";
    } else {
      statusNode.textContent = "共 " + meta.grid_count + " 个网格" + (polygons < meta.grid_count ? "（" + (meta.grid_count - polygons) + " 个无边界）" : "") + "。";
    }
    if (meta.node) {
      titleNode.textContent = "网格地图 · " + meta.node.name;
      nodeLink.href = "/nodes/" + meta.node.id + "/";
    }
    if (meta.parent) {
      upLink.hidden = false;
      upLink.href = "?node=" + meta.parent.id;
      upLink.dataset.node = meta.parent.id;
    } else {
      upLink.hidden = true;
    }
    mapNode.dataset.loaded = "1";
  }

  function load(nodeId) {
    current = nodeId;
    statusNode.textContent = "正在加载…";
    var url = config.geojson_url + (nodeId ? "?node=" + encodeURIComponent(nodeId) : "");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/geo+json, application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(draw)
      .catch(function () { statusNode.textContent = "地图数据加载失败，请刷新页面重试"; });
  }

  function go(nodeId) {
    map.closePopup();
    var crumbs = document.querySelector(".breadcrumbs");
    if (crumbs) { crumbs.hidden = true; }
    history.pushState({ node: nodeId }, "", "?node=" + nodeId);
    load(nodeId);
  }

  upLink.addEventListener("click", function (event) {
    event.preventDefault();
    if (upLink.dataset.node) { go(upLink.dataset.node); }
  });
  window.addEventListener("popstate", function (event) {
    var nodeId = event.state && event.state.node ? event.state.node : config.node;
    if (nodeId !== current) { load(nodeId); }
  });
  history.replaceState({ node: current }, "", window.location.href);
  load(current);
}());
