/* Video upload in the Wagtail admin: resumable, chunked, with a progress bar.
 *
 * Local storage: the file goes in chunks (PUT with Content-Range) to /video/unggah/<id>/;
 * the server says how much it holds, so after a dropped link or a page reload the upload
 * resumes from there. The upload id is kept in localStorage under the file's name, size and
 * modification time: choosing the same file again continues it.
 * S3: parts go straight to the bucket through presigned URLs the server hands out a few at
 * a time; the server completes the multipart upload.
 * No inline script (the CSP allows only 'self'); texts come translated from the page.
 */
(function () {
  "use strict";

  var form = document.querySelector("[data-video-upload]");
  if (!form) return;

  var text = JSON.parse(document.getElementById("video-upload-text").textContent);
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var startUrl = form.dataset.startUrl;
  var maxBytes = Number(form.dataset.maxBytes);
  var fileInput = form.querySelector("input[type=file]");
  var titleInput = form.querySelector("input[name=title]");
  var submitButton = form.querySelector("[data-submit]");
  var cancelButton = form.querySelector("[data-cancel]");
  var progressArea = form.querySelector("[data-progress-area]");
  var progress = form.querySelector("[data-progress]");
  var percentOut = form.querySelector("[data-percent]");
  var bytesOut = form.querySelector("[data-bytes]");
  var speedOut = form.querySelector("[data-speed]");
  var statusOut = form.querySelector("[data-status]");
  var errorOut = form.querySelector("[data-error]");
  var doneArea = form.querySelector("[data-done]");
  var editLink = form.querySelector("[data-edit-link]");
  var againButton = form.querySelector("[data-again]");

  var MIB = 1024 * 1024;
  var MIN_CHUNK = 256 * 1024;
  var TARGET_SECONDS = 15; // a local chunk should take about this long on the current link
  var MAX_FAILURES = 8;
  var PART_BATCH = 3;

  var current = null; // the running upload: {file, key, state, xhr, cancelled, samples}

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) {
      return values && name in values ? values[name] : "";
    });
  }

  var number = new Intl.NumberFormat(document.documentElement.lang || "id", {
    maximumFractionDigits: 1,
  });

  function size(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i += 1;
    }
    return number.format(bytes) + " " + units[i];
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var pad = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  /* Sleeps, but wakes at once when the upload is cancelled. */
  function wait(run, ms) {
    var until = Date.now() + ms;
    return new Promise(function (resolve) {
      (function tick() {
        if (stopped(run) || Date.now() >= until) resolve();
        else setTimeout(tick, 200);
      })();
    });
  }

  function online() {
    if (navigator.onLine !== false) return Promise.resolve();
    status(text.offline);
    return new Promise(function (resolve) {
      window.addEventListener("online", resolve, { once: true });
    });
  }

  function status(message) {
    statusOut.textContent = message;
  }

  function showError(message) {
    errorOut.textContent = message;
    errorOut.hidden = !message;
  }

  function storageKey(file) {
    return "sinau-video-upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  }

  function remember(key, state) {
    try {
      localStorage.setItem(key, JSON.stringify({ id: state.id, chunk_url: state.chunk_url }));
    } catch (e) {
      /* private mode: resuming after a reload is lost, uploading still works */
    }
  }

  function recalled(key) {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch (e) {
      return null;
    }
  }

  function forget(key) {
    try {
      localStorage.removeItem(key);
    } catch (e) {
      /* nothing kept */
    }
  }

  /* One request to our own server; resolves {status, data} (status 0: no answer). */
  function api(method, url, body) {
    var headers = { "X-CSRFToken": csrf, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(
      function (response) {
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            return { status: response.status, data: data };
          });
      },
      function () {
        return { status: 0, data: {} };
      }
    );
  }

  /* A PUT with upload progress (fetch has none). Resolves {status, data}; 0 on a network error. */
  function put(run, url, blob, headers, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      run.xhr = xhr;
      xhr.open("PUT", url);
      Object.keys(headers).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      xhr.upload.onprogress = function (event) {
        onProgress(event.loaded);
      };
      xhr.onload = function () {
        var data = {};
        try {
          data = JSON.parse(xhr.responseText || "{}");
        } catch (e) {
          /* S3 answers XML or nothing */
        }
        resolve({ status: xhr.status, data: data });
      };
      xhr.onerror = xhr.onabort = xhr.ontimeout = function () {
        resolve({ status: 0, data: {} });
      };
      xhr.send(blob);
    });
  }

  function showProgress(run, sent, total) {
    var percent = total ? Math.floor((sent / total) * 100) : 0;
    progress.value = percent;
    percentOut.textContent = percent + "%";
    bytesOut.textContent = say(text.of, { sent: size(sent), total: size(total) });
    var now = performance.now();
    var samples = run.samples;
    samples.push([now, sent]);
    while (samples.length > 2 && now - samples[0][0] > 8000) samples.shift();
    var first = samples[0];
    var seconds = (now - first[0]) / 1000;
    if (seconds > 0.5 && sent > first[1]) {
      var rate = (sent - first[1]) / seconds;
      speedOut.textContent = say(text.speed, {
        speed: size(rate),
        time: duration((total - sent) / rate),
      });
    }
  }

  function stopped(run) {
    return run.cancelled || current !== run;
  }

  async function backoff(run, failures) {
    var seconds = Math.min(30, Math.pow(2, failures));
    status(say(text.retrying, { seconds: seconds }));
    await wait(run, seconds * 1000);
    await online();
    status(text.uploading);
  }

  function refusal(response) {
    return new Error(response.data.error || text.network);
  }

  async function sendLocal(run, file, state) {
    var offset = state.received;
    var chunk = Math.min(state.chunk_size, 2 * MIB);
    var failures = 0;
    while (offset < file.size) {
      if (stopped(run)) return false;
      var end = Math.min(offset + chunk, file.size);
      var started = performance.now();
      var base = offset;
      var response = await put(
        run,
        state.chunk_url,
        file.slice(offset, end),
        {
          "Content-Type": "application/octet-stream",
          "Content-Range": "bytes " + offset + "-" + (end - 1) + "/" + file.size,
          "X-CSRFToken": csrf,
        },
        function (loaded) {
          showProgress(run, base + loaded, file.size);
        }
      );
      if (stopped(run)) return false;
      if (response.status === 200) {
        offset = response.data.received;
        failures = 0;
        // Size the next chunk to the link: small on a slow rural line, up to the server's cap.
        var seconds = Math.max(0.05, (performance.now() - started) / 1000);
        var fitted = Math.round(((end - base) / seconds) * TARGET_SECONDS);
        chunk = Math.min(state.chunk_size, Math.max(MIN_CHUNK, fitted));
      } else if (response.status === 409 && typeof response.data.received === "number") {
        // The server holds a different amount (a chunk landed whose answer was lost, or
        // another tab writes): carry on from what it holds.
        if (response.data.received === offset) {
          failures += 1;
          if (failures > MAX_FAILURES) throw refusal(response);
          await wait(run, 1000);
        }
        offset = response.data.received;
      } else if (response.status === 0 || response.status >= 500 || response.status === 429) {
        failures += 1;
        if (failures > MAX_FAILURES) throw refusal(response);
        await backoff(run, failures);
        var again = await api("GET", state.chunk_url);
        if (again.status === 200) offset = again.data.received;
        else if (again.status !== 0 && again.status < 500) throw refusal(again);
      } else {
        throw refusal(response);
      }
      showProgress(run, offset, file.size);
    }
    return true;
  }

  async function sendS3(run, file, state) {
    var done = {};
    state.parts_done.forEach(function (n) {
      done[n] = true;
    });
    var sent = state.received;
    var failures = 0;
    var part = 1;
    while (part <= state.parts_total) {
      if (stopped(run)) return false;
      if (done[part]) {
        part += 1;
        continue;
      }
      var last = Math.min(state.parts_total, part + PART_BATCH - 1);
      var batch = await api("GET", state.chunk_url + "?parts=" + part + "-" + last);
      if (batch.status !== 200) {
        if (batch.status !== 0 && batch.status < 500) throw refusal(batch);
        failures += 1;
        if (failures > MAX_FAILURES) throw refusal(batch);
        await backoff(run, failures);
        continue;
      }
      for (var n = part; n <= last; n += 1) {
        if (done[n]) continue;
        if (stopped(run)) return false;
        var start = (n - 1) * state.chunk_size;
        var end = Math.min(start + state.chunk_size, file.size);
        var base = sent;
        var response = await put(
        run,
          batch.data.part_urls[String(n)],
          file.slice(start, end),
          // A presigned part needs a real content type (moto stores nothing without one).
          { "Content-Type": "application/octet-stream" },
          function (loaded) {
            showProgress(run, base + loaded, file.size);
          }
        );
        if (stopped(run)) return false;
        if (response.status >= 200 && response.status < 300) {
          done[n] = true;
          sent += end - start;
          failures = 0;
          showProgress(run, sent, file.size);
        } else {
          // An expired URL (403), a dropped link: fresh URLs for this part and retry.
          failures += 1;
          if (failures > MAX_FAILURES) throw new Error(text.network);
          await backoff(run, failures);
          break;
        }
      }
      while (done[part]) part += 1;
    }
    return true;
  }

  async function open(file, title) {
    var key = storageKey(file);
    var saved = recalled(key);
    if (saved && saved.chunk_url) {
      var resumed = await api("GET", saved.chunk_url);
      if (resumed.status === 200 && resumed.data.status !== "abandoned") {
        return { key: key, state: resumed.data };
      }
      if (resumed.status === 0 || resumed.status >= 500) throw refusal(resumed);
      forget(key); // cleaned up, cancelled or someone else's: start afresh
    }
    var started = await api("POST", startUrl, {
      title: title,
      filename: file.name,
      size: file.size,
      content_type: file.type || "",
    });
    if (started.status !== 201) throw refusal(started);
    remember(key, started.data);
    return { key: key, state: started.data };
  }

  async function finish(run, state) {
    status(text.finishing);
    for (var failures = 0; ; failures += 1) {
      var response = await api("POST", state.complete_url);
      if (response.status === 200) return response.data;
      if ((response.status !== 0 && response.status < 500) || failures >= MAX_FAILURES) {
        throw refusal(response);
      }
      await backoff(run, failures + 1);
    }
  }

  function busy(on) {
    submitButton.disabled = on;
    fileInput.disabled = on;
    titleInput.disabled = on;
    cancelButton.hidden = !on;
  }

  async function upload(file, title) {
    var run = { file: file, key: null, state: null, xhr: null, cancelled: false, samples: [] };
    current = run;
    busy(true);
    showError("");
    doneArea.hidden = true;
    progressArea.hidden = false;
    speedOut.textContent = "";
    status(text.starting);
    try {
      var opened = await open(file, title);
      if (stopped(run)) {
        // Cancelled while the server was opening it.
        forget(opened.key);
        if (opened.state.status === "open") api("DELETE", opened.state.chunk_url);
        return;
      }
      run.key = opened.key;
      run.state = opened.state;
      var state = opened.state;
      if (state.status !== "complete") {
        if (state.received > 0) {
          status(
            say(text.resuming, { percent: Math.floor((state.received / file.size) * 100) + "%" })
          );
        } else {
          status(text.uploading);
        }
        showProgress(run, state.received, file.size);
        var sent = state.mode === "s3" ? await sendS3(run, file, state) : await sendLocal(run, file, state);
        if (!sent) return;
      }
      var video = await finish(run, state);
      forget(opened.key);
      showProgress(run, file.size, file.size);
      speedOut.textContent = "";
      status(say(text.done, { title: video.title }));
      editLink.href = video.admin_url;
      doneArea.hidden = false;
      form.dataset.videoId = String(video.video_id);
    } catch (error) {
      if (!stopped(run)) {
        status("");
        showError(say(text.stopped, { error: error.message }) + " " + text.resume_hint);
      }
    } finally {
      if (current === run) {
        busy(false);
        current = null;
      }
    }
  }

  fileInput.addEventListener("change", function () {
    var file = fileInput.files[0];
    showError("");
    if (file && !titleInput.value.trim()) {
      titleInput.value = file.name
        .replace(/\.[^.]+$/, "")
        .replace(/[_-]+/g, " ")
        .trim();
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (current) return;
    var file = fileInput.files[0];
    var title = titleInput.value.trim();
    if (!file) {
      showError(text.choose_file);
      return;
    }
    if (!title) {
      showError(text.title_required);
      titleInput.focus();
      return;
    }
    if (maxBytes && file.size > maxBytes) {
      showError(say(text.too_big, { max: size(maxBytes) }));
      return;
    }
    upload(file, title);
  });

  cancelButton.addEventListener("click", function () {
    if (!current || !window.confirm(text.cancel_confirm)) return;
    var running = current;
    running.cancelled = true;
    if (running.xhr) running.xhr.abort();
    if (running.key) forget(running.key);
    if (running.state) api("DELETE", running.state.chunk_url);
    current = null;
    busy(false);
    progressArea.hidden = true;
    status(text.cancelled);
  });

  againButton.addEventListener("click", function () {
    form.reset();
    doneArea.hidden = true;
    progressArea.hidden = true;
    status("");
    fileInput.focus();
  });

  window.addEventListener("beforeunload", function (event) {
    if (current && !current.cancelled) {
      event.preventDefault();
      event.returnValue = text.leave;
    }
  });
})();
