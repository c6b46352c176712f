// The editorial calendar: drag a post to another day to move it (it keeps its time). The move
// is the « Move to… » form's POST, so the server decides exactly as without JavaScript.
// Loaded as a file (CSP: no inline script).
(function () {
  "use strict";
  var dragged = null;

  function dayOf(element) {
    return element && element.closest ? element.closest("[data-date]") : null;
  }

  document.addEventListener("dragstart", function (event) {
    var chip = event.target.closest && event.target.closest(".post-chip[draggable=true]");
    if (!chip) {
      return;
    }
    dragged = chip;
    chip.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", chip.getAttribute("data-post") || "");
  });

  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
    }
    dragged = null;
    var marked = document.querySelectorAll(".drop-target");
    for (var i = 0; i < marked.length; i++) {
      marked[i].classList.remove("drop-target");
    }
  });

  document.addEventListener("dragover", function (event) {
    var day = dayOf(event.target);
    if (dragged && day && document.getElementById("drag-move-form")) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
      if (!day.classList.contains("drop-target")) {
        var marked = document.querySelectorAll(".drop-target");
        for (var i = 0; i < marked.length; i++) {
          marked[i].classList.remove("drop-target");
        }
        day.classList.add("drop-target");
      }
    }
  });

  document.addEventListener("drop", function (event) {
    var day = dayOf(event.target);
    var form = document.getElementById("drag-move-form");
    if (!dragged || !day || !form) {
      return;
    }
    event.preventDefault();
    var source = dayOf(dragged);
    if (source && source.getAttribute("data-date") === day.getAttribute("data-date")) {
      return;
    }
    form.setAttribute("action", dragged.getAttribute("data-move-url"));
    form.querySelector("input[name=day]").value = day.getAttribute("data-date");
    form.submit();
  });

  // The composer: ticking « own text » for an account starts its text from the post's text,
  // to adapt rather than retype.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box || !box.name || box.name.indexOf("own_") !== 0 || !box.checked) {
      return;
    }
    var own = document.querySelector("textarea[name=variant_" + box.name.slice(4) + "]");
    var master = document.getElementById("id_text");
    if (own && master && !own.value.trim()) {
      own.value = master.value;
      own.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
})();
