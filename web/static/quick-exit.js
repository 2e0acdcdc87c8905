// The quick exit: leave for a neutral site at once, this page replaced in the history, signed out on the way.
// Without JavaScript the control is a plain link to the same neutral site.
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  var lastEscape = 0;

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.documentElement.style.visibility = "hidden";
    document.dispatchEvent(new CustomEvent("quick-exit"));  // static/draft.js keeps what was being written
    var signOut = document.getElementById("sign-out");  // the header's sign-out form, when signed in
    if (signOut && navigator.sendBeacon) { navigator.sendBeacon(signOut.action, new FormData(signOut)); }
    window.location.replace(link.href);  // replaces this page in the history: Back does not come back here
  }

  link.addEventListener("click", leave);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var now = Date.now();
    if (now - lastEscape < 1000) { leave(event); }
    lastEscape = now;
  });
}());
