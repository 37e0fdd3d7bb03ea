// Flow editor: after a row button or a refused save swaps the form, put the keyboard where the
// person expects it (the error summary, or the row that moved). The page works without this.
(function () {
  "use strict";
  function placeFocus() {
    var form = document.getElementById("editor-fluxo");
    if (!form) return;
    var summary = form.querySelector(".resumo-erros");
    if (summary) { summary.focus(); return; }
    var id = form.getAttribute("data-foco");
    var field = id && document.getElementById(id);
    if (field) field.focus();
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (target && (target.id === "editor-fluxo" || !document.body.contains(target))) placeFocus();
  });
  document.addEventListener("DOMContentLoaded", placeFocus);
})();
