// Floor plans on a Leaflet map (Leaflet from the xstatic-leaflet package, no CDN): the
// plan picture as an image overlay on a flat, pixel-based map (CRS.Simple), where a point
// [x, y] in the picture's pixels (from its top-left corner) is LatLng(-y, x).
// MurphyPlan.open() is used by the board's floor view (board.js) and by the admin page
// that draws zones on a plan (below).
"use strict";

(function () {
  function open(el, plan) {
    var map = L.map(el, { crs: L.CRS.Simple, minZoom: -6, maxZoom: 3, zoomSnap: 0.25, attributionControl: false });
    var bounds = L.latLngBounds([-plan.height, 0], [0, plan.width]);
    L.imageOverlay(plan.url, bounds, { className: "plan-image" }).addTo(map);
    map.fitBounds(bounds);
    map.setMaxBounds(bounds.pad(0.5));
    return {
      map: map,
      at: function (x, y) {
        return L.latLng(-y, x);
      },
      xy: function (latlng) {
        var x = Math.min(Math.max(latlng.lng, 0), plan.width);
        var y = Math.min(Math.max(-latlng.lat, 0), plan.height);
        return [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
      },
    };
  }

  function outline(view, points) {
    return points.map(function (p) {
      return view.at(p[0], p[1]);
    });
  }

  window.MurphyPlan = { open: open, outline: outline };

  // --- drawing zones (admin) ------------------------------------------------------------

  function draw() {
    var el = document.querySelector("[data-plan-draw]");
    if (!el || !window.L) return;
    var view = open(el, {
      url: el.getAttribute("data-plan-url"),
      width: Number(el.getAttribute("data-width")),
      height: Number(el.getAttribute("data-height")),
    });
    var drawn = L.layerGroup().addTo(view.map);
    JSON.parse(el.getAttribute("data-zones") || "[]").forEach(function (z) {
      L.polygon(outline(view, z.outline), { color: "#2f6690", weight: 2, fillOpacity: 0.15 })
        .bindTooltip(z.name, { permanent: true, direction: "center", className: "map-label" })
        .addTo(drawn);
    });

    var form = document.querySelector("[data-outline-form]");
    var help = document.querySelector("[data-draw-help]");
    var finish = form.querySelector("[data-outline-finish]");
    var count = form.querySelector("[data-outline-count]");
    var points = [];
    var active = null;
    var sketch = L.layerGroup().addTo(view.map);

    function redraw() {
      sketch.clearLayers();
      if (points.length) {
        L.polyline(outline(view, points), { color: "#b3261e", weight: 3, dashArray: "6 4" }).addTo(sketch);
        points.forEach(function (p, i) {
          L.circleMarker(view.at(p[0], p[1]), { radius: i === 0 ? 8 : 5, color: "#b3261e", fillColor: "#fff", fillOpacity: 1 })
            .on("click", function (e) {
              L.DomEvent.stop(e);
              if (i === 0 && points.length >= 3) form.requestSubmit(finish);
            })
            .addTo(sketch);
        });
      }
      count.textContent = points.length + (points.length === 1 ? " corner" : " corners");
      finish.disabled = points.length < 3;
    }

    function stop() {
      active = null;
      points = [];
      redraw();
      form.hidden = true;
      help.hidden = false;
      el.classList.remove("plan-drawing");
    }

    document.querySelectorAll("[data-draw-zone]").forEach(function (button) {
      button.addEventListener("click", function () {
        active = button.getAttribute("data-draw-zone");
        points = [];
        form.querySelector("[data-outline-zone]").value = active;
        form.querySelector("[data-outline-name]").textContent = "Drawing " + button.getAttribute("data-draw-name");
        form.hidden = false;
        help.hidden = true;
        el.classList.add("plan-drawing");
        redraw();
        el.scrollIntoView({ block: "nearest" });
      });
    });
    view.map.on("click", function (e) {
      if (!active) return;
      points.push(view.xy(e.latlng));
      redraw();
    });
    form.querySelector("[data-outline-undo]").addEventListener("click", function () {
      points.pop();
      redraw();
    });
    form.querySelector("[data-outline-cancel]").addEventListener("click", stop);
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && active) stop();
    });
    form.addEventListener("submit", function () {
      form.querySelector("[data-outline-points]").value = JSON.stringify(points);
    });
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw();
    confirmations();
  });
})();
