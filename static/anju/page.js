/* Behaviour the templates ask for with data- attributes, so that no page needs inline script or style
   (the Content-Security-Policy allows neither; see ADR 0021):
     data-print                 a button that prints the page
     data-autosubmit            a field that submits its form when changed
     data-confirm="question"    a form that asks before it is sent
     data-check-all="selector"  a checkbox that ticks or clears every checkbox the selector names
     data-width="42"            an element (a progress bar) drawn that many percent wide */
(function () {
  "use strict";

  function widths(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-width]") : [];
    if (root.matches && root.matches("[data-width]")) bars = [root].concat(Array.prototype.slice.call(bars));
    Array.prototype.forEach.call(bars, function (el) {
      var value = parseFloat(el.getAttribute("data-width"));
      if (!isNaN(value)) el.style.width = Math.max(0, Math.min(100, value)) + "%";  // CSSOM: allowed by style-src 'self'
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    var all = target.closest("[data-check-all]");
    if (all) {
      document.querySelectorAll(all.getAttribute("data-check-all")).forEach(function (box) {
        if (box !== all) box.checked = all.checked;
      });
    }
  });

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field instanceof Element && field.matches("[data-autosubmit]") && field.form) field.form.submit();
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof Element && form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () { widths(document); });
  document.addEventListener("htmx:load", function (event) { widths(event.target); });  // content htmx swapped in
})();
