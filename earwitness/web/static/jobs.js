// The jobs page: live progress over server-sent events (/api/jobs/events), uploads with an
// upload progress bar, ingest from an import folder, and examine/transcribe buttons.
// Every value from the server goes into the page as text (textContent), never as HTML.
(function () {
  "use strict";
  var ew = window.earwitness;
  var table = document.getElementById("ew-jobs");
  if (!table || !ew) { return; }
  var body = table.tBodies[0];
  var live = document.getElementById("ew-jobs-live");
  var mayEdit = table.getAttribute("data-may-edit") === "yes";
  var rows = {};  // job id -> <tr>
  var SHA256 = /^[0-9a-f]{64}$/;
  var names = {};  // exhibit sha256 -> its file name (/api/exhibits), shown in the Exhibit column
  var asked = 0;   // when the names were last asked for (ms)
  var later = null;  // a request put off until 2 s after the last
  var LONGEST_NAME = 40;

  function cell(row, value) {
    var td = document.createElement("td");
    ew.text(td, value);
    row.appendChild(td);
    return td;
  }

  function queue(kind, sha256, extra) {
    var request = { kind: kind, exhibit_sha256: sha256 };
    if (extra) { Object.keys(extra).forEach(function (key) { request[key] = extra[key]; }); }
    return ew.api("POST", "/api/jobs", request).then(function (job) {
      show(job);
      ew.notify("Queued: " + kind + " (job " + job.id + ")", "ok");
    }, function (error) { ew.notify(error.message, "error"); });
  }

  function actionButton(label, handler) {
    var button = document.createElement("button");
    button.type = "button";
    ew.text(button, label);
    button.addEventListener("click", handler);
    return button;
  }

  function actions(td, job) {
    td.replaceChildren();
    var sha = job.exhibit_sha256;
    if (!mayEdit || job.state !== "done" || !sha || !SHA256.test(sha)) { return; }
    td.appendChild(actionButton("Examine", function () { queue("examine", sha); }));
    td.appendChild(actionButton("Transcribe", function () { queue("transcribe", sha); }));
    td.appendChild(actionButton("+ English", function () {
      queue("transcribe", sha, { translate: "en" });
    }));
  }

  // The names of the case's exhibits, asked for again (at most every 2 s) when a job names an
  // exhibit not yet known: an examine or transcribe row then says which recording it was.
  function loadNames() {
    var waited = Date.now() - asked;
    if (waited < 2000) {  // asked a moment ago: once more when the 2 s are over
      if (!later) { later = setTimeout(function () { later = null; loadNames(); }, 2000 - waited); }
      return;
    }
    asked = Date.now();
    ew.api("GET", "/api/exhibits").then(function (exhibits) {
      (exhibits || []).forEach(function (exhibit) {
        if (exhibit && SHA256.test(exhibit.sha256) && typeof exhibit.name === "string") {
          names[exhibit.sha256] = exhibit.name;
        }
      });
      // Drawn again without asking again: an exhibit the list lacks keeps its hash prefix.
      Object.keys(rows).forEach(function (id) {
        exhibitCell(rows[id].cells_.exhibit, rows[id].job_, true);
      });
    }, function () { /* no names: the hash prefix stays */ });
  }

  function shortName(name) {
    var shown = ew.shown(name);
    return shown.length > LONGEST_NAME ? shown.slice(0, LONGEST_NAME - 1) + "…" : shown;
  }

  function exhibitCell(td, job, known) {
    td.replaceChildren();
    var sha = job.exhibit_sha256;
    if (sha && SHA256.test(sha)) {
      if (!known && !(sha in names)) { loadNames(); }
      var link = document.createElement("a");
      link.href = "/exhibits/" + sha;
      ew.text(link, names[sha] ? shortName(names[sha]) : sha.slice(0, 12));
      link.title = sha;
      td.appendChild(link);
    }
  }

  function describe(job) {
    var name = job.params && typeof job.params.name === "string" ? " " + ew.shown(job.params.name) : "";
    var extra = job.params && job.params.translate ? " + " + job.params.translate : "";
    return job.kind + name + extra;
  }

  function show(job) {
    if (!job || typeof job.id !== "number") { return; }
    var row = rows[job.id];
    if (!row) {
      row = document.createElement("tr");
      row.cells_ = {
        id: cell(row, job.id),
        kind: cell(row, ""),
        exhibit: cell(row, ""),
        state: cell(row, ""),
        progress: cell(row, ""),
        message: cell(row, ""),
        by: cell(row, job.created_by),
        queued: cell(row, (job.created_at || "").replace("T", " ").slice(0, 19)),
        actions: cell(row, "")
      };
      row.cells_.id.className = "ew-num";
      row.cells_.state.className = "ew-job-state";
      row.cells_.exhibit.className = "ew-job-exhibit";
      row.cells_.by.className = "ew-job-by";
      row.cells_.queued.className = "ew-job-queued";
      row.cells_.actions.className = "ew-job-actions";
      var bar = document.createElement("progress");
      bar.max = 1;
      row.cells_.progress.appendChild(bar);
      row.bar_ = bar;
      rows[job.id] = row;
      var before = null;  // newest first
      for (var i = 0; i < body.rows.length; i++) {
        if (Number(body.rows[i].getAttribute("data-job")) < job.id) { before = body.rows[i]; break; }
      }
      row.setAttribute("data-job", String(job.id));
      body.insertBefore(row, before);
    }
    row.job_ = job;
    row.className = "ew-job-" + String(job.state).replace(/[^a-z]/g, "");
    ew.text(row.cells_.kind, describe(job));
    exhibitCell(row.cells_.exhibit, job);
    ew.text(row.cells_.state, job.state);
    row.bar_.value = Math.max(0, Math.min(1, Number(job.progress) || 0));
    row.bar_.title = Math.round(row.bar_.value * 100) + " %";
    ew.text(row.cells_.message, job.state === "failed" && job.error ? job.error : job.message);
    actions(row.cells_.actions, job);
  }

  function connect() {
    var source = new EventSource("/api/jobs/events");
    source.addEventListener("job", function (event) {
      try { show(JSON.parse(event.data)); } catch (ignored) { /* a malformed event: skip */ }
    });
    source.addEventListener("open", function () { ew.text(live, "Live: progress updates as jobs run."); });
    source.addEventListener("error", function () {
      // EventSource reconnects by itself, sending the last id it saw.
      ew.text(live, "Connection lost; reconnecting…");
    });
  }

  function uploadOne(file, form, bar) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("file", file, file.name);
      ["source", "note"].forEach(function (name) {
        var value = form.elements[name] ? form.elements[name].value : "";
        if (value) { data.append(name, value); }
      });
      var request = new XMLHttpRequest();  // fetch() reports no upload progress
      request.open("POST", "/api/uploads");
      request.setRequestHeader("X-CSRF-Token", ew.csrfToken());
      request.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) { bar.value = event.loaded / event.total; }
      });
      request.addEventListener("load", function () {
        var answer = null;
        try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = null; }
        if (request.status === 201 && answer) { show(answer); resolve(answer); return; }
        reject(new Error(answer && answer.error ? String(answer.error) : "HTTP " + request.status));
      });
      request.addEventListener("error", function () { reject(new Error("the upload failed")); });
      request.send(data);
    });
  }

  var uploadForm = document.getElementById("ew-upload");
  if (uploadForm) {
    uploadForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var files = Array.prototype.slice.call(uploadForm.elements.file.files || []);
      var bar = document.getElementById("ew-upload-progress");
      var button = uploadForm.querySelector("button[type=submit]");
      bar.classList.remove("ew-hidden");
      button.disabled = true;
      files.reduce(function (previous, file) {
        return previous.then(function () { bar.value = 0; return uploadOne(file, uploadForm, bar); });
      }, Promise.resolve()).then(function () {
        ew.notify(files.length + " file(s) uploaded; their ingest is queued.", "ok");
        uploadForm.reset();
      }, function (error) {
        ew.notify(error.message, "error");
      }).then(function () {
        button.disabled = false;
        bar.classList.add("ew-hidden");
      });
    });
  }

  var importForm = document.getElementById("ew-import");
  if (importForm) {
    importForm.addEventListener("submit", function (event) {
      event.preventDefault();
      ew.api("POST", "/api/jobs", { kind: "ingest", path: importForm.elements.path.value })
        .then(function (job) { show(job); ew.notify("Ingest queued (job " + job.id + ")", "ok"); },
          function (error) { ew.notify(error.message, "error"); });
    });
  }

  connect();
})();
