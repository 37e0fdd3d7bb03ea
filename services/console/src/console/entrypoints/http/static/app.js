// Etapa console: small progressive enhancements. Pages work without this file.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // A select marked data-autosubmit sends its form when changed (the branch picker).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("select[data-autosubmit]")) {
      target.form.submit();
    }
  });

  // The "ao vivo" badge says whether live updates are connected.
  function live(state) {
    var badge = document.getElementById("ao-vivo");
    if (!badge) return;
    badge.classList.toggle("desligado", state !== "on");
    badge.textContent = state === "on" ? "● ao vivo" : "○ reconectando…";
  }
  document.addEventListener("htmx:sseOpen", function () { live("on"); });
  document.addEventListener("htmx:sseError", function () { live("off"); });

  // Forms that need a confirmation carry data-confirm with the question.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
