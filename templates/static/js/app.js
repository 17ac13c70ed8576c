// orgbill console enhancements. Every page works without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // The console's one client-side number formatter, for the few numbers a
  // script makes itself (money otherwise arrives formatted by the server,
  // core/base/money.h, in the same "$1,234.56" shape).
  //   obFormat.money(4900, "usd") -> "$49.00"   (minor units, ISO 4217 code)
  //   obFormat.count(1000000)     -> "1,000,000"
  window.obFormat = {
    money: function (minor, currency) {
      var f = new Intl.NumberFormat("en-US", { style: "currency", currency: String(currency || "usd").toUpperCase() });
      var exp = f.resolvedOptions().maximumFractionDigits;
      return f.format(Number(minor) / Math.pow(10, exp));
    },
    count: function (n) {
      return new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).format(Number(n));
    }
  };
  // Org switcher: submit on change instead of needing the button.
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.submit();
    }
  });
})();
