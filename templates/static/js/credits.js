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
