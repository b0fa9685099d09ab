// The bank account forms (payouts, refunds): where the chosen bank country uses IBANs only the IBAN field is
// shown, elsewhere only the account number (the server checks either way; without this script
// both fields show with their hints).
(function () {
  "use strict";
  document.querySelectorAll("form[data-iban-countries]").forEach(function (form) {
    var ibanCountries = (form.dataset.ibanCountries || "").split(" ");
    var country = form.querySelector("[name=country]");
    function show() {
      var chosen = country.value;
      var iban = ibanCountries.indexOf(chosen) !== -1;
      form.querySelectorAll("[data-bank-field]").forEach(function (field) {
        var wanted = field.dataset.bankField === (iban ? "iban" : "account_number");
        field.hidden = Boolean(chosen) && !wanted;
      });
    }
    country.addEventListener("change", show);
    show();
  });
})();
