/* Earwitness review page: the side panels. The examination's findings, the speakers (named by
   an editor), the annotations and quotes, and the differences from the ASR; a time in any of
   them seeks. See review-core.js for how the files fit together. */
(function (ew) {
  "use strict";
  if (!ew) return;
  var st = ew.state, $ = ew.$, el = ew.el, button = ew.button;

  function speakerLabels() {
    var seen = {};
    st.segments.forEach(function (s) { if (s.speaker) seen[s.speaker] = true; });
    Object.keys((st.data && st.data.speakers) || {}).forEach(function (label) { seen[label] = true; });
    return Object.keys(seen).sort();
  }
  ew.renderSpeakers = function () {
    var list = $("speakers"), labels = speakerLabels(), speakerName = ew.speakerName;
    list.textContent = "";
    ["speaker-labels", "merge-source", "merge-target"].forEach(function (id) { $(id).textContent = ""; });
    labels.forEach(function (label) {
      var item = el("li", "speaker-item");
      item.setAttribute("data-label", label);
      item.appendChild(el("code", "label", label));
      if (ew.canEdit) {
        var input = el("input", "speaker-name");
        input.value = speakerName(label) === label ? "" : speakerName(label);
        input.placeholder = "name";
        input.maxLength = 200;
        input.setAttribute("aria-label", "Name of speaker " + label);
        var rename = button("Rename", "speaker-rename");
        rename.addEventListener("click", function () {
          var name = ew.norm(input.value);
          if (!name) { ew.say("Type the speaker's name.", true); return; }
          ew.submit({ kind: "rename_speaker", label: label, name: name }, []);
        });
        input.addEventListener("keydown", function (event) {
          if (event.key === "Enter") { event.preventDefault(); rename.click(); }
        });
        item.appendChild(input);
        item.appendChild(rename);
      } else {
        item.appendChild(el("span", "speaker-name", speakerName(label)));
      }
      list.appendChild(item);
      var option = el("option");
      option.value = label;
      $("speaker-labels").appendChild(option);
      ["merge-source", "merge-target"].forEach(function (id) {
        var choice = el("option", null, label + (speakerName(label) !== label ? " (" + speakerName(label) + ")" : ""));
        choice.value = label;
        $(id).appendChild(choice);
      });
    });
    if (labels.length > 1) $("merge-target").selectedIndex = 1;  // two different ones at first
  };
  function seekButton(t) {
    var b = button(ew.timecode(t), "seek");
    b.setAttribute("data-start", t);
    return b;
  }
  ew.renderNotes = function () {
    var data = st.data, list = $("annotations");
    list.textContent = "";
    (data.annotations || []).forEach(function (n) {
      var item = el("li", "note-item");
      item.setAttribute("data-id", n.id);
      item.appendChild(seekButton(n.start));
      item.appendChild(el("span", "note-kind", n.kind || n.annotation_kind || "comment"));
      (n.tags || []).forEach(function (tag) { item.appendChild(el("span", "tag", tag)); });
      item.appendChild(el("span", "note-text", n.text));
      if (n.account) item.appendChild(el("span", "note-by", "— " + n.account));
      if (ew.canAnnotate) {
        var remove = button("Remove", "note-remove");
        remove.addEventListener("click", function () {
          ew.submit({ kind: "remove_annotation", annotation_id: n.id }, []);
        });
        item.appendChild(remove);
      }
      list.appendChild(item);
    });
    var quotes = $("quotes");
    quotes.textContent = "";
    (data.quotes || []).forEach(function (q) {
      var item = el("li", "quote-item");
      item.appendChild(seekButton(q.start));
      item.appendChild(el("span", "tag", q.collection));
      item.appendChild(el("span", "note-text", quoteText(q)));
      if (q.note) item.appendChild(el("span", "note-by", q.note));
      quotes.appendChild(item);
    });
  };
  function quoteText(q) {
    if (q.text) return q.text;
    return st.segments.filter(function (s) { return s.start < q.end && s.end > q.start; })
      .map(function (s) { return ew.norm(s.text); }).join(" ");
  }
  // The examination's findings, as the dossier lists them: what, which check, when, how strong.
  // They come with the review and never change with an edit: drawn once per load.
  ew.renderFindings = function () {
    var list = $("findings"), found = 0;
    list.textContent = "";
    (st.data.findings || []).forEach(function (f, i) {
      if (typeof f.start_s !== "number") return;
      var item = el("li", "finding-item");
      item.setAttribute("data-finding", i);
      var seek = seekButton(f.start_s);
      seek.setAttribute("aria-label", "Play from " + ew.findingLabel(f));
      item.appendChild(seek);
      item.appendChild(el("span", "finding-title " + ew.severityClass(f), f.title || f.kind || "finding"));
      if (f.check) item.appendChild(el("span", "note-kind", f.check_title || f.check));
      if (typeof f.score === "number") item.appendChild(el("span", "note-by", "score " + f.score.toFixed(2)));
      if (typeof f.log10_lr === "number") item.appendChild(el("span", "note-by", ew.evidenceText(f)));
      list.appendChild(item);
      found += 1;
    });
    // What the examination concluded of the whole file, in the calibrated scale's words; the
    // conclusion's sentence on hover.
    var exam = st.data.examination || {}, evidence = $("exam-evidence");
    evidence.hidden = typeof exam.evidence !== "string";
    evidence.textContent = evidence.hidden ? "" : "Whole file: " + exam.evidence;
    if (typeof exam.conclusion === "string") evidence.setAttribute("title", exam.conclusion);
    $("findings-panel").hidden = found === 0 && evidence.hidden;
  };
  ew.showDiff = function () {
    var panel = $("diff-panel");
    if (!panel.hidden) { panel.hidden = true; return; }
    ew.call("GET", ew.api + "/diff").then(function (r) {
      var list = $("diff");
      list.textContent = "";
      var items = Array.isArray(r.json) ? r.json : [];
      if (!items.length) list.appendChild(el("li", "rv-note", r.ok ? "No corrections yet." : r.json.error));
      items.forEach(function (d) {
        var item = el("li", "diff-item");
        item.appendChild(el("del", null, d.asr));
        item.appendChild(el("ins", null, d.reviewed));
        list.appendChild(item);
      });
      panel.hidden = false;
    });
  };

  document.querySelector(".rv-side").addEventListener("click", function (event) {
    var jump = event.target.closest("button.seek[data-start]");
    if (jump) ew.seek(parseFloat(jump.getAttribute("data-start")) || 0);
  });
})(window.earwitnessReview);
