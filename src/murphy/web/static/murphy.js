// Murphy: small enhancements. Every page works without this file.
"use strict";

(function () {
  // Show only the places of the chosen site in the report form's place picker.
  function linkSiteToPlaces(form) {
    var site = form.querySelector("[data-site-select]");
    var picker = form.querySelector("[data-place-picker]");
    if (!site || !picker) return;
    var hint = form.querySelector("[data-tz-hint]");
    function sync() {
      var code = site.value;
      var option = site.selectedOptions[0];
      if (hint && option && option.getAttribute("data-tz")) hint.textContent = option.getAttribute("data-tz");
      var groups = picker.querySelectorAll("optgroup[data-site]");
      groups.forEach(function (group) {
        var mine = !code || group.getAttribute("data-site") === code;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var chosen = picker.selectedOptions[0];
      if (chosen && chosen.parentElement && chosen.parentElement.disabled) picker.value = "";
    }
    site.addEventListener("change", sync);
    sync();
  }

  // A form sends once: the button says so, and a second tap does nothing.
  function sendOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.classList.add("is-busy");
        button.setAttribute("aria-busy", "true");
      }
    });
  }

  // Live: the server's event stream (Server-Sent Events) says what changed; the parts of
  // the page marked data-live-part are fetched again (at most every 300 ms) and swapped
  // in, without a reload. EventSource reconnects by itself with Last-Event-ID; "reload"
  // means too much was missed. Without EventSource the queue reloads every 60 s.
  function typing() {
    var active = document.activeElement;
    return active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  function live(region) {
    if (!window.EventSource || !window.fetch || !window.DOMParser) return false;
    var state = document.querySelector("[data-live-state]");
    var text = state && state.querySelector("[data-live-text]");
    var pending = null;
    function show(ok) {
      if (!state) return;
      state.hidden = false;
      state.classList.toggle("is-off", !ok);
      if (text) text.textContent = ok ? "Live" : "Reconnecting…";
    }
    function swap() {
      pending = null;
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) {
          return r.ok ? r.text() : null;
        })
        .then(function (html) {
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-live-part]").forEach(function (part) {
            var name = part.getAttribute("data-live-part");
            var next = fresh.querySelector('[data-live-part="' + name + '"]');
            if (!next) return;
            if (typing() && part.contains(document.activeElement)) return; // not under a typing hand
            part.innerHTML = next.innerHTML;
            part.querySelectorAll("form").forEach(function (form) {
              if (form.method.toLowerCase() === "post") sendOnce(form);
            });
          });
        });
    }
    var source = new EventSource(region.getAttribute("data-live"));
    source.onopen = function () {
      show(true);
    };
    source.onerror = function () {
      show(false);
    };
    // Which kinds of change matter to this page: data-live-events="unit incident".
    // A page about one incident (data-live-number) ignores the changes of other incidents.
    var only = region.getAttribute("data-live-number");
    (region.getAttribute("data-live-events") || "incident").split(" ").forEach(function (kind) {
      source.addEventListener(kind, function (event) {
        if (only && kind === "incident") {
          try {
            if (JSON.parse(event.data).number !== only) return;
          } catch (e) {
            return;
          }
        }
        if (!pending) pending = window.setTimeout(swap, 300);
        document.dispatchEvent(new CustomEvent("murphy:change", { detail: kind }));
      });
    });
    source.addEventListener("reload", function () {
      source.close();
      if (!typing()) window.location.reload();
    });
    return true;
  }

  // The officer's phone: share the GPS position while the page is open, only after the
  // officer asks (the browser asks for consent too). A fix is sent at most every 30 s,
  // or sooner when the officer moved more than 25 m.
  function shareLocation(button) {
    if (!navigator.geolocation || !window.fetch) return;
    var state = document.querySelector("[data-share-state]");
    var token = document.querySelector('input[name="csrf_token"]');
    var last = null;
    button.hidden = false;
    function say(text) {
      if (!state) return;
      state.hidden = false;
      state.textContent = text;
    }
    function moved(a, b) {
      var dy = (a.latitude - b.latitude) * 111320;
      var dx = (a.longitude - b.longitude) * 111320 * Math.cos((a.latitude * Math.PI) / 180);
      return Math.sqrt(dx * dx + dy * dy);
    }
    function send(position) {
      var c = position.coords;
      var now = Date.now();
      if (last && now - last.at < 30000 && moved(c, last) < 25) return;
      last = { at: now, latitude: c.latitude, longitude: c.longitude };
      var body = new URLSearchParams({
        csrf_token: token ? token.value : "",
        latitude: String(c.latitude),
        longitude: String(c.longitude),
        accuracy: String(Math.round(c.accuracy || 0)),
      });
      fetch("/officer/position", {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      }).then(function (r) {
        say(r.ok ? "Sharing your location (±" + Math.round(c.accuracy || 0) + " m)." : "Your location was not saved.");
      });
    }
    button.addEventListener("click", function () {
      button.disabled = true;
      say("Asking for your location…");
      navigator.geolocation.watchPosition(send, function (err) {
        button.disabled = false;
        say(err.code === 1 ? "Location not shared: allow it in the browser to share it." : "No location fix yet.");
      }, { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 });
    });
  }

  // The queue refreshes itself while nobody is typing and the tab is visible.
  // The nav's More menu closes on a click elsewhere or on Escape.
  function closeMenusOutside() {
    function close(except) {
      document.querySelectorAll("details.nav-more[open]").forEach(function (menu) {
        if (menu !== except) menu.removeAttribute("open");
      });
    }
    document.addEventListener("click", function (event) {
      close(event.target.closest ? event.target.closest("details.nav-more") : null);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") close(null);
    });
  }

  function autoRefresh(list) {
    if (list.closest("[data-live]") && window.EventSource) return; // live instead
    var seconds = parseInt(list.getAttribute("data-autorefresh"), 10);
    if (!seconds) return;
    window.setInterval(function () {
      if (!document.hidden && !typing()) window.location.reload();
    }, seconds * 1000);
  }

  // Service-target countdowns: tick every second from the server's due time. The page's
  // <meta name="murphy-now"> corrects for a browser clock that is off.
  var WARN_SECONDS = 5 * 60;
  var WARN_SHARE = 0.25;
  var skew = 0;

  function readSkew() {
    var meta = document.querySelector('meta[name="murphy-now"]');
    var server = meta ? Date.parse(meta.getAttribute("content")) : NaN;
    if (!isNaN(server)) skew = server - Date.now();
  }

  function two(n) {
    return (n < 10 ? "0" : "") + n;
  }

  function span(seconds) {
    var s = Math.floor(seconds);
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + two(m) + " min";
    return m + ":" + two(s % 60);
  }

  function tick(el) {
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) return;
    var left = (due - (Date.now() + skew)) / 1000;
    var total = parseFloat(el.getAttribute("data-total"));
    var state = "ok";
    if (left < 0 || el.hasAttribute("data-breached")) state = "breach";
    else if (left < WARN_SECONDS || (total > 0 && left < WARN_SHARE * total)) state = "warn";
    el.classList.remove("due-ok", "due-warn", "due-breach");
    el.classList.add("due-" + state);
    var text = el.querySelector(".due-left");
    if (text) text.textContent = left >= 0 ? span(left) + " left" : "overdue " + span(-left);
  }

  function startCountdowns() {
    readSkew();
    function all() {
      document.querySelectorAll("[data-due]").forEach(tick); // new rows tick too
    }
    all();
    window.setInterval(all, 1000);
  }

  // The classify and priority forms: a type brings its default impact and urgency, and
  // the priority that impact x urgency give is shown before saving.
  function priorityPreview(form) {
    var matrix;
    try {
      matrix = JSON.parse(form.getAttribute("data-matrix"));
    } catch (e) {
      return;
    }
    var type = form.querySelector("[data-type-select]");
    var impact = form.querySelector('[data-scale="impact"]');
    var urgency = form.querySelector('[data-scale="urgency"]');
    var box = form.querySelector("[data-priority-preview]");
    var out = form.querySelector("[data-priority-out]");
    var override = form.querySelector("[data-override]");
    var reason = form.querySelector("[data-override-reason]");
    if (!impact || !urgency || !box || !out) return;
    function chosen(select, key) {
      if (select.value) return parseInt(select.value, 10);
      var option = type && type.selectedOptions[0];
      var fallback = option && option.getAttribute("data-" + key);
      return fallback ? parseInt(fallback, 10) : NaN;
    }
    function show() {
      var i = chosen(impact, "impact");
      var u = chosen(urgency, "urgency");
      if (isNaN(i) || isNaN(u) || !matrix[i - 1]) {
        box.hidden = true;
        return;
      }
      var p = matrix[i - 1][u - 1];
      var forced = override && override.value ? parseInt(override.value, 10) : NaN;
      out.className = "prio prio-" + (forced || p);
      out.textContent = "P" + (forced || p);
      var note = box.querySelector("[data-priority-note]");
      if (note) {
        note.textContent =
          forced && forced !== p ? "(the matrix says P" + p + ")" : "(impact " + i + " × urgency " + u + ")";
      }
      box.hidden = false;
      if (reason) reason.required = !!forced;
    }
    if (type) {
      type.addEventListener("change", function () {
        var option = type.selectedOptions[0];
        if (option && option.getAttribute("data-impact")) {
          impact.value = option.getAttribute("data-impact");
          urgency.value = option.getAttribute("data-urgency");
        }
        show();
      });
    }
    [impact, urgency, override].forEach(function (el) {
      if (el) el.addEventListener("change", show);
    });
    show();
  }

  // The queue's quick entry: N (outside a field, no modifier) opens it at "What happened?".
  function quickEntryKey(event) {
    if (event.key !== "n" && event.key !== "N") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var quick = document.getElementById("quick");
    var title = quick && quick.querySelector("[data-quick-title]");
    if (!title) return;
    event.preventDefault();
    quick.open = true;
    title.focus();
  }

  // The bell: the server counts my unread notifications when it renders a page. On a live
  // page a change may have told me something (the notification is written a moment after
  // the change), so count again 1.5 s after a change (once for a burst), and when the tab comes back.
  function bell(link) {
    if (!window.fetch) return;
    var badge = link.querySelector("[data-bell-count]");
    var number = link.querySelector("[data-bell-n]");
    var timer = null;
    function show(unread) {
      if (!badge || !number || typeof unread !== "number") return;
      number.textContent = unread > 99 ? "99+" : String(unread);
      badge.hidden = unread === 0;
    }
    function count() {
      timer = null;
      fetch("/api/v1/notifications?unread=true&limit=1", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (body) {
          if (body) show(body.unread);
        })
        .catch(function () {});
    }
    function soon() {
      if (!timer) timer = window.setTimeout(count, 1500); // one count per burst of changes
    }
    document.addEventListener("murphy:change", soon);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) soon();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startCountdowns();
    document.querySelectorAll("[data-bell]").forEach(bell);
    document.addEventListener("keydown", quickEntryKey);
    document.querySelectorAll("form[data-matrix]").forEach(priorityPreview);
    document.querySelectorAll("form").forEach(function (form) {
      linkSiteToPlaces(form);
      if (form.method.toLowerCase() === "post") sendOnce(form);
    });
    document.querySelectorAll("[data-live]").forEach(live);
    document.querySelectorAll("[data-share-location]").forEach(shareLocation);
    document.querySelectorAll("[data-autorefresh]").forEach(autoRefresh);
    closeMenusOutside();
    var tab = document.querySelector(".tabs [aria-current]");
    if (tab && tab.scrollIntoView) tab.scrollIntoView({ block: "nearest", inline: "nearest" });
    var problem = document.getElementById("problem");
    if (problem) problem.focus();
  });

  // Coming back through the history restores a page as it was: let its forms send again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.classList.remove("is-busy");
        button.removeAttribute("aria-busy");
      }
    });
  });
})();
