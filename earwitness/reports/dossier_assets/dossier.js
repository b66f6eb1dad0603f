/* Earwitness dossier player: transcript follows the audio, words and markers seek it,
   keyboard control as transcribers expect. Plain JavaScript, no network, no dependencies. */
(function () {
  "use strict";
  var audio = document.getElementById("audio");
  var timeline = document.getElementById("timeline");
  if (!audio || !timeline) return;
  document.documentElement.classList.add("js");
  audio.controls = false;

  var RATES = [0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];
  var SKIP_S = 3;
  var fallbackDuration = parseFloat(timeline.getAttribute("data-duration")) || 0;
  var playButton = document.getElementById("btn-play");
  var clock = document.getElementById("now");
  var rateOut = document.getElementById("rate");
  var follow = document.getElementById("follow");
  var playheads = document.querySelectorAll(".playhead");
  var player = document.getElementById("player");

  function timed(selector) {
    return Array.prototype.slice.call(document.querySelectorAll(selector)).map(function (el) {
      return {
        el: el,
        start: parseFloat(el.getAttribute("data-start")) || 0,
        end: parseFloat(el.getAttribute("data-end")) || 0,
      };
    }).sort(function (a, b) { return a.start - b.start; });
  }
  var words = timed("#transcript .w[data-start]");
  var unsure = timed("#transcript .w.unsure[data-start]");
  var unsureAt = document.getElementById("unsure-at");
  var lastJump = null;  // the unsure word jumped to, and the audio time just after the jump
  var segments = timed("#transcript tr.seg");
  var activeWord = null;
  var activeSegment = null;

  function duration() {
    return isFinite(audio.duration) && audio.duration > 0 ? audio.duration : fallbackDuration;
  }
  function clamp(t) { return Math.min(Math.max(t, 0), duration() || 0); }
  function timecode(t) {
    var h = Math.floor(t / 3600), m = Math.floor((t % 3600) / 60), s = t % 60;
    function two(n) { return (n < 10 ? "0" : "") + n; }
    var sec = s.toFixed(1);
    return two(h) + ":" + two(m) + ":" + (s < 9.95 ? "0" : "") + sec;
  }

  // The last item that starts at or before t (binary search), if t is still inside it.
  function find(items, t, slack) {
    var lo = 0, hi = items.length - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (items[mid].start <= t) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    if (best < 0) return null;
    var item = items[best];
    return t < Math.max(item.end, item.start) + slack ? item : null;
  }

  function setActive(current, next, cls) {
    if (current === next) return current;
    if (current) current.el.classList.remove(cls);
    if (next) next.el.classList.add(cls);
    return next;
  }

  function inView(el) {
    var box = el.getBoundingClientRect();
    var top = player ? player.getBoundingClientRect().bottom : 0;
    return box.top >= top && box.bottom <= window.innerHeight;
  }

  function update() {
    var t = audio.currentTime || 0;
    var d = duration();
    var left = d > 0 ? Math.min(100, (t / d) * 100) : 0;
    for (var i = 0; i < playheads.length; i++) playheads[i].style.left = left + "%";
    clock.textContent = timecode(t);
    var word = find(words, t, 0.05);
    var changed = word !== activeWord;
    activeWord = setActive(activeWord, word, "active");
    activeSegment = setActive(activeSegment, find(segments, t, 0.3), "current");
    if (changed && activeWord && follow && follow.checked && !audio.paused &&
        !inView(activeWord.el)) {
      activeWord.el.scrollIntoView({ block: "center", behavior: "smooth" });
    }
  }

  var frame = null;
  function loop() {
    update();
    frame = audio.paused ? null : window.requestAnimationFrame(loop);
  }

  function showState() {
    var playing = !audio.paused;
    playButton.querySelector(".icon").className = "icon " + (playing ? "pause" : "play");
    playButton.querySelector(".label").textContent = playing ? "Pause" : "Play";
    playButton.setAttribute("aria-label", (playing ? "Pause" : "Play") + " (Space or Esc)");
    if (playing && frame === null) frame = window.requestAnimationFrame(loop);
  }

  function toggle() {
    if (audio.paused) {
      var promise = audio.play();
      if (promise && promise.catch) promise.catch(function () { /* blocked or no source */ });
    } else {
      audio.pause();
    }
  }
  function seek(t) {
    audio.currentTime = clamp(t);
    update();
  }
  function skip(delta) { seek((audio.currentTime || 0) + delta); }
  function speed(step) {
    var index = RATES.indexOf(audio.playbackRate);
    if (index < 0) index = RATES.indexOf(1);
    index = Math.min(Math.max(index + step, 0), RATES.length - 1);
    audio.playbackRate = RATES[index];
    rateOut.textContent = RATES[index].toFixed(2) + "×";
  }

  function reveal(number) {
    var card = document.getElementById("finding-" + number);
    if (!card) return;
    var details = card.querySelector("details");
    if (details) details.open = true;
    var flashed = document.querySelectorAll(".finding.flash, .marker.current");
    for (var i = 0; i < flashed.length; i++) flashed[i].classList.remove("flash", "current");
    card.classList.add("flash");
    var marker = document.querySelector('.marker[data-finding="' + number + '"]');
    if (marker) marker.classList.add("current");
    card.scrollIntoView({ block: "start", behavior: "smooth" });
    card.focus({ preventScroll: true });
  }

  // Review starts where the machine was unsure: step to the next (or previous) unsure word
  // after the playing position, or after the last one jumped to if the audio has not moved
  // since (so stepping works before the audio has loaded, too). Wraps around at the ends.
  function nextUnsure(step) {
    if (!unsure.length) return;
    var t = audio.currentTime || 0;
    var index = -1, i;
    if (lastJump && lastJump.after === t) {
      index = (lastJump.index + step + unsure.length) % unsure.length;
    } else if (step > 0) {
      for (i = 0; i < unsure.length && index < 0; i++) if (unsure[i].start > t + 0.001) index = i;
      if (index < 0) index = 0;
    } else {
      for (i = unsure.length - 1; i >= 0 && index < 0; i--) {
        if (unsure[i].start < t - 0.001) index = i;
      }
      if (index < 0) index = unsure.length - 1;
    }
    var item = unsure[index];
    var shown = document.querySelectorAll(".w.jumped");
    for (i = 0; i < shown.length; i++) shown[i].classList.remove("jumped");
    item.el.classList.add("jumped");
    seek(item.start);
    lastJump = { index: index, after: audio.currentTime || 0 };
    if (unsureAt) {
      unsureAt.textContent = "unsure word " + (index + 1) + " of " + unsure.length + " at " +
        timecode(item.start) + ": " + item.el.textContent;
    }
    if (!inView(item.el)) item.el.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" ||
      (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case " ": case "Spacebar": case "Escape": toggle(); break;
      case "ArrowLeft": skip(-SKIP_S); break;
      case "ArrowRight": skip(SKIP_S); break;
      case "[": case "-": speed(-1); break;
      case "]": case "=": case "+": speed(1); break;
      case "Home": seek(0); break;
      case "u": nextUnsure(1); break;
      case "U": nextUnsure(-1); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    var marker = target.closest(".marker");
    if (marker) {
      event.preventDefault();
      seek(parseFloat(marker.getAttribute("data-start")) || 0);
      reveal(marker.getAttribute("data-finding"));
      return;
    }
    var jump = target.closest(".w[data-start], button.seek[data-start]");
    if (jump) {
      seek(parseFloat(jump.getAttribute("data-start")) || 0);
      return;
    }
    var track = target.closest(".seekable");
    if (track) {
      var box = track.getBoundingClientRect();
      if (box.width > 0) seek(((event.clientX - box.left) / box.width) * duration());
    }
  });

  var controls = {
    "btn-play": toggle,
    "btn-back": function () { skip(-SKIP_S); },
    "btn-fwd": function () { skip(SKIP_S); },
    "btn-slower": function () { speed(-1); },
    "btn-faster": function () { speed(1); },
    "btn-unsure": function (event) { nextUnsure(event.shiftKey ? -1 : 1); },
  };
  Object.keys(controls).forEach(function (id) {
    var button = document.getElementById(id);
    if (button) button.addEventListener("click", controls[id]);
  });

  ["play", "pause", "ended"].forEach(function (name) { audio.addEventListener(name, showState); });
  ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) {
    audio.addEventListener(name, update);
  });

  function measure() {
    if (player) {
      document.documentElement.style.setProperty("--sticky", player.offsetHeight + "px");
    }
  }
  window.addEventListener("resize", measure);
  measure();
  update();
  var match = /^#finding-(\d+)$/.exec(window.location.hash);
  if (match) reveal(match[1]);
})();
