/* Earwitness review page: the transcript, drawn in chunks as it scrolls into view, one row per
   segment (words that follow the audio, the ASR text beside a correction, the translation), and
   the clicks that seek or select in it. See review-core.js for how the files fit together. */
(function (ew) {
  "use strict";
  if (!ew) return;
  var st = ew.state, $ = ew.$, el = ew.el, transcript = ew.transcript;
  var chunks = [], observer = null, rowPx = 64;

  function segmentRow(seg) {
    var row = el("div", "seg");
    row.id = "seg-" + seg.id;
    row.setAttribute("data-id", seg.id);
    row.tabIndex = 0;
    var head = el("div", "seg-head");
    var time = ew.button(ew.timecode(seg.start), "seek");
    time.setAttribute("data-start", seg.start);
    time.setAttribute("aria-label", "Play from " + ew.timecode(seg.start));
    head.appendChild(time);
    if (seg.speaker) {
      var who = el("span", "speaker", ew.speakerName(seg.speaker));
      who.setAttribute("data-label", seg.speaker);
      head.appendChild(who);
    }
    row.appendChild(head);
    var text = el("div", "seg-text");
    if (st.data.language) text.lang = st.data.language;
    if (ew.wordsMatch(seg)) {
      seg.words.forEach(function (w, j) {
        var span = el("span", "w", w.word);
        span.id = "w-" + seg.id + "-" + j;
        span.setAttribute("data-start", w.start);
        span.setAttribute("data-end", w.end);
        if (typeof w.probability === "number" && w.probability < 0.5) span.classList.add("unsure");
        if (ew.redacted(w.start, w.end)) span.classList.add("redacted");
        if (span.id === st.activeWord) span.classList.add("active");
        text.appendChild(span);
      });
    } else {
      text.textContent = seg.text;
      if (ew.redacted(seg.start, seg.end)) text.classList.add("redacted");
    }
    row.appendChild(text);
    if (seg.asr_text !== undefined && seg.asr_text !== null && ew.norm(seg.asr_text) !== ew.norm(seg.text)) {
      row.classList.add("corrected");
      var asr = el("div", "seg-asr");
      asr.appendChild(el("span", "k", "ASR"));
      asr.appendChild(el("span", "asr-text", seg.asr_text));
      row.appendChild(asr);
    }
    var translated = ew.translationText(seg);
    if (translated) {
      var line = el("div", "seg-translation", translated);
      if (st.data.translation_language) line.lang = st.data.translation_language;
      row.appendChild(line);
    }
    if (st.activeSegment === seg.id) row.classList.add("current");
    return row;
  }

  function buildChunks() {
    if (observer) observer.disconnect();
    transcript.textContent = "";
    chunks = [];
    observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) renderChunk(chunks[+entry.target.getAttribute("data-chunk")]);
      });
    }, { rootMargin: "800px 0px" }) : null;
    var segments = st.segments, CHUNK = ew.CHUNK;
    for (var from = 0; from < segments.length; from += CHUNK) {
      var box = el("div", "chunk");
      var to = Math.min(from + CHUNK, segments.length);
      box.setAttribute("data-chunk", chunks.length);
      box.style.minHeight = (to - from) * rowPx + "px";
      chunks.push({ el: box, from: from, to: to, rendered: false });
      transcript.appendChild(box);
      if (observer) observer.observe(box);
      else renderChunk(chunks[chunks.length - 1]);
    }
    $("rv-loading").hidden = segments.length > 0;
    if (!segments.length) $("rv-loading").textContent = "No transcript yet.";
  }
  function renderChunk(chunk) {
    if (!chunk || chunk.rendered) return;
    chunk.rendered = true;
    var fragment = document.createDocumentFragment();
    for (var i = chunk.from; i < chunk.to; i++) fragment.appendChild(segmentRow(st.segments[i]));
    chunk.el.textContent = "";
    chunk.el.appendChild(fragment);
    chunk.el.style.minHeight = "";
  }
  // The first drawn chunk tells how tall a row really is: the others reserve that much, so
  // the scrollbar is right and a jump lands where it aims.
  function calibrate() {
    var first = chunks[0];
    if (!first || !first.rendered || !first.el.offsetHeight) return;
    rowPx = first.el.offsetHeight / (first.to - first.from);
    chunks.forEach(function (chunk) {
      if (!chunk.rendered) chunk.el.style.minHeight = (chunk.to - chunk.from) * rowPx + "px";
    });
  }
  // The start: every chunk reserved, the first drawn and measured.
  ew.showTranscript = function () {
    buildChunks();
    renderChunk(chunks[0]);
    calibrate();
  };
  ew.rowOf = function (seg) {
    if (!seg) return null;
    renderChunk(chunks[Math.floor(seg.index / ew.CHUNK)]);
    return $("seg-" + seg.id);
  };
  ew.rerender = function (seg) {
    if (st.editing && st.editing.id === seg.id) ew.endEdit();  // its tools live in the row
    var row = $("seg-" + seg.id);
    if (row) row.parentNode.replaceChild(segmentRow(seg), row);
  };
  // After a change of structure (split, merge, speakers, redaction): rebuild and draw again
  // the chunks that were drawn, so the reader stays where they were.
  ew.redraw = function () {
    if (st.editing) ew.endEdit();  // the editor's tools live in a row that is about to go
    var drawn = chunks.map(function (c) { return c.rendered; });
    var y = window.scrollY;
    buildChunks();
    drawn.forEach(function (was, i) { if (was) renderChunk(chunks[i]); });
    window.scrollTo(0, y);
  };

  // ---- pointer ------------------------------------------------------------------------------
  transcript.addEventListener("click", function (event) {
    var jump = event.target.closest(".w[data-start], button.seek[data-start]");
    if (jump) ew.seek(parseFloat(jump.getAttribute("data-start")) || 0);
  });
  transcript.addEventListener("dblclick", function (event) {
    var row = event.target.closest(".seg");
    if (row && ew.canEdit && !event.target.closest("textarea")) ew.beginEdit(+row.getAttribute("data-id"));
  });
  transcript.addEventListener("mouseup", function () {  // selected words → the selected range
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || st.editing) return;
    var ends = [selection.anchorNode, selection.focusNode].map(function (node) {
      var host = node && (node.nodeType === 1 ? node : node.parentNode);
      return host && host.closest ? host.closest(".w[data-start]") : null;
    });
    if (!ends[0] || !ends[1]) return;
    var times = ends.map(function (w) {
      return [parseFloat(w.getAttribute("data-start")), parseFloat(w.getAttribute("data-end"))];
    });
    ew.setRange(Math.min(times[0][0], times[1][0]), Math.max(times[0][1], times[1][1]));
  });
})(window.earwitnessReview);
