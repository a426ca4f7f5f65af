// Dispatch form: narrow the organisation pick lists by kind, area and name. The lists are asked of
// GET /api/v1/organisations (scoped like every read: only organisations serving the event's place);
// without script the server-rendered lists of every organisation that may take the event remain.
(function () {
  "use strict";
  document.querySelectorAll(".org-picker").forEach(function (picker) {
    var form = picker.closest("form");
    var kind = picker.querySelector("[data-org-kind]");
    var area = picker.querySelector("[data-org-area]");
    var q = picker.querySelector("[data-org-q]");
    var status = picker.querySelector("[data-org-status]");
    var lead = form.querySelector("[data-org-lead]");
    var co = form.querySelector("[data-org-co]");
    var timer = null;

    function option(org, selected) {
      var o = document.createElement("option");
      o.value = String(org.id);
      o.textContent = org.name + "（" + org.kind_label + " · " + org.area_name + "）";
      o.selected = selected;
      return o;
    }

    function fill(select, items, keep) {
      var chosen = {};
      Array.prototype.forEach.call(select.selectedOptions, function (o) { chosen[o.value] = true; });
      // Chosen co-handlers stay listed even when the filter would hide them.
      var kept = keep ? Array.prototype.slice.call(select.selectedOptions) : [];
      select.innerHTML = "";
      var seen = {};
      kept.forEach(function (o) { seen[o.value] = true; select.appendChild(o); });
      items.forEach(function (org) {
        if (!seen[String(org.id)]) { select.appendChild(option(org, !!chosen[String(org.id)])); }
      });
    }

    function load() {
      var params = new URLSearchParams({ event_id: picker.dataset.eventId, limit: "100" });
      if (kind.value) { params.set("kind", kind.value); }
      if (q.value.trim()) { params.set("q", q.value.trim()); }
      status.textContent = "正在查找单位…";
      fetch(picker.dataset.orgsUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (page) {
          // The event's place has a handful of levels: the area is narrowed here, on the page.
          var items = area.value ? page.items.filter(function (org) { return String(org.area_id) === area.value; }) : page.items;
          fill(lead, items, false);
          fill(co, items, true);
          status.textContent = items.length ? "共 " + items.length + " 个单位" + (page.count > page.items.length ? "（仅显示前 " + page.items.length + " 个，请缩小范围）" : "")
                                            : "没有符合条件的单位，请放宽条件";
        })
        .catch(function () { status.textContent = "单位列表加载失败，请稍后重试"; });
    }

    kind.addEventListener("change", load);
    area.addEventListener("change", load);
    q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(load, 250); });
  });
})();
