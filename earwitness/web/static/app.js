// The workbench's shared script: a fetch wrapper for the JSON API. Loaded by base.html on
// every page before the page's own scripts; they call window.earwitness.api(...).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  // An API failure: .status is the HTTP status, .message the server's one-line {"error"},
  // .body the whole parsed answer (a 409 conflict carries the current segments there).
  function ApiError(status, message, body) {
    this.name = "ApiError";
    this.status = status;
    this.message = message;
    this.body = body;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  // api("GET", "/api/exhibits") or api("POST", url, {json body}) -> Promise of the parsed
  // JSON (null for 204). Same-origin only; sends the session cookie and X-CSRF-Token.
  function api(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrfToken() }
    };
    if (body !== undefined && body !== null) {
      if (body instanceof FormData || body instanceof Blob) {
        options.body = body;
      } else {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      }
      var type = response.headers.get("Content-Type") || "";
      var parsed = response.status === 204 ? Promise.resolve(null)
        : type.indexOf("application/json") === 0 ? response.json() : response.text();
      return parsed.then(function (data) {
        if (!response.ok) {
          var message = data && typeof data === "object" && data.error ? String(data.error)
            : "HTTP " + response.status;
          throw new ApiError(response.status, message, data);
        }
        return data;
      });
    });
  }

  // Text into an element without ever parsing it as HTML.
  function text(element, value) {
    element.textContent = value === undefined || value === null ? "" : String(value);
    return element;
  }

  // A name from outside (a leaked file's name) as one line that shows every character there:
  // what Python's str.isprintable() rejects (controls, bidirectional overrides, zero widths,
  // separators but the space, private use, unassigned) written as \uNNNN, the same escapes
  // the command line and the server's pages show. Without it a right-to-left override makes
  // "evil\u202egpj.wav" read as "evilvaw.jpg".
  var UNPRINTABLE = /[\p{C}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;
  var NAMED = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  function shown(value) {
    return String(value === undefined || value === null ? "" : value).replace(UNPRINTABLE, function (ch) {
      if (NAMED[ch]) { return NAMED[ch]; }
      var code = ch.codePointAt(0);
      var hex = code.toString(16);
      return code < 0x10000 ? "\\u" + ("0000" + hex).slice(-4) : "\\U" + ("00000000" + hex).slice(-8);
    });
  }

  // A small status line (role="status") at the top of <main> for messages to the user.
  function notify(message, kind) {
    var main = document.querySelector("main") || document.body;
    var box = document.getElementById("ew-notice");
    if (!box) {
      box = document.createElement("p");
      box.id = "ew-notice";
      box.setAttribute("role", "status");
      main.insertBefore(box, main.firstChild);
    }
    box.className = "ew-notice ew-notice-" + (kind || "info");
    text(box, message);
  }

  window.earwitness = Object.freeze({
    api: api,
    ApiError: ApiError,
    csrfToken: csrfToken,
    notify: notify,
    shown: shown,
    text: text
  });
})();
