// The QR screen in the room: fetches the current code every step, counts down to the
// next one, and shows who has checked in. Without this script the page still shows one
// code (good for its step and the next), so a reload keeps it working.
(function () {
  "use strict";
  var screen = document.getElementById("qr-screen");
  if (!screen) { return; }
  var jsonUrl = screen.dataset.jsonUrl;
  var seconds = parseInt(screen.dataset.seconds, 10) || 15;
  var left = parseInt(screen.dataset.refreshIn, 10) || seconds;
  var image = document.getElementById("qr-image");
  var codeText = document.getElementById("qr-code");
  var countdown = document.getElementById("qr-seconds");
  var present = document.getElementById("qr-present");
  var recent = document.getElementById("qr-recent");
  var stale = document.getElementById("qr-stale");
  var fullscreen = document.getElementById("qr-fullscreen");
  var busy = false;

  function show(data) {
    image.src = data.svg;
    screen.dataset.checkinUrl = data.url;
    codeText.textContent = data.code;
    present.textContent = String(data.present_count);
    recent.replaceChildren.apply(recent, data.recent.map(function (name) {
      var item = document.createElement("li");
      item.textContent = name;
      return item;
    }));
    left = data.refresh_in || seconds;
    countdown.textContent = String(left);
    stale.hidden = true;
  }

  function refresh() {
    if (busy) { return; }
    busy = true;
    fetch(jsonUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 409) { window.location.reload(); return null; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) { if (data) { show(data); } })
      .catch(function () { stale.hidden = false; left = 3; })
      .then(function () { busy = false; });
  }

  window.setInterval(function () {
    left -= 1;
    if (left <= 0) { left = 0; refresh(); return; }
    countdown.textContent = String(left);
  }, 1000);

  if (fullscreen) {
    if (!document.fullscreenEnabled) { fullscreen.hidden = true; }
    fullscreen.addEventListener("click", function () {
      if (document.fullscreenElement) { document.exitFullscreen(); } else { screen.requestFullscreen(); }
    });
  }
})();
