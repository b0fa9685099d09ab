// Deadlines on the order page count down live. The server renders the same text first, so the
// page says how long is left without JavaScript too; this only keeps it current.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "en";

  function unit(value, name) {
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
    } catch (e) {
      return value + " " + name + (value === 1 ? "" : "s");
    }
  }

  // Two units at most, like Django's timeuntil: "3 days, 4 hours", "2 hours, 5 minutes".
  function remaining(ms) {
    var minutes = Math.floor(ms / 60000);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days > 0) { return hours > 0 ? unit(days, "day") + ", " + unit(hours, "hour") : unit(days, "day"); }
    if (hours > 0) { return mins > 0 ? unit(hours, "hour") + ", " + unit(mins, "minute") : unit(hours, "hour"); }
    return unit(Math.max(mins, 0), "minute");
  }

  function tick() {
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var left = Date.parse(element.getAttribute("data-countdown")) - Date.now();
      if (isNaN(left)) { return; }
      if (left <= 0) {
        var box = element.closest("[data-deadline-box]");
        var passed = box && box.querySelector("[data-deadline-passed]");
        if (passed && passed.hidden) {
          passed.hidden = false;
          element.closest("[data-deadline-left]").hidden = true;
        }
        return;
      }
      element.textContent = remaining(left);
    });
  }

  function start() {
    tick();
    window.setInterval(tick, 30000);
  }

  if (document.readyState !== "loading") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
