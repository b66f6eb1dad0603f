/* Earwitness review page: the dossier's player (words follow the audio, click to seek, keyboard,
   speed, marks and findings on the timeline) over the workbench's JSON API, plus editing. Plain
   JavaScript, no dependencies, nothing from outside the server. Every text from the server goes
   into the page with textContent (or an attribute), never as HTML. The API enforces the roles;
   hiding the controls here only keeps the page honest about what an account can do.

   The page's scripts, loaded in this order by templates/review.html, share one namespace object,
   window.earwitnessReview ("ew"), and its mutable state, ew.state:
     review-core.js        this file: the namespace, small helpers, the API call, the model
     review-transcript.js  the transcript drawn as it scrolls, word sync, click to seek
     review-player.js      audio, waveform, marks and findings on the timeline, keyboard, speed
     review-panels.js      speakers, annotations, quotes, findings list, differences
     review-edit.js        editing: corrections, turns, conflicts, ranges, marks, redaction
     review.js             the start: load the review and the peaks, draw, say ready
   Functions of another file are called through ew at run time (never at load time), so the
   order matters only for this file (first) and review.js (last). */
(function () {
  "use strict";
  var root = document.getElementById("review");
  if (!root) return;
  var RANK = { viewer: 0, reviewer: 1, editor: 2, owner: 3 };
  var rank = RANK[root.getAttribute("data-role")] || 0;
  var sha = root.getAttribute("data-exhibit") || decodeURIComponent(location.pathname.split("/")[2] || "");
  function $(id) { return document.getElementById(id); }

  var ew = window.earwitnessReview = {
    root: root,
    canEdit: rank >= 2,
    canAnnotate: rank >= 1,
    api: "/api/exhibits/" + encodeURIComponent(sha),
    SKIP_S: 5, REWIND_S: 3, CHUNK: 25,
    RATES: [0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5, 2],
    $: $,
    audio: $("audio"), transcript: $("transcript"), canvas: $("wave"), timeline: $("timeline"),
    overlays: $("overlays"), playhead: $("playhead"), clock: $("now"), speedSelect: $("speed"),
    follow: $("follow"), statusLine: $("status"),
    // What every file reads and writes: the review as loaded (data), its segments in time order
    // with an index by id, the timed words, the timeline's length, the waveform's peaks, the
    // highlighted word and segment, the segment being edited and the selected range.
    state: {
      data: null, segments: [], byId: {}, words: [], duration: 0, peaks: null,
      activeWord: null, activeSegment: null, editing: null, range: null,
    },
  };
  var st = ew.state;

  // ---- small helpers ------------------------------------------------------------------------
  ew.el = function (tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  ew.button = function (label, cls) { var b = ew.el("button", cls, label); b.type = "button"; return b; };
  ew.norm = function (text) { return String(text || "").replace(/\s+/g, " ").trim(); };
  ew.timecode = function (t) {
    t = Math.max(0, t || 0);
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(h) + ":" + two(m) + ":" + (s < 9.95 ? "0" : "") + s.toFixed(1);
  };
  ew.parseTime = function (text) {  // "12.5", "1:02.5" or "00:01:02.5" → seconds (NaN if not a time)
    var parts = String(text || "").trim().split(":"), total = 0;
    if (parts.length > 3 || !parts[0]) return NaN;
    for (var i = 0; i < parts.length; i++) {
      if (!/^\d+(\.\d+)?$/.test(parts[i])) return NaN;
      total = total * 60 + parseFloat(parts[i]);
    }
    return total;
  };
  ew.say = function (text, bad) {
    ew.statusLine.textContent = text;
    ew.statusLine.classList.toggle("bad", !!bad);
  };
  ew.finite = function (value) { return isFinite(value) && value > 0 ? value : 0; };
  // window.earwitness.api (static/app.js) sends the session and the CSRF token; a refusal
  // comes back here as {status, json} so a 409's "current" segments can be shown.
  ew.call = function (method, url, body) {
    return window.earwitness.api(method, url, body).then(function (json) {
      return { status: 200, ok: true, json: json === null || json === undefined ? {} : json };
    }, function (error) {
      var json = error && error.body && typeof error.body === "object" ? error.body : {};
      if (!json.error) json.error = (error && error.message) || "the server cannot be reached";
      return { status: (error && error.status) || 0, ok: false, json: json };
    });
  };

  // ---- the model: segments, words, speakers ------------------------------------------------
  ew.load = function (review) {
    st.data = review;
    st.segments = (review.segments || []).slice().sort(function (a, b) { return a.start - b.start; });
    ew.index();
    var ends = st.segments.length ? st.segments[st.segments.length - 1].end : 0;
    if (review.name) $("rv-name").textContent = window.earwitness.shown(review.name);
    st.duration = Math.max(ends, review.duration || 0, ew.peakSeconds(), ew.finite(ew.audio.duration));
    $("total").textContent = ew.timecode(st.duration);
    $("rv-provenance").textContent = review.provenance || "";
    ew.renderEarlier(review.earlier_edits || {});
    ew.renderSpeakers();
    ew.renderNotes();
    ew.renderFindings();
    ew.renderOverlays();
  };
  // Edits made on an older transcript of this recording stay with it until an editor carries
  // them (review-edit.js: ew.carryEarlier): say so, or a reviewer would think the work lost.
  ew.renderEarlier = function (earlier) {
    var note = $("rv-earlier");
    var edits = earlier.edits || 0;
    note.hidden = edits === 0;
    note.textContent = "";
    if (edits === 0) return;
    var transcripts = earlier.transcripts || 1;
    var one = edits === 1;
    var made = (one ? "1 edit was" : edits + " edits were") + " made on " +
      (transcripts === 1 ? "an earlier transcript" : transcripts + " earlier transcripts") +
      " of this recording. ";
    if (earlier.carried_by) {
      var left = earlier.left || 0;
      note.textContent = made + (earlier.carried === 1 ? "1 edit was" : (earlier.carried || 0) +
        " edits were") + " carried to this transcript by " + window.earwitness.shown(earlier.carried_by) +
        (left ? "; " + left + (left === 1 ? " thing" : " things") + " could not be and " +
          (left === 1 ? "is" : "are") + " to be redone:" : ".");
      if (earlier.to_redo && earlier.to_redo.length) {
        var list = ew.el("ul", "rv-redo");
        earlier.to_redo.forEach(function (item) {
          var row = ew.el("li");
          var at = ew.button(ew.timecode(item.start), "rv-seek");
          at.addEventListener("click", function () { ew.seek(item.start); });
          row.appendChild(at);
          row.appendChild(document.createTextNode(" " + window.earwitness.shown(item.what) + ": " +
            window.earwitness.shown(item.why)));
          list.appendChild(row);
        });
        note.appendChild(list);
      }
      return;
    }
    note.textContent = made + (one ? "It stays" : "They stay") + " in the case and its " +
      "custody log, but this transcript does not show " + (one ? "it" : "them") +
      " until " + (one ? "it is" : "they are") + " carried here; only redactions apply to " +
      "every transcript.";
    if (ew.canEdit) {
      var carry = ew.button("Carry " + (one ? "it" : "them") + " here…", "rv-carry");
      carry.addEventListener("click", function () { ew.carryEarlier(carry); });
      note.appendChild(document.createTextNode(" "));
      note.appendChild(carry);
    }
  };
  ew.index = function () {
    st.byId = {};
    st.words = [];
    st.segments.forEach(function (seg, i) {
      st.byId[seg.id] = seg;
      seg.index = i;
      if (!ew.wordsMatch(seg)) return;
      seg.words.forEach(function (w, j) {
        st.words.push({ start: w.start, end: w.end, id: "w-" + seg.id + "-" + j });
      });
    });
    st.words.sort(function (a, b) { return a.start - b.start; });
  };
  // Words are drawn one by one only while they still spell the segment's text; a corrected
  // segment whose words the server did not re-time is drawn as its text.
  ew.wordsMatch = function (seg) {
    var list = seg.words || [];
    return list.length > 0 && ew.norm(list.map(function (w) { return w.word; }).join("")) === ew.norm(seg.text);
  };
  ew.speakerName = function (label) {
    if (!label) return "";
    var names = (st.data && st.data.speakers) || {};
    return names[label] ? names[label] : label;
  };
  ew.redacted = function (start, end) {
    return ((st.data && st.data.redactions) || []).some(function (r) { return start < r[1] && end > r[0]; });
  };
  ew.wordCount = function (seg) {
    return ew.wordsMatch(seg) ? seg.words.length : ew.norm(seg.text).split(" ").filter(Boolean).length;
  };
  ew.translationText = function (seg) {
    var t = seg.translation;
    if (!t) return "";
    return typeof t === "string" ? t : (t.text || "");
  };
  ew.peakSeconds = function () {
    var peaks = st.peaks;
    if (!peaks || !(peaks.rate > 0) || !peaks.peaks) return 0;
    return peaks.duration > 0 ? peaks.duration : peaks.peaks.length / 2 / peaks.rate;
  };
})();
