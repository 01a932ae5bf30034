/* Maps of the platform (templates/_map.html) with the self-hosted Leaflet: the outlines of
   Hessen's Kreise and Gemeinden from the platform itself (data-areas, GeoJSON) as base layer,
   the area of the page highlighted (data-focus), and the places (data-points) as circle
   markers whose popups link to their pages and, on the map page, list their projects.
   No tile layer and no marker images: nothing is fetched from another host. */
(function () {
  "use strict";

  var STYLE = {
    "municipality": { color: "#8a9aa8", weight: 0.6, fillColor: "#f2f5f8", fillOpacity: 1 },
    "district": { color: "#3d4f5f", weight: 1.6, fill: false },
    "state": { color: "#1a1a1a", weight: 2.4, fill: false }
  };
  var FOCUS = { color: "#003a66", weight: 3, fillColor: "#9cc2e3", fillOpacity: 0.45 };
  var TEXT = {
    de: { attribution: "Grenzen: © GeoBasis-DE / BKG (VG250, GeoNutzV), vereinfacht",
          projects: "Projekte hier:" },
    en: { attribution: "Boundaries: © GeoBasis-DE / BKG (VG250, GeoNutzV), simplified",
          projects: "Projects here:" }
  };

  function popup(point, text) {
    // built from text nodes, never HTML: labels come from the data
    var box = document.createElement("div");
    var title = document.createElement("a");
    title.href = point.href;
    title.textContent = point.label;
    box.appendChild(title);
    if (point.items && point.items.length) {
      var intro = document.createElement("p");
      intro.textContent = text.projects;
      box.appendChild(intro);
      var list = document.createElement("ul");
      point.items.forEach(function (item) {
        var entry = document.createElement("li");
        var link = document.createElement("a");
        link.textContent = item[0];
        link.href = item[1];
        entry.appendChild(link);
        list.appendChild(entry);
      });
      box.appendChild(list);
    }
    return box;
  }

  function areaLayer(map, data, focus) {
    var layers = {};
    ["municipality", "district", "state"].forEach(function (kind) {
      layers[kind] = L.geoJSON(data, {
        filter: function (feature) { return feature.properties.kind === kind; },
        style: function (feature) {
          return feature.id === focus ? FOCUS : STYLE[kind];
        },
        interactive: false
      }).addTo(map);
    });
    return layers;
  }

  function draw(element) {
    var points;
    try {
      points = JSON.parse(element.getAttribute("data-points") || "[]");
    } catch (error) {
      return;
    }
    if (typeof L === "undefined") {
      return;
    }
    var text = TEXT[element.getAttribute("data-lang")] || TEXT.de;
    var focus = element.getAttribute("data-focus") || "";
    element.classList.add("srh-map-ready");
    var map = L.map(element, { scrollWheelZoom: false, attributionControl: true,
                               zoomSnap: 0.25 });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution(text.attribution);
    map.setView([50.6, 9.0], 7.5);
    var markers = L.featureGroup();
    points.forEach(function (point) {
      var marker = L.circleMarker([point.lat, point.lon], {
        radius: point.items && point.items.length > 1 ? 9 : 7, weight: 2, color: "#ffffff",
        fillColor: "#b3261e", fillOpacity: 0.95
      });
      marker.bindTooltip(point.label, { direction: "top" });
      marker.bindPopup(popup(point, text));
      markers.addLayer(marker);
    });
    var areas = element.getAttribute("data-areas");
    var shown = function (layers) {
      markers.addTo(map);
      var target = null;
      if (focus && layers) {
        layers.municipality.eachLayer(function (layer) { if (layer.feature.id === focus) { target = layer; } });
        layers.district.eachLayer(function (layer) { if (layer.feature.id === focus) { target = layer; } });
      }
      if (target) {
        map.fitBounds(target.getBounds(), { padding: [20, 20] });
      } else if (points.length === 1) {
        map.setView([points[0].lat, points[0].lon], 10);
      } else if (points.length > 1 && !element.classList.contains("srh-map-large")) {
        map.fitBounds(markers.getBounds(), { padding: [30, 30], maxZoom: 11 });
      } else if (layers) {
        map.fitBounds(layers.state.getBounds(), { padding: [10, 10] });
      }
      element.setAttribute("data-drawn", "true");
    };
    if (areas && window.fetch) {
      fetch(areas, { headers: { Accept: "application/geo+json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { shown(data ? areaLayer(map, data, focus) : null); })
        .catch(function () { shown(null); });
    } else {
      shown(null);
    }
    L.control.scale({ imperial: false }).addTo(map);
  }

  function start() {
    var maps = document.querySelectorAll(".srh-map[data-points]");
    for (var i = 0; i < maps.length; i += 1) {
      draw(maps[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
