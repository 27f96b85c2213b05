/* Sinau's quiz attempt page: each answer is saved as it is given, and a timer counts down
 * to the server's deadline.
 *
 * The page works without this script (its form posts the questions it shows). With it,
 * every change POSTs {position, response} to the attempt's answer URL, the question says
 * "Tersimpan", and the question list marks it answered. Options travel as their place in
 * the page's order, as the form sends them; the server turns them into answers.
 *
 * The timer counts down from the page's "quiz-clock" JSON: the deadline and the server's
 * time when it rendered the page, so a wrong clock on the learner's device changes nothing.
 * Screen readers hear it at 5 and at 1 minute left; at zero the page submits. The server
 * enforces the deadline whatever this script does.
 */
(function () {
  "use strict";

  var TYPING_PAUSE_MS = 1200;
  var RETRY_MS = 5000;
  var ANNOUNCE_AT_MINUTES = [5, 1];

  function format(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? values[key] : match;
    });
  }

  function each(nodes, fn) {
    Array.prototype.forEach.call(nodes, fn);
  }

  function Attempt(root) {
    this.root = root;
    this.form = root.querySelector("[data-quiz-form]");
    this.url = root.dataset.answerUrl;
    this.csrf = root.dataset.csrf;
    this.pending = {}; // position -> response waiting to be sent
    this.inflight = {}; // position -> true while a request is out
    this.typing = {}; // position -> timer of a text box being typed in
    this.retry = null;
    this.submitting = false;
    this.stopped = false; // refused for good (logged out, not this learner's attempt)
  }

  Attempt.prototype.text = function (key, values) {
    return format(this.root.dataset["t" + key], values || {});
  };

  Attempt.prototype.start = function () {
    var self = this;
    if (!this.form) return;
    this.form.addEventListener("change", function (event) {
      var question = event.target.closest("[data-question]");
      if (question) self.queue(question, true);
    });
    this.form.addEventListener("input", function (event) {
      var target = event.target;
      if (target.type !== "text") return;
      var question = target.closest("[data-question]");
      if (question) self.queue(question, false);
    });
    this.form.addEventListener("submit", function (event) {
      if (self.submitting && !self.timeUp) {
        event.preventDefault(); // a double click: the first one is on its way
        return;
      }
      self.submitting = true;
    });
    // Back from the next page (the browser's cache keeps this one as it was): start afresh.
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) self.submitting = false;
    });
    new Timer(this).start();
  };

  Attempt.prototype.responseOf = function (question) {
    var kind = question.dataset.kind;
    var checked;
    if (kind === "single") {
      checked = question.querySelector("input:checked");
      return checked ? checked.value : null;
    }
    if (kind === "truefalse") {
      checked = question.querySelector("input:checked");
      return checked ? checked.value === "true" : null;
    }
    if (kind === "multiple") {
      return Array.prototype.map.call(question.querySelectorAll("input:checked"), function (box) {
        return box.value;
      });
    }
    if (kind === "short" || kind === "numeric") {
      var value = question.querySelector("input").value.trim();
      return value === "" ? null : value;
    }
    if (kind === "matching") {
      var matched = {};
      var any = false;
      each(question.querySelectorAll("select[data-prompt]"), function (select) {
        if (select.value) {
          matched[select.dataset.prompt] = select.value;
          any = true;
        }
      });
      return any ? matched : null;
    }
    return null;
  };

  // Text boxes wait for a pause in typing; everything else goes at once.
  Attempt.prototype.queue = function (question, now) {
    if (this.stopped) return;
    var self = this;
    var position = question.dataset.position;
    clearTimeout(this.typing[position]);
    if (!now) {
      this.typing[position] = setTimeout(function () {
        self.queue(question, true);
      }, TYPING_PAUSE_MS);
      return;
    }
    this.pending[position] = this.responseOf(question);
    this.send(position);
  };

  Attempt.prototype.status = function (position, message, kind) {
    var question = this.form.querySelector('[data-question][data-position="' + position + '"]');
    var node = question && question.querySelector("[data-answer-status]");
    if (!node) return;
    node.textContent = message;
    node.classList.toggle("is-error", kind === "error");
    node.classList.toggle("is-saved", kind === "saved");
  };

  Attempt.prototype.send = function (position) {
    var self = this;
    if (this.stopped || this.inflight[position] || !(position in this.pending)) return;
    var response = this.pending[position];
    delete this.pending[position];
    this.inflight[position] = true;
    this.status(position, this.text("Saving"));
    window.fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrf },
      body: JSON.stringify({ position: parseInt(position, 10), response: response }),
    }).then(function (reply) {
      return reply.json().catch(function () { return {}; }).then(function (data) {
        return { status: reply.status, data: data };
      });
    }).then(function (result) {
      self.inflight[position] = false;
      self.onReply(position, response, result.status, result.data);
    }, function () {
      self.inflight[position] = false;
      self.onFailure(position, response);
    });
  };

  Attempt.prototype.onReply = function (position, response, status, data) {
    if (status === 200 && data.saved) {
      this.status(position, data.answered ? this.text("Saved") : this.text("Cleared"), "saved");
      this.markAnswered(position, data.answered);
      this.send(position); // a newer answer given meanwhile
      return;
    }
    if (status === 409 && data.closed) {
      // Time is up (or it was submitted elsewhere): the result page says how it ended.
      this.stopped = true;
      this.status(position, data.error || "", "error");
      if (!this.submitting) window.location.assign(this.root.dataset.resultUrl);
      return;
    }
    if (status >= 500 || status === 0) {
      this.onFailure(position, response);
      return;
    }
    if (status === 403 || status === 404) this.stopped = true;
    this.status(position, data.error || this.text("Failed"), "error");
    this.send(position);
  };

  Attempt.prototype.onFailure = function (position, response) {
    var self = this;
    if (!(position in this.pending)) this.pending[position] = response;
    this.status(position, this.text("Failed"), "error");
    clearTimeout(this.retry);
    this.retry = setTimeout(function () {
      Object.keys(self.pending).forEach(function (key) { self.send(key); });
    }, RETRY_MS);
  };

  Attempt.prototype.markAnswered = function (position, answered) {
    var self = this;
    each(this.root.querySelectorAll('[data-nav="' + position + '"]'), function (item) {
      item.classList.toggle("is-answered", Boolean(answered));
      var state = item.querySelector("[data-nav-state]");
      if (state) state.textContent = ", " + (answered ? self.text("Answered") : self.text("NotAnswered"));
    });
    var counter = this.root.querySelector("[data-quiz-unanswered]");
    var items = this.root.querySelectorAll("[data-nav]");
    if (!counter || !items.length) return;
    var left = 0;
    each(items, function (item) {
      if (!item.classList.contains("is-answered")) left += 1;
    });
    counter.textContent = left ? this.text("Unanswered", { n: left }) : this.text("AllAnswered");
  };

  function readClock() {
    var node = document.getElementById("quiz-clock");
    if (!node) return null;
    try {
      var clock = JSON.parse(node.textContent);
      var deadline = Date.parse(clock.deadline);
      var serverNow = Date.parse(clock.now);
      if (!isFinite(deadline) || !isFinite(serverNow)) return null;
      return { deadline: deadline, serverNow: serverNow };
    } catch (e) {
      return null;
    }
  }

  // The client's time when the server said "now": when the page's response began arriving.
  function clientTimeOfServerNow() {
    try {
      var navigation = performance.getEntriesByType("navigation")[0];
      if (navigation && navigation.responseStart > 0 && performance.timeOrigin) {
        return performance.timeOrigin + navigation.responseStart;
      }
    } catch (e) {
      // old browsers: the script's start is close enough
    }
    return Date.now();
  }

  function Timer(attempt) {
    this.attempt = attempt;
    this.root = attempt.root.querySelector("[data-quiz-timer]");
    this.clock = this.root && this.root.querySelector("[data-quiz-clock]");
    this.announcer = this.root && this.root.querySelector("[data-quiz-announce]");
    this.announced = {};
    this.interval = null;
  }

  Timer.prototype.start = function () {
    var times = readClock();
    if (!this.root || !this.clock || !times) return;
    // Server time = client time + offset, whatever the client's clock says.
    this.offset = times.serverNow - clientTimeOfServerNow();
    this.deadline = times.deadline;
    var left = this.left();
    var self = this;
    ANNOUNCE_AT_MINUTES.forEach(function (minutes) {
      // Only what is crossed while the page is open is announced (not again on each page).
      if (left <= minutes * 60000) self.announced[minutes] = true;
    });
    this.tick();
    this.interval = setInterval(this.tick.bind(this), 1000);
    // Background tabs run timers late: catch up as soon as the page is seen again.
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) self.tick();
    });
  };

  Timer.prototype.left = function () {
    return this.deadline - (Date.now() + this.offset);
  };

  Timer.prototype.tick = function () {
    var left = Math.max(0, this.left());
    var seconds = Math.ceil(left / 1000);
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    this.clock.textContent = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
    this.root.classList.toggle("is-low", left <= 5 * 60000);
    var self = this;
    ANNOUNCE_AT_MINUTES.forEach(function (minutes) {
      if (left <= minutes * 60000 && !self.announced[minutes]) {
        self.announced[minutes] = true;
        self.announce(self.attempt.text("Left", { minutes: minutes }));
      }
    });
    if (left <= 0) this.expire();
  };

  Timer.prototype.announce = function (message) {
    if (this.announcer) this.announcer.textContent = message;
  };

  Timer.prototype.expire = function () {
    clearInterval(this.interval);
    var attempt = this.attempt;
    if (attempt.timeUp) return;
    attempt.timeUp = true;
    attempt.stopped = true;
    this.announce(attempt.text("TimeUp"));
    var button = attempt.form && attempt.form.querySelector("[data-quiz-submit]");
    // Submitting through the "Kumpulkan" button carries the answers shown; the server
    // closes the attempt with what was saved before the deadline.
    if (button) {
      attempt.submitting = false;
      button.click();
    } else {
      window.location.assign(attempt.root.dataset.resultUrl);
    }
  };

  function init() {
    each(document.querySelectorAll("[data-quiz-attempt]"), function (root) {
      new Attempt(root).start();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
