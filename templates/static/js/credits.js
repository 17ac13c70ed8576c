/* Credits page: show the hovered (or focused) day's usage under the chart.
 * The bars carry <title> tooltips, so the chart also works without this. */
(function () {
  "use strict";
  var svg = document.getElementById("credits-chart");
  var out = document.getElementById("chart-readout");
  if (!svg || !out) return;
  function show(el) {
    var day = el.getAttribute("data-day");
    if (!day) return;
    out.textContent = day + ": " + el.getAttribute("data-amount") + " credits";
    var bars = svg.querySelectorAll("rect.bar");
    for (var i = 0; i < bars.length; i++)
      bars[i].classList.toggle("active", bars[i].getAttribute("data-day") === day);
  }
  svg.addEventListener("mouseover", function (e) { show(e.target); });
  svg.addEventListener("focusin", function (e) { show(e.target); });
})();

/* Allocation and extra-task limits: "Unlimited" and a number are one
 * choice — ticking the box empties the number, typing a number unticks the
 * box. Without this file, a number beside a ticked box is refused (400)
 * and nothing changes. */
(function () {
  "use strict";
  function pair(box, num) {
    if (!box || !num) return;
    box.addEventListener("change", function () { if (box.checked) num.value = ""; });
    num.addEventListener("input", function () { if (num.value !== "") box.checked = false; });
  }
  var rows = document.querySelectorAll("#allocations form");
  for (var i = 0; i < rows.length; i++)
    pair(rows[i].querySelector("input.alloc-unlimited"), rows[i].querySelector("input[name=limit]"));
  pair(document.getElementById("extra-unlimited"), document.getElementById("max-extra"));
})();
