// Order forms: add contract lines without a round trip, and show only the chosen ship-by rule.
// Every form works without this file (blank rows are there already; both ship-by boxes show).
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  onReady(function () {
    document.querySelectorAll("button[data-formset-add]").forEach(function (button) {
      var prefix = button.getAttribute("data-formset-add");
      var rows = document.querySelector('[data-formset-rows="' + prefix + '"]');
      var template = document.querySelector('template[data-formset-template="' + prefix + '"]');
      var total = document.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
      var max = document.querySelector('input[name="' + prefix + '-MAX_NUM_FORMS"]');
      if (!rows || !template || !total) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var index = parseInt(total.value, 10);
        if (max && index >= parseInt(max.value, 10)) { return; }
        var html = template.innerHTML.replace(/__prefix__/g, String(index));
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var row = holder.firstElementChild;
        var legend = row.querySelector("legend");
        if (legend) { legend.textContent = button.getAttribute("data-line-label").replace("%s", String(index + 1)); }
        rows.appendChild(row);
        total.value = String(index + 1);
        var first = row.querySelector("select, input, textarea");
        if (first) { first.focus(); }
      });
    });

    var rules = document.querySelectorAll('input[name="ship_by_rule"]');
    function showRule() {
      var chosen = document.querySelector('input[name="ship_by_rule"]:checked');
      if (!chosen) { return; }
      document.querySelectorAll("[data-ship-by]").forEach(function (box) {
        box.hidden = box.getAttribute("data-ship-by") !== chosen.value;
      });
    }
    rules.forEach(function (radio) { radio.addEventListener("change", showRule); });
    showRule();
  });
})();
