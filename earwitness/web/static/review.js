/* Earwitness review page: the start. Shows the controls the account's role may use, loads the
   review and the waveform's peaks, draws the first rows, the waveform and the timeline's marks
   and findings, honours a #t= link, then says the page is ready (document.body.dataset.ready).
   Loaded last, after the files it uses (see review-core.js for how they fit together). */
(function (ew) {
  "use strict";
  if (!ew) return;
  var st = ew.state, $ = ew.$;
  Array.prototype.forEach.call(document.querySelectorAll(".need-editor"), function (node) {
    if (ew.canEdit && node.id !== "edit-tools") node.hidden = false;
  });
  Array.prototype.forEach.call(document.querySelectorAll(".need-reviewer"), function (node) {
    if (ew.canAnnotate) node.hidden = false;
  });
  document.documentElement.classList.add("js");
  Promise.all([ew.call("GET", ew.api + "/review"), ew.call("GET", ew.api + "/peaks")]).then(function (answers) {
    if (!answers[0].ok) {
      $("rv-loading").textContent = answers[0].json.error || "The transcript could not be loaded.";
      return;
    }
    st.peaks = answers[1].ok ? answers[1].json : null;
    ew.load(answers[0].json);
    ew.showTranscript();
    ew.drawWave();
    ew.applyHash();
    ew.update();
    document.body.dataset.readyMs = String(Math.round(performance.now()));  // since navigation
    document.body.dataset.ready = "1";
  });
})(window.earwitnessReview);
