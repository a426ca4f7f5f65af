// Fill the hidden lng/lat fields from the phone's location; the server finds the grid from it.
(function () {
  var form = document.getElementById("dispute-report");
  var status = document.getElementById("geo-status");
  if (!form || !navigator.geolocation) {
    if (status) { status.textContent = "无法定位：请选择所在网格"; }
    return;
  }
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.elements.lng.value = pos.coords.longitude.toFixed(6);
    form.elements.lat.value = pos.coords.latitude.toFixed(6);
    status.textContent = "已定位：" + pos.coords.longitude.toFixed(5) + ", " + pos.coords.latitude.toFixed(5);
  }, function () {
    status.textContent = "无法定位：请选择所在网格";
  }, { enableHighAccuracy: true, timeout: 10000 });
})();
