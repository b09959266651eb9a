// metareview workspace: keyboard shortcuts for screening (no inline scripts; CSP allows only
// files served by the workspace). i include, e exclude, m maybe, u undo, n note, ? help.
(function () {
  "use strict";
  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  function clickKey(key) {
    var button = document.querySelector('[data-key="' + key + '"]');
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var help = document.getElementById("help");
    if (typing(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    var key = event.key;
    if (key === "?") {
      if (help) { if (help.open) help.close(); else help.showModal(); }
      event.preventDefault();
    } else if (key === "n") {
      var note = document.getElementById("note");
      if (note) { note.focus(); event.preventDefault(); }
    } else if (key === "i" || key === "e" || key === "m" || key === "u") {
      if (clickKey(key)) event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("#help-toggle") : null;
    var help = document.getElementById("help");
    if (target && help) help.showModal();
  });
})();
