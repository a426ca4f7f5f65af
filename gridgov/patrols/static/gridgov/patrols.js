/* Patrol tracks on a blank base (no online tiles): each track a line, its check-ins as marks,
 * the grid's buildings as dots (red: due by the rule). Data from the page (json_script); popups
 * are built as DOM nodes (names are never parsed as HTML). CSP: no inline script. */
(function () {
  "use strict";
  var dataNode = document.getElementById("patrol-map-data");
  var mapNode = document.getElementById("map");
  if (!dataNode || !mapNode || typeof L === "undefined") { return; }
  var data = JSON.parse(dataNode.textContent);
  var map = L.map(mapNode, { attributionControl: false, minZoom: 5, maxZoom: 20 });
  var bounds = L.latLngBounds([]);
  var COLORS = ["#0b5cad", "#1f7a5c", "#7a4b00", "#6941c6", "#b54708", "#026aa2"];

  function popup(lines) {
    var box = document.createElement("div");
    box.className = "map-popup";
    lines.forEach(function (text, i) {
      var line = document.createElement(i === 0 ? "strong" : "div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  (data.buildings || []).forEach(function (b) {
    var marker = L.circleMarker([b.lat, b.lng], {
      radius: 7, color: b.due ? "#b42318" : "#475467", fillOpacity: 0.7, weight: 2,
    }).addTo(map);
    marker.bindPopup(popup([b.name, b.due ? "按规则待巡" : "周期内已走到"]));
    bounds.extend([b.lat, b.lng]);
  });
  (data.tracks || []).forEach(function (t, i) {
    var color = COLORS[i % COLORS.length];
    var line = (t.line || []).map(function (p) { return [p[1], p[0]]; });
    if (line.length > 1) {
      var poly = L.polyline(line, { color: color, weight: 3, opacity: 0.8 }).addTo(map);
      poly.bindPopup(popup([(t.worker ? t.worker + " · " : "") + new Date(t.at).toLocaleString("zh-CN"), (t.checkins || []).length + " 栋签到"]));
      line.forEach(function (p) { bounds.extend(p); });
    }
    (t.checkins || []).forEach(function (c) {
      if (c.lat === null || c.lng === null) { return; }
      L.circleMarker([c.lat, c.lng], { radius: 4, color: color, fillOpacity: 1 }).addTo(map)
        .bindPopup(popup([c.name, c.method_name + " · " + new Date(c.at).toLocaleTimeString("zh-CN")]));
    });
  });
  if (bounds.isValid()) { map.fitBounds(bounds.pad(0.2)); } else { map.setView([40.84, 111.75], 12); }
})();
