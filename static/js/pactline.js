// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  onReady(function () {
    // Signup: preselect the browser's time zone unless the user already chose one.
    var browserZone;
    try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { browserZone = null; }
    document.querySelectorAll("select[data-browser-timezone]").forEach(function (select) {
      if (!browserZone || select.value !== "UTC") { return; }
      var option = Array.prototype.find.call(select.options, function (o) { return o.value === browserZone; });
      if (option) { select.value = browserZone; }
    });

    // Language switcher: submit as soon as a language is picked (the button stays for keyboards).
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  });
})();
