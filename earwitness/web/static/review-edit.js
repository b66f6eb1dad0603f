/* Earwitness review page: editing. A correction typed in the row, the turn tools (split, move
   words to a neighbour, merge, set speaker), the conflict box when someone else changed the
   segment meanwhile, and the range tools (marks, redaction, annotations, quotes, merging
   speakers). Every edit goes through submit(). See review-core.js for how the files fit. */
(function (ew) {
  "use strict";
  if (!ew) return;
  var st = ew.state, $ = ew.$, norm = ew.norm, say = ew.say;

  function submit(edit, ids, bases) {
    var base = {};
    ids.forEach(function (id) {
      base[id] = bases && bases[id] !== undefined ? bases[id] : (st.byId[id] ? st.byId[id].version || 0 : 0);
    });
    say("Saving…");
    return ew.call("POST", ew.api + "/edits", { edit: edit, base_versions: base }).then(function (r) {
      if (r.ok) {
        hideConflict();
        return applied(edit, r.json).then(function () { say("Saved."); return true; });
      }
      if (r.status === 409 && r.json.current) { showConflict(edit, ids, r.json); return false; }
      say(r.json.error || "refused (" + r.status + ")", true);
      return false;
    });
  }
  ew.submit = submit;
  // The answer to a saved edit carries the segments it changed or made, the ids it removed
  // and the case-wide lists: merge them, and redraw all only when the structure or the names
  // shown in every row changed.
  var WIDE = { rename_speaker: 1, merge_speakers: 1, redact: 1 };
  function applied(edit, result) {
    if (result.provenance) $("rv-provenance").textContent = result.provenance;
    if (!result.segments) return reload();
    ["speakers", "redactions", "marks", "annotations", "quotes"].forEach(function (key) {
      if (result[key] !== undefined) st.data[key] = result[key];
    });
    var removed = {}, changed = {}, grown = false;
    (result.removed || []).forEach(function (id) { removed[id] = true; });
    result.segments.forEach(function (seg) { changed[seg.id] = seg; if (!st.byId[seg.id]) grown = true; });
    st.segments = st.segments.filter(function (seg) { return !removed[seg.id]; })
      .map(function (seg) { return changed[seg.id] || seg; });
    result.segments.forEach(function (seg) { if (!st.byId[seg.id]) st.segments.push(seg); });
    st.segments.sort(function (a, b) { return a.start - b.start; });
    ew.index();
    ew.renderSpeakers();
    ew.renderNotes();
    ew.renderOverlays();
    if (grown || (result.removed || []).length || WIDE[edit.kind]) ew.redraw();
    else result.segments.forEach(function (seg) { ew.rerender(seg); });
    return Promise.resolve();
  }
  function adopt(changed) {  // replace segments in place with the server's versions
    changed.forEach(function (seg) {
      var old = st.byId[seg.id];
      if (old) st.segments[old.index] = seg;
    });
    ew.index();
    changed.forEach(function (seg) { if (st.byId[seg.id]) ew.rerender(seg); });
  }
  function reload() {
    return ew.call("GET", ew.api + "/review").then(function (r) {
      if (!r.ok) { say(r.json.error || "could not reload", true); return; }
      ew.load(r.json);
      ew.redraw();
    });
  }

  // ---- carrying an earlier transcript's review ----------------------------------------------
  // First a dry run, so the editor sees what would go and what would not before anything is
  // recorded; then the carry, and the review as it now is.
  function leftLines(left) {
    return left.map(function (item) {
      var shown = window.earwitness.shown;  // a reviewer's speaker label may reverse a line
      return ew.timecode(item.start) + "–" + ew.timecode(item.end) + "  " + shown(item.what) + ": " +
        shown(item.why);
    });
  }
  ew.carryEarlier = function (button) {
    button.disabled = true;
    ew.call("POST", ew.api + "/carry", { dry_run: true }).then(function (plan) {
      if (!plan.ok) { say(plan.json.error || "could not plan the carry", true); button.disabled = false; return; }
      var left = plan.json.left || [];
      var question = "Carry " + plan.json.edits + (plan.json.edits === 1 ? " edit" : " edits") +
        " of the earlier transcript's review to this one?" +
        (left.length ? "\n\nThese cannot be carried and are to be redone:\n" + leftLines(left).join("\n") : "");
      if (!window.confirm(question)) { button.disabled = false; return; }
      return ew.call("POST", ew.api + "/carry", { dry_run: false }).then(function (done) {
        if (!done.ok) { say(done.json.error || "could not carry the review", true); button.disabled = false; return; }
        var gone = done.json.left || [];
        return reload().then(function () {
          say("Carried " + done.json.edits + (done.json.edits === 1 ? " edit" : " edits") +
            (gone.length ? "; to redo: " + leftLines(gone).join("; ") : ""));
        });
      });
    });
  };

  // ---- the segment editor -------------------------------------------------------------------
  function caretWord() {  // words wholly before the caret in the editor
    var area = st.editing.area, before = area.value.slice(0, area.selectionStart);
    var count = norm(before).split(" ").filter(Boolean).length;
    return /\S$/.test(before) && area.value.charAt(before.length).trim() ? count - 1 : count;
  }
  ew.beginEdit = function (id) {
    var seg = st.byId[id];
    if (!ew.canEdit || !seg) return;
    if (st.editing) { if (st.editing.id === id) return; endEdit(); }
    var row = ew.rowOf(seg);
    if (!row) return;
    var text = row.querySelector(".seg-text");
    var area = ew.el("textarea", "seg-editor");
    area.value = norm(seg.text);
    area.rows = Math.max(2, Math.ceil(area.value.length / 90));
    area.setAttribute("aria-label", "Text of the segment at " + ew.timecode(seg.start));
    text.hidden = true;
    row.insertBefore(area, text.nextSibling);
    row.classList.add("editing");
    var tools = $("edit-tools");
    row.appendChild(tools);
    tools.hidden = false;
    $("edit-asr").textContent = seg.asr_text !== undefined && seg.asr_text !== null ? seg.asr_text : seg.text;
    $("seg-speaker").value = seg.speaker || "";
    st.editing = { id: id, row: row, area: area, base: seg.version || 0 };
    area.addEventListener("input", ew.typingPauses);
    area.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.ctrlKey && !event.isComposing) {
        event.preventDefault();
        save();
      } else if (event.key === "Escape") {
        event.preventDefault();
        endEdit();
      }
    });
    area.focus();
  };
  function endEdit() {
    if (!st.editing) return;
    var row = st.editing.row, tools = $("edit-tools");
    tools.hidden = true;
    ew.root.appendChild(tools);
    st.editing.area.remove();
    var text = row.querySelector(".seg-text");
    if (text) text.hidden = false;
    row.classList.remove("editing");
    var id = st.editing.id;
    st.editing = null;
    var again = $("seg-" + id);
    if (again) again.focus({ preventScroll: true });
  }
  ew.endEdit = endEdit;
  function save() {
    if (!st.editing) return;
    var id = st.editing.id, text = norm(st.editing.area.value);
    if (!text) { say("A segment needs text; merge it with its neighbour instead.", true); return; }
    if (text === norm(st.byId[id].text)) { endEdit(); return; }
    submit({ kind: "correct_text", segment_id: id, text: text, track: "original" }, [id])
      .then(function (ok) { if (ok && st.editing && st.editing.id === id) endEdit(); });
  }
  function neighbour(id, step) { var seg = st.byId[id]; return seg ? st.segments[seg.index + step] : null; }
  function structural(edit, ids) { submit(edit, ids); }
  var editActions = {
    "btn-save": save,
    "btn-cancel": endEdit,
    "btn-split": function () {
      var at = caretWord(), seg = st.byId[st.editing.id];
      if (at < 1 || at >= ew.wordCount(seg)) { say("Put the caret between two words to split.", true); return; }
      structural({ kind: "split_segment", segment_id: seg.id, at_word: at }, [seg.id]);
    },
    "btn-to-prev": function () {
      var seg = st.byId[st.editing.id], prev = neighbour(seg.id, -1), at = caretWord();
      if (!prev || at < 1) { say("No words before the caret, or no previous segment.", true); return; }
      structural({ kind: "move_boundary", first_id: prev.id, second_id: seg.id,
        words_in_first: ew.wordCount(prev) + at }, [prev.id, seg.id]);
    },
    "btn-to-next": function () {
      var seg = st.byId[st.editing.id], next = neighbour(seg.id, 1), at = caretWord();
      if (!next || at >= ew.wordCount(seg)) { say("No words after the caret, or no next segment.", true); return; }
      structural({ kind: "move_boundary", first_id: seg.id, second_id: next.id, words_in_first: at },
        [seg.id, next.id]);
    },
    "btn-merge-next": function () {
      var seg = st.byId[st.editing.id], next = neighbour(seg.id, 1);
      if (!next) { say("This is the last segment.", true); return; }
      structural({ kind: "merge_segments", first_id: seg.id, second_id: next.id }, [seg.id, next.id]);
    },
    "btn-set-speaker": function () {
      var label = norm($("seg-speaker").value);
      if (!label) { say("Name the speaker label first.", true); return; }
      structural({ kind: "set_speaker", segment_id: st.editing.id, speaker: label }, [st.editing.id]);
    },
  };
  Object.keys(editActions).forEach(function (id) {
    var node = $(id);
    // Keep the caret in the editor: the buttons act on where it is.
    node.addEventListener("mousedown", function (event) { if (id !== "btn-set-speaker") event.preventDefault(); });
    node.addEventListener("click", function () { if (st.editing) editActions[id](); });
  });

  // ---- conflicts ----------------------------------------------------------------------------
  var pending = null;
  function showConflict(edit, ids, body) {
    var theirs = body.current || [];
    pending = { edit: edit, ids: ids, current: theirs };
    $("conflict-theirs").textContent = theirs.map(function (s) { return s.text; }).join(" / ");
    $("conflict-mine").textContent = edit.text !== undefined ? edit.text : edit.kind;
    $("conflict").hidden = false;
    say(body.error || "conflict", true);
    $("conflict").scrollIntoView({ block: "nearest" });
  }
  function hideConflict() { $("conflict").hidden = true; pending = null; }
  $("btn-keep-mine").addEventListener("click", function () {
    if (!pending) return;
    var bases = {};
    pending.current.forEach(function (s) { bases[s.id] = s.version || 0; });
    var edit = pending.edit, ids = pending.ids;
    submit(edit, ids, bases).then(function (ok) {
      if (ok && st.editing && edit.segment_id === st.editing.id) endEdit();
    });
  });
  $("btn-take-theirs").addEventListener("click", function () {
    if (!pending) return;
    var theirs = pending.current;
    hideConflict();
    if (st.editing) endEdit();
    adopt(theirs);
    say("Their version kept.");
  });

  // ---- ranges, marks, redaction, annotations, quotes, speakers ------------------------------
  ew.setRange = function (start, end) {
    if (!(end > start)) return;
    st.range = [start, end];
    $("range-start").value = start.toFixed(2);
    $("range-end").value = end.toFixed(2);
    ew.renderOverlays();
  };
  function currentRange() {
    var start = ew.parseTime($("range-start").value), end = ew.parseTime($("range-end").value);
    if (!(isFinite(start) && isFinite(end) && end > start)) {
      say("Select a range first (From before To).", true);
      return null;
    }
    return [start, end];
  }
  function onRange(action) {
    return function () { var r = currentRange(); if (r) action(r[0], r[1]); };
  }
  var rangeActions = {
    "btn-inaudible": onRange(function (s, e) { submit({ kind: "mark_range", start: s, end: e, mark: "inaudible" }, []); }),
    "btn-crosstalk": onRange(function (s, e) { submit({ kind: "mark_range", start: s, end: e, mark: "crosstalk" }, []); }),
    "btn-redact": onRange(function (s, e) {
      var question = "Redact " + ew.timecode(s) + " – " + ew.timecode(e) + "? Its words are blanked and " +
        "its audio muted in every export made from now on (the original stays in the vault).";
      if (window.confirm(question)) submit({ kind: "redact", start: s, end: e }, []);
    }),
    "btn-annotate": onRange(function (s, e) {
      var text = $("note-text").value.trim();
      if (!text) { say("Write the comment first.", true); return; }
      var tags = $("note-tags").value.split(",").map(norm).filter(Boolean);
      submit({ kind: "add_annotation", start: s, end: e, text: text, tags: tags,
        annotation_kind: $("note-kind").value }, []).then(function (ok) {
        if (ok) { $("note-text").value = ""; $("note-tags").value = ""; }
      });
    }),
    "btn-quote": onRange(function (s, e) {
      var collection = norm($("quote-collection").value);
      if (!collection) { say("Name the quote collection.", true); return; }
      submit({ kind: "add_quote", collection: collection, start: s, end: e, note: $("quote-note").value.trim() }, []);
    }),
    "btn-merge-speakers": function () {
      var source = $("merge-source").value, target = $("merge-target").value;
      if (!source || !target || source === target) { say("Pick two different speakers.", true); return; }
      submit({ kind: "merge_speakers", source: source, target: target }, []);
    },
  };
  Object.keys(rangeActions).forEach(function (id) { $(id).addEventListener("click", rangeActions[id]); });
})(window.earwitnessReview);
