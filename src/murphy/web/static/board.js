// Murphy's board map: Leaflet (served from the xstatic-leaflet package, no CDN). Without
// a tile URL it draws on a plain background, so it works with no internet. It fetches
// the site's map data (or one floor's, drawn on its plan through plan.js) and draws it
// again on every live change (murphy.js says when).
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
    var map = null;
    var view = null; // a floor's plan (plan.js), or null for the site's map
    var places, incidents, units;
    var fitted = false;
    var pending = null;

    function siteMap() {
      var tiles = el.getAttribute("data-tiles");
      map = L.map(el, { zoomSnap: 0.25, attributionControl: Boolean(tiles) });
      if (tiles) {
        L.tileLayer(tiles, { maxZoom: 20, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
      }
      L.control.scale({ imperial: false }).addTo(map);
    }

    function layers() {
      places = L.layerGroup().addTo(map);
      incidents = L.layerGroup().addTo(map);
      units = L.layerGroup().addTo(map);
    }

    // Where to draw an incident or unit: on a plan at its zone's centre, spread around
    // it when several share one (`seen` counts them); on the site map at its coordinates.
    function at(p, seen) {
      if (view) {
        if (p.x === null || p.y === null) return null;
        var key = p.x + "," + p.y;
        var n = (seen[key] = (seen[key] || 0) + 1) - 1;
        var r = n ? 22 * Math.pow(2, -map.getZoom()) : 0;
        return view.at(p.x + r * Math.cos(n * 2.4), p.y + r * Math.sin(n * 2.4));
      }
      return p.latitude !== null && p.longitude !== null ? [p.latitude, p.longitude] : null;
    }

    function counts(floors) {
      floors.forEach(function (f) {
        var tab = document.querySelector('[data-floor-tab="' + f.building + "/" + f.floor + '"] [data-floor-count]');
        if (!tab) return;
        var n = f.incidents;
        tab.textContent = n ? String(n) : "";
        tab.hidden = !n;
        tab.title = n + (n === 1 ? " open incident" : " open incidents") + ", " + f.units + (f.units === 1 ? " unit" : " units");
      });
    }

    function drawZones(data) {
      places.clearLayers();
      data.zones.forEach(function (z) {
        var shape = L.polygon(MurphyPlan.outline(view, z.outline), {
          color: "#2f6690",
          weight: 1.5,
          fillColor: "#9fc3e6",
          fillOpacity: 0.18,
        }).addTo(places);
        // The zone's name along its top edge: its centre is where the markers go.
        var box = shape.getBounds();
        L.tooltip({ permanent: true, direction: "bottom", className: "map-zone-label", offset: [0, 2] })
          .setLatLng([box.getNorth(), box.getCenter().lng])
          .setContent(z.name)
          .addTo(places);
      });
      var unplaced = data.incidents.filter(function (i) {
        return i.x === null;
      }).length;
      var note = document.querySelector("[data-unplaced]");
      if (note) note.textContent = unplaced ? "· " + unplaced + " on this floor in a zone not drawn yet (see the list)" : "";
    }

    function draw(data) {
      var bounds = [];
      var seen = {};
      if (!map) {
        if (data.plan) {
          view = MurphyPlan.open(el, data.plan);
          map = view.map;
          fitted = true;
        } else siteMap();
        layers();
      }
      counts(data.floors || []);
      incidents.clearLayers();
      units.clearLayers();
      if (view) drawZones(data);
      else places.clearLayers();
      (data.places || []).forEach(function (p) {
        var spot = [p.latitude, p.longitude];
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
        var spot = at(i, seen);
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
        var spot = at(u, seen);
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
      el.setAttribute("data-drawn", String(incidents.getLayers().length + units.getLayers().length));
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
