/* Draws the places of a page (data-points of .srh-map) with the self-hosted Leaflet.
   No tile layer: nothing is fetched from another host. Points are circle markers (SVG), so
   no marker images are needed either; each links to the place's page. */
(function () {
  "use strict";

  function draw(element) {
    var points;
    try {
      points = JSON.parse(element.getAttribute("data-points") || "[]");
    } catch (error) {
      return;
    }
    if (!points.length || typeof L === "undefined") {
      return;
    }
    element.classList.add("srh-map-ready");
    var map = L.map(element, { scrollWheelZoom: false, attributionControl: true });
    map.attributionControl.setPrefix(false);
    var bounds = [];
    points.forEach(function (point) {
      var latLng = [point.lat, point.lon];
      bounds.push(latLng);
      var marker = L.circleMarker(latLng, {
        radius: 8, weight: 2, color: "#003a66", fillColor: "#00508c", fillOpacity: 0.8
      }).addTo(map);
      var link = document.createElement("a");
      link.href = point.href;
      link.textContent = point.label;  // text, never HTML: labels come from the data
      marker.bindTooltip(point.label, { direction: "top" });
      marker.bindPopup(link);
    });
    if (bounds.length === 1) {
      map.setView(bounds[0], 10);
    } else {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 11 });
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
