// Keeps what a participant is writing. The text is saved sealed on the server (every 20 seconds when it changed,
// and when the page is left or the quick exit used); saving counts as activity, since the person is writing.
// Before the idle timeout signs them out, a warning says so and offers to stay; after it, the page says plainly
// what happened and that the draft is kept. The words shown come from the page (translated there).
(function () {
  "use strict";
  var SAVE_EVERY_MS = 20000;
  var WARN_BEFORE_MS = 120000;

  function setUp(area) {
    var form = area.form;
    var token = form.querySelector("input[name=csrf_token]").value;
    var status = document.getElementById(area.dataset.draftStatus);
    var warning = document.getElementById(area.dataset.idleWarning);
    var idleMs = parseInt(area.dataset.idleSeconds, 10) * 1000;
    var lastSaved = area.value;
    var savedAt = null;
    var activeAt = Date.now();
    var signedOut = false;

    function say(element, text) { if (element) { element.textContent = text; } }

    function body() {
      var data = new FormData();
      data.append("csrf_token", token);
      data.append("text", area.value);
      return data;
    }

    function save(force) {
      if (signedOut || (!force && area.value === lastSaved)) { return; }
      var text = area.value;
      fetch(area.dataset.draftUrl, {method: "POST", body: body(), credentials: "same-origin",
                                    headers: {"X-CSRFToken": token}})
        .then(function (response) {
          var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
          if (!response.ok || !json) { throw new Error("not saved"); }
          return response.json();
        })
        .then(function (answer) {
          lastSaved = text;
          activeAt = Date.now();
          if (answer.saved) {
            savedAt = answer.saved_at;
            say(status, area.dataset.savedText.replace("%(time)s", answer.saved_at));
          } else {
            say(status, "");
          }
          if (warning) { warning.hidden = true; }
        })
        .catch(function () { say(status, area.dataset.unsavedText); });
    }

    function saveWhileLeaving() {
      if (signedOut || area.value === lastSaved || !navigator.sendBeacon) { return; }
      lastSaved = area.value;
      navigator.sendBeacon(area.dataset.draftUrl, body());
    }

    function watchIdle() {
      var idleFor = Date.now() - activeAt;
      if (!warning || signedOut) { return; }
      if (idleFor >= idleMs) {
        signedOut = true;
        warning.hidden = false;
        say(warning.querySelector("[data-message]"),
            savedAt ? warning.dataset.signedOutSaved.replace("%(time)s", savedAt) : warning.dataset.signedOut);
        var stay = warning.querySelector("button");
        if (stay) { stay.hidden = true; }
      } else if (idleFor >= idleMs - WARN_BEFORE_MS) {
        warning.hidden = false;
      }
    }

    if (warning) {
      warning.querySelector("button").addEventListener("click", function () { save(true); });
    }
    form.addEventListener("submit", function () { lastSaved = area.value; });  // sending deletes the draft
    window.setInterval(function () { save(false); }, SAVE_EVERY_MS);
    window.setInterval(watchIdle, 5000);
    window.addEventListener("pagehide", saveWhileLeaving);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { saveWhileLeaving(); }
    });
    document.addEventListener("quick-exit", saveWhileLeaving);
  }

  document.querySelectorAll("textarea[data-draft-url]").forEach(setUp);
}());
