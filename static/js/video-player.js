/* Sinau's video player: hls.js (static/vendor/) or native HLS, a quality menu, resume from
 * the last position, and heartbeats that report the ranges played.
 *
 * Each player is a [data-video-player] element around a <video>; the page's "video-state"
 * JSON says whether watching is recorded and where each video resumes. The server decides
 * what counts: this script only reports what was played, continuously, between seeks.
 */
(function () {
  "use strict";

  var HEARTBEAT_MS = 10000;
  // The server refuses longer lists; a learner who seeks that often sends the latest ranges.
  var MAX_RANGES = 50;
  // Seconds of media between two timeupdate events (at 1x) beyond which time jumped: a seek.
  var MAX_STEP = 1.5;
  var SAVE_POSITION_MS = 5000;

  function readState() {
    var node = document.getElementById("video-state");
    if (!node) return { tracking: false, threshold: 100, videos: {} };
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return { tracking: false, threshold: 100, videos: {} };
    }
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  // Sorted, non-overlapping ranges covering the same seconds (touching ones join).
  function normalise(ranges) {
    var sorted = ranges
      .filter(function (r) { return r[1] > r[0]; })
      .map(function (r) { return [r[0], r[1]]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var out = [];
    sorted.forEach(function (r) {
      var last = out[out.length - 1];
      if (last && r[0] <= last[1]) {
        last[1] = Math.max(last[1], r[1]);
      } else {
        out.push(r);
      }
    });
    return out;
  }

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // private mode or storage disabled: resume from the server only
    }
  }

  function Player(root, state) {
    this.root = root;
    this.video = root.querySelector("video");
    this.progress = root.querySelector("[data-video-progress]");
    this.id = root.dataset.video;
    this.info = (state.videos || {})[this.id] || {};
    this.threshold = state.threshold || 100;
    this.tracking = Boolean(state.tracking && root.dataset.heartbeat && root.dataset.module);
    this.storeKey = "sinau:video:" + this.id + ":position";
    this.ranges = []; // closed ranges played in this page view
    this.current = null; // the range being played now
    this.inflight = false;
    this.again = false; // another heartbeat was asked for while one was in flight
    this.timer = null;
    this.retry = null;
    this.started = false; // the first heartbeat (which starts the server's clock) went out
    this.ticket = this.info.ticket || ""; // the page's signed watch ticket (renewed by replies)
    this.final = false; // a pause, end or leaving is waiting to be written through
    this.savedAt = 0;
    this.hls = null;
  }

  Player.prototype.text = function (key, values) {
    return format(this.root.dataset["t" + key] || "", values || {});
  };

  Player.prototype.say = function (message, kind) {
    this.root.classList.toggle("has-error", kind === "error");
    if (this.progress) this.progress.textContent = message;
  };

  Player.prototype.showProgress = function (percent, completed) {
    this.root.classList.toggle("is-complete", Boolean(completed));
    this.root.classList.remove("has-error");
    if (!this.tracking) return;
    var values = { percent: percent + "%", threshold: this.threshold + "%" };
    this.say(completed ? "✓ " + this.text("Done", values) : this.text("Watched", values));
  };

  Player.prototype.resumeAt = function () {
    if (this.info.resume_at) return this.info.resume_at;
    var store = storage();
    var saved = store ? parseFloat(store.getItem(this.storeKey) || "0") : 0;
    return isFinite(saved) && saved > 0 ? saved : 0;
  };

  Player.prototype.start = function () {
    var video = this.video;
    var src = this.root.dataset.src;
    var resumeAt = this.resumeAt();
    var Hls = window.Hls;
    if (this.tracking) this.showProgress(this.info.percent || 0, this.info.completed);
    if (Hls && Hls.isSupported()) {
      // The transmuxer worker is a file of ours: the CSP forbids the blob: worker hls.js
      // would otherwise build.
      this.hls = new Hls({
        workerPath: this.root.dataset.worker,
        startPosition: resumeAt > 0 ? resumeAt : -1,
        capLevelToPlayerSize: true,
      });
      this.hls.on(Hls.Events.MANIFEST_PARSED, this.buildQualityMenu.bind(this));
      this.hls.on(Hls.Events.LEVEL_SWITCHED, this.labelAuto.bind(this));
      this.hls.on(Hls.Events.ERROR, this.onHlsError.bind(this));
      this.hls.loadSource(src);
      this.hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      // Safari plays HLS itself and picks the quality on its own.
      video.src = src;
      if (resumeAt > 0) {
        video.addEventListener("loadedmetadata", function () {
          video.currentTime = resumeAt;
        }, { once: true });
      }
    } else {
      this.say(this.text("Unsupported"), "error");
      return;
    }
    this.listen();
  };

  Player.prototype.onHlsError = function (event, data) {
    if (!data.fatal) return;
    var Hls = window.Hls;
    var status = data.response && data.response.code;
    if (data.type === Hls.ErrorTypes.NETWORK_ERROR && (status === 403 || status === 410)) {
      // The signed segment URLs expired (a long pause): fetch the playlists again for
      // fresh ones and carry on from the same place, at most once a minute.
      var now = Date.now();
      if (this.reloadedAt && now - this.reloadedAt < 60000) {
        this.say(this.text("Error"), "error");
        return;
      }
      this.reloadedAt = now;
      var at = this.video.currentTime;
      this.hls.loadSource(this.root.dataset.src);
      this.hls.startLoad(at);
    } else if (data.type === Hls.ErrorTypes.NETWORK_ERROR) {
      this.hls.startLoad(); // a dropped link on a slow line: try again from where it was
    } else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) {
      this.hls.recoverMediaError();
    } else {
      this.say(this.text("Error"), "error");
      this.hls.destroy();
    }
  };

  Player.prototype.buildQualityMenu = function () {
    var hls = this.hls;
    var label = this.root.querySelector("[data-video-quality]");
    if (!label || hls.levels.length < 2) return;
    var select = label.querySelector("select");
    select.textContent = ""; // a recovered stream parses its manifest again
    var auto = document.createElement("option");
    auto.value = "-1";
    auto.textContent = this.text("Auto");
    select.appendChild(auto);
    hls.levels
      .map(function (level, index) { return { level: level, index: index }; })
      .sort(function (a, b) { return b.level.height - a.level.height || b.level.bitrate - a.level.bitrate; })
      .forEach(function (item) {
        var option = document.createElement("option");
        option.value = String(item.index);
        option.textContent = item.level.height ? item.level.height + "p" : Math.round(item.level.bitrate / 1000) + " kbps";
        select.appendChild(option);
      });
    select.value = "-1";
    var video = this.video;
    select.onchange = function () {
      var level = parseInt(select.value, 10);
      if (video.readyState < 2) {
        // Nothing shown yet: flushing the first segment while it is still being appended
        // leaves hls.js reloading it forever; choose for the next segment instead.
        hls.nextLevel = level;
      } else {
        // An explicit choice switches now; "auto" (-1) hands the choice back to hls.js.
        hls.currentLevel = level;
      }
    };
    label.hidden = false;
  };

  Player.prototype.labelAuto = function (event, data) {
    var select = this.root.querySelector("[data-video-quality] select");
    if (!select || !select.options.length || !this.hls.autoLevelEnabled) return;
    var level = this.hls.levels[data.level];
    select.options[0].textContent = this.text("Auto") + (level && level.height ? " (" + level.height + "p)" : "");
  };

  // --- What was played ----------------------------------------------------------------

  Player.prototype.extend = function (time) {
    var step = MAX_STEP * Math.max(1, this.video.playbackRate || 1);
    if (this.current && time >= this.current[1] && time - this.current[1] <= step) {
      this.current[1] = time;
      return;
    }
    this.close();
    this.current = [time, time];
  };

  Player.prototype.close = function () {
    if (this.current && this.current[1] > this.current[0]) {
      this.ranges = normalise(this.ranges.concat([this.current]));
    }
    this.current = null;
  };

  Player.prototype.played = function () {
    var all = normalise(this.ranges.concat(this.current ? [this.current] : []));
    // Too many pieces: the latest in the video, which are the ones most likely still new.
    return all.length > MAX_RANGES ? all.slice(all.length - MAX_RANGES) : all;
  };

  Player.prototype.listen = function () {
    var self = this;
    var video = this.video;
    video.addEventListener("playing", function () {
      self.extend(video.currentTime);
      if (!self.started) {
        self.started = true;
        self.send(); // starts the server's clock for what is played next
      }
      if (!self.timer) self.timer = window.setInterval(self.send.bind(self), HEARTBEAT_MS);
    });
    video.addEventListener("timeupdate", function () {
      if (!video.paused && !video.seeking) self.extend(video.currentTime);
      self.savePosition(false);
    });
    // A seek ends the range; playing from the new place starts another.
    video.addEventListener("seeking", function () { self.close(); });
    video.addEventListener("pause", function () {
      if (!video.seeking) self.extend(video.currentTime);
      self.close();
      self.stopTimer();
      self.savePosition(true);
      self.send(true);
    });
    video.addEventListener("ended", function () {
      self.extend(video.duration || video.currentTime);
      self.close();
      self.stopTimer();
      self.savePosition(true);
      self.send(true);
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") self.send(true);
    });
    window.addEventListener("pagehide", function () { self.send(true); });
  };

  Player.prototype.stopTimer = function () {
    if (this.timer) window.clearInterval(this.timer);
    this.timer = null;
  };

  Player.prototype.savePosition = function (now) {
    var stamp = Date.now();
    if (!now && stamp - this.savedAt < SAVE_POSITION_MS) return;
    this.savedAt = stamp;
    var store = storage();
    if (!store) return;
    try {
      store.setItem(this.storeKey, String(Math.floor(this.video.currentTime)));
    } catch (e) {
      // storage full: the server's position still resumes the video
    }
  };

  // --- Heartbeats ---------------------------------------------------------------------

  // final: the player paused, ended or is being left, so the server writes the watch
  // through instead of keeping it in its cache for a while.
  Player.prototype.send = function (final) {
    if (!this.tracking || !this.started) return;
    if (final === true) this.final = true;
    if (this.inflight) {
      this.again = true;
      return;
    }
    if (this.retry) {
      window.clearTimeout(this.retry);
      this.retry = null;
    }
    var self = this;
    var body = JSON.stringify({
      module: parseInt(this.root.dataset.module, 10),
      intervals: this.played(),
      position: this.video.currentTime || 0,
      final: this.final,
      ticket: this.ticket,
    });
    var sentFinal = this.final;
    this.inflight = true;
    // keepalive lets the last heartbeat outlive the page; sendBeacon cannot send the CSRF header.
    window.fetch(this.root.dataset.heartbeat, {
      method: "POST",
      body: body,
      keepalive: true,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.root.dataset.csrf },
    }).then(function (response) {
      if (response.status === 429) {
        // Too soon after the previous one: the same ranges go again shortly.
        var wait = parseFloat(response.headers.get("Retry-After") || "2");
        self.retry = window.setTimeout(function () {
          self.retry = null;
          self.send();
        }, Math.max(wait, 1) * 1000);
        return null;
      }
      return response.json().then(function (data) {
        if (response.ok) {
          if (sentFinal) self.final = false;
          self.onAccepted(data);
        } else {
          self.onRefused(response.status, data);
        }
      });
    }).catch(function () {
      self.say(self.text("Failed"), "error");
    }).then(function () {
      self.inflight = false;
      if (self.again) {
        self.again = false;
        self.send();
      }
    });
  };

  Player.prototype.onAccepted = function (data) {
    if (data.ticket) this.ticket = data.ticket;
    this.info.completed = data.completed;
    this.showProgress(data.percent, data.completed);
    if (data.module_completed) {
      var done = document.querySelector("[data-module-completed]");
      var needs = document.querySelector("[data-module-needs-video]");
      if (done) done.hidden = false;
      if (needs) needs.hidden = true;
    }
  };

  Player.prototype.onRefused = function (status, data) {
    this.say((data && data.error) || this.text("Failed"), "error");
    if (status === 403) {
      // Not recorded for this user (logged out, enrolment ended): stop asking.
      this.tracking = false;
      this.stopTimer();
    }
  };

  function init() {
    var state = readState();
    var players = document.querySelectorAll("[data-video-player]");
    Array.prototype.forEach.call(players, function (root) {
      new Player(root, state).start();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
