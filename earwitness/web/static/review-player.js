/* Earwitness review page: the player. The waveform with the examination's findings, the marks,
   redactions, annotations and the selected range on it; playback, speed, the keyboard, and the
   #t= link a search hit opens. See review-core.js for how the files fit together. */
(function (ew) {
  "use strict";
  if (!ew) return;
  var st = ew.state, $ = ew.$, el = ew.el, timecode = ew.timecode;
  var audio = ew.audio, canvas = ew.canvas, timeline = ew.timeline, overlays = ew.overlays;
  var rewindOnResume = false;

  // ---- timeline: waveform, marks, playhead --------------------------------------------------
  ew.drawWave = function () {
    var ratio = window.devicePixelRatio || 1;
    var width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    var height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    canvas.width = width;
    canvas.height = height;
    var g = canvas.getContext("2d");
    g.clearRect(0, 0, width, height);
    var peaks = st.peaks, duration = st.duration;
    var values = peaks && peaks.peaks, rate = peaks && peaks.rate;
    if (!values || !values.length || !(rate > 0) || !(duration > 0)) return;
    var pairs = values.length >> 1, mid = height / 2, scale = 0, i;
    if (peaks.scale > 0) scale = peaks.scale;  // whole numbers in −scale…scale
    else for (i = 0; i < values.length; i++) scale = Math.max(scale, Math.abs(values[i]));
    scale = scale > 0 ? scale : 1;
    g.fillStyle = "#3d6a8f";
    var perPixel = (duration * rate) / width;
    for (var x = 0; x < width; x++) {
      var a = Math.floor(x * perPixel), b = Math.max(a + 1, Math.floor((x + 1) * perPixel));
      if (a >= pairs) break;
      var lo = Infinity, hi = -Infinity;
      for (i = a; i < b && i < pairs; i++) {
        lo = Math.min(lo, values[2 * i]);
        hi = Math.max(hi, values[2 * i + 1]);
      }
      var top = mid - (hi / scale) * mid, bottom = mid - (lo / scale) * mid;
      g.fillRect(x, top, 1, Math.max(1, bottom - top));
    }
    canvas.setAttribute("data-drawn", "1");
  };
  function place(node, start, end) {
    var d = st.duration || 1;
    node.style.left = (100 * Math.max(0, start)) / d + "%";
    node.style.width = Math.max(0.15, (100 * Math.max(0, end - start)) / d) + "%";
  }
  function overlay(cls, start, end, title) {
    var node = el("div", "ov " + cls);
    place(node, start, end);
    node.setAttribute("data-start", start);
    if (title) node.setAttribute("title", title);
    overlays.appendChild(node);
    return node;
  }
  // A finding's calibrated evidence as the dossier words it: "log10 LR +1.4 (moderate support
  // for editing here)"; the words come from the server, computed from the number.
  ew.evidenceText = function (f) {
    var value = (f.log10_lr < 0 ? "\u2212" : "+") + Math.abs(f.log10_lr).toFixed(2);
    return "log10 LR " + value + (f.verbal ? " (" + f.verbal + " for editing here)" : "");
  };
  // The dossier's severity class of a finding (from the server): only an edit point raises the
  // alarm; an observation (an encoder tag, a transcoding, a dropout) is drawn in a neutral
  // colour. Anything else the server might send is drawn as an observation.
  var SEVERITIES = { "sev-hi": 1, "sev-mid": 1, "sev-lo": 1, "sev-obs": 1 };
  ew.severityClass = function (f) {
    return SEVERITIES.hasOwnProperty(f.severity) ? f.severity : "sev-obs";
  };
  // The words a finding is shown with, on its band's tooltip and in the findings list.
  ew.findingLabel = function (f) {
    var label = f.title || f.kind || "finding";
    if (f.check) label += " (" + (f.check_title || f.check) + ")";
    label += " at " + timecode(f.start_s);
    if (typeof f.score === "number") label += ", score " + f.score.toFixed(2);
    if (typeof f.log10_lr === "number") label += ", " + ew.evidenceText(f);
    return label;
  };
  ew.renderOverlays = function () {
    var data = st.data;
    overlays.textContent = "";
    (data.findings || []).forEach(function (f, i) {
      if (typeof f.start_s !== "number") return;
      var end = typeof f.end_s === "number" ? f.end_s : f.start_s;
      overlay("finding " + ew.severityClass(f), f.start_s, end, ew.findingLabel(f))
        .setAttribute("data-finding", i);
    });
    (data.redactions || []).forEach(function (r) { overlay("redaction", r[0], r[1], "redacted"); });
    (data.marks || []).forEach(function (m) {
      var start = Array.isArray(m) ? m[0] : m.start, end = Array.isArray(m) ? m[1] : m.end;
      var what = Array.isArray(m) ? m[2] : m.mark;
      overlay("mark", start, end, "[" + what + "]");
    });
    (data.annotations || []).forEach(function (n) { overlay("annotation", n.start, n.end, n.text); });
    if (st.range) overlay("selection", st.range[0], st.range[1], "selected range");
  };

  // ---- playback --------------------------------------------------------------------------------
  function clamp(t) { return Math.min(Math.max(t, 0), ew.finite(audio.duration) || st.duration || 0); }
  function find(items, t, slack) {  // the last item starting at or before t, if t is inside it
    var lo = 0, hi = items.length - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (items[mid].start <= t) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (best < 0) return null;
    return t < Math.max(items[best].end, items[best].start) + slack ? items[best] : null;
  }
  function swap(oldId, newId, cls) {
    if (oldId === newId) return newId;
    var old = oldId && $(oldId), next = newId && $(newId);
    if (old) old.classList.remove(cls);
    if (next) next.classList.add(cls);
    return newId;
  }
  ew.update = function () {
    var t = audio.currentTime || 0, duration = st.duration;
    ew.playhead.style.left = (duration > 0 ? Math.min(100, (100 * t) / duration) : 0) + "%";
    ew.clock.textContent = timecode(t);
    var word = find(st.words, t, 0.05);
    st.activeWord = swap(st.activeWord, word ? word.id : null, "active");
    var seg = find(st.segments, t, 0.3);
    var before = st.activeSegment;
    var now = seg ? seg.id : null;
    swap(before === null ? null : "seg-" + before, now === null ? null : "seg-" + now, "current");
    st.activeSegment = now;
    if (seg && now !== before && ew.follow.checked && !audio.paused && !st.editing) {
      var row = ew.rowOf(seg);
      if (row && !inView(row)) row.scrollIntoView({ block: "center" });
    }
  };
  function inView(node) {
    var box = node.getBoundingClientRect();
    return box.top >= $("player").getBoundingClientRect().bottom && box.bottom <= window.innerHeight;
  }
  var frame = null;
  function loop() { ew.update(); frame = audio.paused ? null : window.requestAnimationFrame(loop); }
  function showState() {
    var playing = !audio.paused, play = $("btn-play");
    play.querySelector(".icon").className = "icon " + (playing ? "pause" : "play");
    play.querySelector(".label").textContent = playing ? "Pause" : "Play";
    play.setAttribute("aria-label", (playing ? "Pause" : "Play") + " (Space)");
    if (playing && frame === null) frame = window.requestAnimationFrame(loop);
  }
  function toggle() {
    if (!audio.paused) { audio.pause(); return; }
    if (rewindOnResume) {  // typing stopped it: start a little before, to hear the context again
      rewindOnResume = false;
      audio.currentTime = clamp((audio.currentTime || 0) - ew.REWIND_S);
    }
    var started = audio.play();
    if (started && started.catch) started.catch(function () { /* no source or blocked */ });
  }
  ew.seek = function (t) {
    rewindOnResume = false;  // a chosen moment is played from exactly there
    audio.currentTime = clamp(t);
    ew.update();
  };
  function speed(step) {
    var RATES = ew.RATES, i = RATES.indexOf(audio.playbackRate);
    if (i < 0) i = RATES.indexOf(1);
    setRate(RATES[Math.min(Math.max(i + step, 0), RATES.length - 1)]);
  }
  function setRate(rate) { audio.playbackRate = rate; ew.speedSelect.value = String(rate); }
  // Transcribers' habit: typing stops the audio, and playing again starts a little before.
  ew.typingPauses = function () {
    if (!audio.paused) { audio.pause(); rewindOnResume = true; }
  };

  // ---- keyboard -----------------------------------------------------------------------------
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey && (event.key === " " || event.code === "Space")) {  // play even while typing
      event.preventDefault();
      toggle();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case " ": case "Spacebar": toggle(); break;
      case "ArrowLeft": ew.seek((audio.currentTime || 0) - ew.SKIP_S); break;
      case "ArrowRight": ew.seek((audio.currentTime || 0) + ew.SKIP_S); break;
      case "[": case "-": speed(-1); break;
      case "]": case "=": case "+": speed(1); break;
      case "Home": ew.seek(0); break;
      case "Enter": {
        var row = event.target.closest && event.target.closest(".seg");
        if (row && ew.canEdit && event.target === row) ew.beginEdit(+row.getAttribute("data-id"));
        else handled = false;
        break;
      }
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  // ---- pointer on the timeline: click seeks (a finding's band: to its start), drag selects ----
  var drag = null;
  function timeAt(event) {
    var box = timeline.getBoundingClientRect();
    return box.width > 0 ? Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)) * st.duration : 0;
  }
  timeline.addEventListener("mousedown", function (event) {
    if (event.button !== 0) return;
    var band = event.target.closest && event.target.closest(".ov.finding[data-start]");
    drag = { x: event.clientX, t: timeAt(event), band: band ? parseFloat(band.getAttribute("data-start")) : NaN };
    event.preventDefault();
  });
  window.addEventListener("mousemove", function (event) {
    if (drag && Math.abs(event.clientX - drag.x) > 3) {
      var t = timeAt(event);
      ew.setRange(Math.min(drag.t, t), Math.max(drag.t, t));
    }
  });
  window.addEventListener("mouseup", function (event) {
    if (!drag) return;
    if (Math.abs(event.clientX - drag.x) <= 3) ew.seek(isFinite(drag.band) ? drag.band : drag.t);
    drag = null;
  });

  // ---- buttons and the audio element --------------------------------------------------------
  var buttons = {
    "btn-play": toggle,
    "btn-back": function () { ew.seek((audio.currentTime || 0) - ew.SKIP_S); },
    "btn-fwd": function () { ew.seek((audio.currentTime || 0) + ew.SKIP_S); },
    "btn-diff": function () { ew.showDiff(); },
  };
  Object.keys(buttons).forEach(function (id) { $(id).addEventListener("click", buttons[id]); });
  ew.speedSelect.addEventListener("change", function () { setRate(parseFloat(ew.speedSelect.value) || 1); });
  ["play", "pause", "ended"].forEach(function (name) { audio.addEventListener(name, showState); });
  ["timeupdate", "seeked"].forEach(function (name) { audio.addEventListener(name, ew.update); });
  audio.addEventListener("loadedmetadata", function () {
    if (st.data && ew.finite(audio.duration) > st.duration) {
      st.duration = ew.finite(audio.duration);
      $("total").textContent = timecode(st.duration);
      ew.renderOverlays();
      ew.drawWave();
    }
    ew.update();
  });
  window.addEventListener("resize", function () { if (st.data) ew.drawWave(); });

  // A search hit links to /exhibits/SHA#t=SECONDS: open the recording at that moment.
  ew.applyHash = function () {
    var match = /(?:^#|&)t=(\d+(?:\.\d+)?)/.exec(location.hash);
    if (!match || !st.data) return;
    var t = parseFloat(match[1]), segments = st.segments;
    ew.seek(t);
    var seg = find(segments, t, 0.5) || segments.filter(function (s) { return s.start >= t; })[0] ||
      segments[segments.length - 1];
    var row = ew.rowOf(seg);
    if (row) {
      row.classList.add("flash");
      row.scrollIntoView({ block: "center" });
    }
  };
  window.addEventListener("hashchange", ew.applyHash);
})(window.earwitnessReview);
