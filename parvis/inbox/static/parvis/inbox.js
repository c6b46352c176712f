// The inbox list: no refresh while rows are selected (the poll would clear the checkboxes),
// and a "select all" box. Loaded as a file (CSP: no inline script).
(function () {
  "use strict";
  function selected() {
    return document.querySelectorAll("#inbox-rows input[name=ids]:checked").length > 0;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "inbox-rows" && selected()) {
      event.preventDefault();
    }
  });
  // A saved reply is inserted when chosen; the picker goes back to « — » afterwards, so the
  // same reply can be chosen again (and nothing is inserted twice).
  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.id === "saved-choice") {
      elt.value = "";
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "select-all") {
      var boxes = document.querySelectorAll("#inbox-rows input[name=ids]");
      for (var i = 0; i < boxes.length; i++) {
        boxes[i].checked = event.target.checked;
      }
    }
  });
})();
