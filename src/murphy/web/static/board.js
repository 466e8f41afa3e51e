// Murphy's board map: Leaflet (served from the xstatic-leaflet package, no CDN). Without
// a tile URL it draws on a plain background, so it works with no internet. It fetches
// the site's map data and draws it again on every live change (murphy.js says when).
"use strict";

(function () {
  var PRIORITY = { 1: "#b3261e", 2: "#c2410c", 3: "#e0a800", 4: "#2f6690", 5: "#59626e" };
  var STATUS = {
    available: "#1d7a35",
    dispatched: "#f2b705",
    en_route: "#0f5ad8",
    on_scene: "#6b2fa0",
    busy: "#46505c",
    out_of_service: "#9ca3af",
  };

  function start() {
    var el = document.querySelector("[data-map]");
    if (!el || !window.L || !window.fetch) return;
    var tiles = el.getAttribute("data-tiles");
    var map = L.map(el, { zoomSnap: 0.25, attributionControl: Boolean(tiles) });
    if (tiles) {
      L.tileLayer(tiles, { maxZoom: 20, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    var places = L.layerGroup().addTo(map);
    var incidents = L.layerGroup().addTo(map);
    var units = L.layerGroup().addTo(map);
    var fitted = false;
    var pending = null;

    function at(p) {
      return p.latitude !== null && p.longitude !== null ? [p.latitude, p.longitude] : null;
    }

    function draw(data) {
      var bounds = [];
      places.clearLayers();
      incidents.clearLayers();
      units.clearLayers();
      data.places.forEach(function (p) {
        var spot = at(p);
        bounds.push(spot);
        L.circleMarker(spot, {
          radius: p.kind === "building" ? 6 : 4,
          color: "#8a94a3",
          weight: 1,
          fillColor: "#c5ccd6",
          fillOpacity: 0.9,
        })
          .bindTooltip(p.name)
          .addTo(places);
      });
      data.incidents.forEach(function (i) {
        var spot = at(i);
        if (!spot) return;
        bounds.push(spot);
        L.circleMarker(spot, {
          radius: 11,
          color: "#0f1720",
          weight: 2,
          fillColor: PRIORITY[i.priority] || "#ffffff",
          fillOpacity: 0.95,
          className: "map-incident",
        })
          .bindTooltip((i.priority ? "P" + i.priority + " " : "") + i.number + " · " + i.title)
          .on("click", function () {
            window.location.href = "/incidents/" + i.number;
          })
          .addTo(incidents);
      });
      data.units.forEach(function (u) {
        var spot = at(u);
        if (!spot) return;
        bounds.push(spot);
        L.circleMarker(spot, {
          radius: 7,
          color: "#ffffff",
          weight: 2,
          fillColor: STATUS[u.status] || "#46505c",
          fillOpacity: 1,
          className: "map-unit",
        })
          .bindTooltip(u.callsign, { permanent: true, direction: "right", className: "map-label" })
          .addTo(units);
      });
      if (!fitted) {
        fitted = true;
        if (bounds.length) map.fitBounds(L.latLngBounds(bounds).pad(0.15), { maxZoom: 18 });
        else if (data.latitude !== null) map.setView([data.latitude, data.longitude], 17);
        else map.setView([0, 0], 2);
      }
      el.setAttribute("data-drawn", String(data.incidents.length + data.units.length));
    }

    function load() {
      pending = null;
      fetch(el.getAttribute("data-map"), { credentials: "same-origin" })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          if (data) draw(data);
        });
    }

    load();
    document.addEventListener("murphy:change", function () {
      if (!pending) pending = window.setTimeout(load, 300);
    });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
