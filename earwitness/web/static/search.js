// The search page: the form's values come from the address (?q=…&language=…, so a search can
// be bookmarked and shared), the hits from /api/search. Each hit links to the review page at
// its moment. Values from the server go into the page as text; the snippet (escaped by the
// server, matches in <mark>) is rebuilt here from its text and <mark> elements only.
(function () {
  "use strict";
  var ew = window.earwitness;
  var form = document.getElementById("ew-search");
  var list = document.getElementById("ew-search-hits");
  var status = document.getElementById("ew-search-status");
  if (!form || !list || !ew) { return; }
  var FIELDS = ["q", "exhibit", "language", "kind", "speaker", "tag", "finding"];
  var SHA256 = /^[0-9a-f]{64}$/;
  var names = {};  // exhibit sha256 -> file name

  function clock(seconds) {
    if (typeof seconds !== "number" || !isFinite(seconds)) { return ""; }
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), rest = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(rest).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  // Only text and <mark> survive: anything else the snippet might hold becomes text.
  function snippet(element, html) {
    var template = document.createElement("template");
    template.innerHTML = String(html || "");
    template.content.childNodes.forEach(function (node) {
      if (node.nodeType === 1 && node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        ew.text(mark, node.textContent);
        element.appendChild(mark);
      } else {
        element.appendChild(document.createTextNode(node.textContent || ""));
      }
    });
  }

  function meta(parts) {
    var p = document.createElement("p");
    p.className = "ew-search-meta";
    parts.forEach(function (part) {
      if (!part) { return; }
      var span = document.createElement("span");
      ew.text(span, part);
      p.appendChild(span);
    });
    return p;
  }

  function show(hit) {
    var item = document.createElement("li");
    item.className = "ew-search-hit";
    var sha = SHA256.test(hit.exhibit_sha256) ? hit.exhibit_sha256 : "";
    var link = document.createElement("a");
    var at = typeof hit.start === "number" ? "#t=" + Math.max(0, hit.start).toFixed(2) : "";
    if (sha) { link.href = "/exhibits/" + sha + at; }
    ew.text(link, (names[sha] || sha.slice(0, 12)) + (at ? " at " + clock(hit.start) : ""));
    item.appendChild(link);
    var text = document.createElement("p");
    text.className = "ew-search-snippet";
    snippet(text, hit.snippet);
    item.appendChild(text);
    var tags = (hit.tags || []).map(function (t) { return "#" + t; }).join(" ");
    item.appendChild(meta([hit.kind, hit.speaker, hit.language, tags,
      (hit.finding_labels || hit.findings || []).join(", ")]));
    return item;
  }

  function params() {
    var found = new URLSearchParams(window.location.search);
    var query = new URLSearchParams();
    FIELDS.forEach(function (name) {
      var value = found.get(name) || "";
      if (form.elements[name]) { form.elements[name].value = value; }
      if (value) { query.set(name, value); }
    });
    return query;
  }

  function run() {
    var query = params();
    if (!query.has("q") && Array.from(query.keys()).length === 0) { return; }
    ew.text(status, "Searching…");
    ew.api("GET", "/api/search?" + query.toString()).then(function (answer) {
      list.replaceChildren();
      answer.hits.forEach(function (hit) { list.appendChild(show(hit)); });
      ew.text(status, answer.hits.length + (answer.hits.length === 1 ? " hit" : " hits") +
        " in " + answer.took_ms + " ms");
    }, function (error) {
      list.replaceChildren();
      ew.text(status, error.message);
    });
  }

  function loadExhibits() {
    var select = form.elements.exhibit;
    return ew.api("GET", "/api/exhibits").then(function (exhibits) {
      (exhibits || []).forEach(function (exhibit) {
        if (!exhibit || !SHA256.test(exhibit.sha256)) { return; }
        names[exhibit.sha256] = exhibit.name ? ew.shown(exhibit.name) : exhibit.sha256.slice(0, 12);
        var option = document.createElement("option");
        option.value = exhibit.sha256;
        ew.text(option, names[exhibit.sha256]);
        select.appendChild(option);
      });
    }, function () { /* no exhibit list: the filter keeps "all" */ });
  }

  loadExhibits().then(run);
})();
