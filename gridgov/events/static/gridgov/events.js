// Report form: fill the GPS point from the phone and suggest possible duplicates near it.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var lng = form.querySelector("input[name=lng]");
  var lat = form.querySelector("input[name=lat]");
  var status = document.getElementById("geo-status");
  var category = form.querySelector("select[name=category]");
  var box = document.getElementById("duplicates");

  function checkDuplicates() {
    if (!lng.value || !lat.value || !category.value) { box.innerHTML = ""; return; }
    var url = form.dataset.duplicatesUrl + "?" + new URLSearchParams({
      category: category.value, lng: lng.value, lat: lat.value
    }).toString();
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { box.innerHTML = html; })
      .catch(function () { box.innerHTML = ""; });
  }

  function locate() {
    if (!navigator.geolocation) { status.textContent = "此设备不支持定位，请选择网格"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      lng.value = pos.coords.longitude.toFixed(6);
      lat.value = pos.coords.latitude.toFixed(6);
      status.textContent = "已定位：" + lng.value + ", " + lat.value + "（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
      checkDuplicates();
    }, function (err) {
      // The browser's own message is in English ("User denied Geolocation"): say it in words.
      var why = { 1: "未允许本网站定位", 2: "暂时无法获取位置", 3: "定位超时" }[err.code] || "无法定位";
      status.textContent = "定位失败（" + why + "），请选择网格";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  document.getElementById("locate").addEventListener("click", locate);
  category.addEventListener("change", checkDuplicates);
  if (lng.value && lat.value) { status.textContent = "已定位：" + lng.value + ", " + lat.value; }
  else { locate(); }
  // One submission per form: a double tap must not send twice (the idempotency key guards retries too).
  form.addEventListener("submit", function () {
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
  });
})();
