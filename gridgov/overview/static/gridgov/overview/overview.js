/* The overview page and the big screen: the breakdown's sortable table and bar chart, the
 * 12-month trend (ECharts), and the map (Leaflet on a blank base: the children's polygons as a
 * choropleth by a chosen figure, the events as clustered points and a heat layer; a click on a
 * polygon drills down). Data: the page's JSON (#overview-data) and the map layer fetched from
 * config.map_url with the page's period. CSP: no inline script or style; text set as text. */
(function () {
  "use strict";
  function json(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }
  var data = json("overview-data");
  var config = json("overview-config") || {};
  if (!data) { return; }
  var dark = config.mode === "screen";
  var charts = [];

  function fmt(v) {
    if (v === null || v === undefined || v === "") { return "—"; }
    return typeof v === "number" ? v.toLocaleString("zh-CN") : String(v);
  }

  // --- the breakdown table: sort by any column -------------------------------------------------
  var table = document.getElementById("ov-breakdown");
  if (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, index) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var descending = th.getAttribute("aria-sort") !== "descending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        rows.sort(function (a, b) {
          var x = a.cells[index].getAttribute("data-value"), y = b.cells[index].getAttribute("data-value");
          var nx = parseFloat(x), ny = parseFloat(y);
          var cmp = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y), "zh-CN");
          if (x === "" && y !== "") { return 1; }
          if (y === "" && x !== "") { return -1; }
          return descending ? -cmp : cmp;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  var textColor = dark ? "#d8e3f0" : "#333";
  var axis = { axisLabel: { color: textColor }, axisLine: { lineStyle: { color: dark ? "#4a5d75" : "#999" } } };

  // --- the bar chart of the children ------------------------------------------------------------
  var barNode = document.getElementById("ov-bar");
  var barSelect = document.getElementById("ov-bar-figure");
  if (barNode && typeof echarts !== "undefined" && data.breakdown.rows.length) {
    var bar = echarts.init(barNode, null, { renderer: "canvas" });
    charts.push(bar);
    var drawBar = function () {
      var key = barSelect ? barSelect.value : data.breakdown.columns[0].key;
      var rows = data.breakdown.rows.slice().sort(function (a, b) { return (b.values[key] || 0) - (a.values[key] || 0); });
      bar.setOption({
        grid: { left: 48, right: 16, top: 16, bottom: 72 },
        tooltip: { trigger: "axis" },
        xAxis: Object.assign({ type: "category", data: rows.map(function (r) { return r.name; }), axisLabel: { color: textColor, rotate: rows.length > 8 ? 40 : 0, interval: 0 } }, {}),
        yAxis: Object.assign({ type: "value" }, axis),
        series: [{ type: "bar", data: rows.map(function (r) { return { value: r.values[key], id: r.id }; }), itemStyle: { color: dark ? "#3ba0ff" : "#0b5cad" } }]
      }, true);
    };
    drawBar();
    if (barSelect) { barSelect.addEventListener("change", drawBar); }
    if (config.mode !== "screen") {
      bar.on("click", function (event) {
        var row = data.breakdown.rows.filter(function (r) { return r.name === event.name; })[0];
        if (row) { window.location.href = config.drill + row.id + "/" + window.location.search; }
      });
    }
  }

  // --- the trend -------------------------------------------------------------------------------
  var trendNode = document.getElementById("ov-trend");
  if (trendNode && typeof echarts !== "undefined" && data.trend && data.trend.series.length) {
    var trend = echarts.init(trendNode, null, { renderer: "canvas" });
    charts.push(trend);
    var counts = data.trend.series.filter(function (s) { return s.unit !== "%"; });
    var rates = data.trend.series.filter(function (s) { return s.unit === "%"; });
    trend.setOption({
      grid: { left: 48, right: 48, top: 40, bottom: 32 },
      tooltip: { trigger: "axis" },
      legend: { textStyle: { color: textColor } },
      xAxis: Object.assign({ type: "category", data: data.trend.months }, axis),
      yAxis: [Object.assign({ type: "value" }, axis), Object.assign({ type: "value", max: 100, axisLabel: { color: textColor, formatter: "{value}%" } }, {})],
      series: counts.map(function (s) { return { name: s.label, type: "line", data: s.values }; })
        .concat(rates.map(function (s) { return { name: s.label, type: "line", yAxisIndex: 1, lineStyle: { type: "dashed" }, data: s.values }; }))
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  // --- the map ---------------------------------------------------------------------------------
  var mapNode = document.getElementById("ov-map");
  if (!mapNode || typeof L === "undefined" || !config.map_url) { return; }
  var status = document.getElementById("ov-map-status");
  var figureSelect = document.getElementById("ov-map-figure");
  var markersBox = document.getElementById("ov-map-markers");
  var heatBox = document.getElementById("ov-map-heat");
  var map = L.map(mapNode, { attributionControl: false, minZoom: 5, maxZoom: 19 });
  map.setView([40.84, 111.75], 9);
  var shapes = null, clusters = null, heat = null, layer = null;
  var PALETTE = dark ? ["#1b3a5c", "#1f5f8b", "#2b83ba", "#5fb1e0", "#a6dcf7"] : ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"];

  function say(text) { if (status) { status.textContent = text; } }

  function colour(value, breaks) {
    if (value === null || value === undefined) { return dark ? "#26313f" : "#f2f2f2"; }
    var i = 0;
    while (i < breaks.length && value > breaks[i]) { i += 1; }
    return PALETTE[Math.min(i, PALETTE.length - 1)];
  }

  function breaksOf(values) {
    var sorted = values.filter(function (v) { return v !== null && v !== undefined; }).sort(function (a, b) { return a - b; });
    if (!sorted.length) { return []; }
    return [0.2, 0.4, 0.6, 0.8].map(function (q) { return sorted[Math.floor(q * (sorted.length - 1))]; });
  }

  function paint() {
    if (!layer || !shapes) { return; }
    var key = figureSelect && figureSelect.value;
    var breaks = breaksOf(layer.features.map(function (f) { return f.properties.values[key]; }));
    shapes.eachLayer(function (shape) {
      var props = shape.feature.properties;
      shape.setStyle({ fillColor: colour(props.values[key], breaks), fillOpacity: 0.75, color: dark ? "#7fb2e5" : "#0b5cad", weight: 1 });
      var label = (figureSelect && figureSelect.selectedOptions.length) ? figureSelect.selectedOptions[0].textContent : "";
      shape.unbindTooltip();
      shape.bindTooltip(props.name + "：" + label + " " + fmt(props.values[key]), { sticky: true });
    });
  }

  function toggle() {
    if (clusters) { if (markersBox && !markersBox.checked) { map.removeLayer(clusters); } else { map.addLayer(clusters); } }
    if (heat) { if (heatBox && !heatBox.checked) { map.removeLayer(heat); } else { map.addLayer(heat); } }
  }

  function draw(answer) {
    layer = answer;
    if (figureSelect && !figureSelect.options.length) {
      answer.figures.forEach(function (f) {
        var option = document.createElement("option");
        option.value = f.key;
        option.textContent = f.label;
        figureSelect.appendChild(option);
      });
    }
    shapes = L.geoJSON(answer, {
      onEachFeature: function (feature, shape) {
        if (feature.properties.drill && config.mode !== "screen") {
          shape.on("click", function () { window.location.href = config.drill + feature.properties.id + "/" + window.location.search; });
        }
      }
    }).addTo(map);
    paint();
    var bounds = shapes.getBounds();
    if (answer.points.length && typeof L.markerClusterGroup === "function") {
      clusters = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
      answer.points.forEach(function (p) {
        var marker = L.circleMarker([p[0], p[1]], { radius: 6, color: p[3] ? "#d92d20" : (p[4] ? "#f79009" : "#12b76a"), weight: 2, fillOpacity: 0.8 });
        if (config.mode !== "screen") {
          marker.on("click", function () { window.location.href = "/events/" + p[2] + "/"; });
        }
        clusters.addLayer(marker);
      });
    }
    if (answer.points.length && typeof L.heatLayer === "function") {
      heat = L.heatLayer(answer.points.map(function (p) { return [p[0], p[1], 1]; }), { radius: 22, blur: 18, minOpacity: 0.3 });
    }
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12] }); }
    toggle();
    say(answer.features.length + " 个区域 · " + answer.points.length + " 个事件点" + (answer.truncated ? "（仅显示最新部分）" : ""));
  }

  if (figureSelect) { figureSelect.addEventListener("change", paint); }
  if (markersBox) { markersBox.addEventListener("change", toggle); }
  if (heatBox) { heatBox.addEventListener("change", toggle); }

  var url = config.map_url + (config.map_url.indexOf("?") >= 0 ? "&" : "?") + window.location.search.replace(/^\?/, "");
  fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    })
    .then(draw)
    .catch(function () { say("地图数据加载失败，请刷新页面重试"); });

  if (config.refresh) {
    // The big screen reloads itself (the server answers the same read-only view, fresh).
    window.setTimeout(function () { window.location.reload(); }, config.refresh * 1000);
  }
})();
