// The console's one script. Pages work without it; with it, a page whose <main> names a
// change feed (data-live="tickets") listens to /console/live and, on each change, fetches the
// page again and swaps in its live regions ([data-region] elements, matched by id). Forms and
// fields being typed in are never inside a region, so nothing the user is writing is lost.
(function () {
  "use strict";
  var main = document.querySelector("main[data-live]");
  if (!main || !window.EventSource || !window.fetch) {
    return;
  }
  var root = document.documentElement;
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || !response.ok) {
          window.location.reload();
          return null;
        }
        return response.text();
      })
      .then(function (text) {
        if (text === null) {
          return;
        }
        var fresh = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-region]").forEach(function (region) {
          var replacement = region.id && fresh.getElementById(region.id);
          if (replacement) {
            region.replaceWith(document.importNode(replacement, true));
          }
        });
        root.dataset.refreshed = String(Number(root.dataset.refreshed || 0) + 1);
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  var feed = new EventSource("/console/live?watch=" + encodeURIComponent(main.dataset.live));
  feed.addEventListener("ready", function () {
    root.dataset.live = "connected";
  });
  feed.addEventListener("change", refresh);
  feed.addEventListener("signed-out", function () {
    feed.close();
    window.location.reload();
  });
  feed.onerror = function () {
    root.dataset.live = "reconnecting";
  };
})();
