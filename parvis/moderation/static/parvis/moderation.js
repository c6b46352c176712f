// The review queue's keyboard: k keep, h hide, e escalate, n or j next. Each key clicks the
// button or link that carries it in data-key, so the keyboard does exactly what the mouse
// does (a form posted, a link followed). Loaded as a file (CSP: no inline script).
(function () {
  "use strict";
  var ALIASES = { j: "n" };
  function typing(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (typing(event.target) || !document.getElementById("review-card")) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    key = ALIASES[key] || key;
    if (!/^[a-z]$/.test(key)) {
      return;
    }
    var target = document.querySelector("#review-card [data-key='" + key + "']");
    if (target && !target.disabled) {
      event.preventDefault();
      target.click();
    }
  });
})();
