// The "residents involved" picker: type a few characters, pick from the registry's search
// (GET /api/v1/search: the caller's scope only, ID numbers and phones masked). Several residents
// (data-field: one hidden input each) or one (data-target: the id of a hidden input to set, and
// data-name-target: a name input filled in when empty).
(function () {
  "use strict";
  var CJK = /[\u3400-\u9fff]/;

  function text(parts) { return parts.filter(function (p) { return p; }).join(" · "); }

  document.querySelectorAll(".resident-picker").forEach(function (picker) {
    var input = picker.querySelector("[data-resident-q]");
    var results = picker.querySelector("[data-resident-results]");
    var chosen = picker.querySelector("[data-resident-chosen]");
    var status = picker.querySelector("[data-resident-status]");
    var field = picker.dataset.field;
    var target = picker.dataset.target ? document.getElementById(picker.dataset.target) : null;
    var nameTarget = picker.dataset.nameTarget ? document.getElementById(picker.dataset.nameTarget) : null;
    var timer = null;
    var asked = 0;

    function removable(li) {
      li.querySelector("[data-resident-remove]").addEventListener("click", function () {
        li.remove();
        if (target) { target.value = ""; }
      });
    }
    chosen.querySelectorAll("li").forEach(removable);
    if (target && target.value && !chosen.querySelector("li")) {
      // A form shown again: the resident chosen before is kept (named by the server when it could).
      status.textContent = "已关联居民（编号 " + target.value + "）";
    }

    function pick(hit) {
      if (chosen.querySelector('li[data-id="' + hit.id + '"]')) { return; }
      if (target) { chosen.innerHTML = ""; target.value = String(hit.id); }
      var li = document.createElement("li");
      li.dataset.id = String(hit.id);
      var span = document.createElement("span");
      span.textContent = hit.name + "（" + (hit.address || "") + "）";
      li.appendChild(span);
      if (field) {
        var hidden = document.createElement("input");
        hidden.type = "hidden"; hidden.name = field; hidden.value = String(hit.id);
        li.appendChild(hidden);
      }
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "small"; remove.textContent = "移除";
      remove.setAttribute("data-resident-remove", "");
      li.appendChild(remove);
      chosen.appendChild(li);
      removable(li);
      if (nameTarget && !nameTarget.value) { nameTarget.value = hit.name; }
      results.innerHTML = "";
      input.value = "";
      status.textContent = "已选择 " + hit.name;
    }

    function show(hits) {
      results.innerHTML = "";
      hits.forEach(function (hit) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "picker-hit";
        button.textContent = text([
          hit.name, hit.sex_label, hit.age != null ? hit.age + "岁" : "", hit.address, hit.phone
        ]);
        button.addEventListener("click", function () { pick(hit); });
        li.appendChild(button);
        results.appendChild(li);
      });
    }

    function search() {
      var q = input.value.trim();
      if (!q || (q.length < 2 && !CJK.test(q))) { results.innerHTML = ""; return; }
      var mine = ++asked;
      status.textContent = "正在检索…";
      var params = new URLSearchParams({ q: q, page_size: "8" });
      fetch(picker.dataset.searchUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 400) { return { results: [], refused: true }; }
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (page) {
          if (mine !== asked) { return; }  // an older answer arriving late
          var hits = (page.results || []).filter(function (r) { return r.type === "resident"; });
          show(hits);
          status.textContent = page.refused ? "请换个写法再试（姓名、拼音、电话后4位或门牌）"
            : hits.length ? "点选要关联的居民" : "您的范围内没有找到“" + q + "”";
        })
        .catch(function () { if (mine === asked) { status.textContent = "检索失败，请稍后重试"; } });
    }

    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 200); });
    input.addEventListener("keydown", function (e) {
      // Enter searches at once instead of sending the whole form.
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); search(); }
    });
  });
})();
