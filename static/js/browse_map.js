/* Browse map: progressive enhancement over the result list.
 *
 * Reads each card's data-lat/data-lon/data-title/data-url and shows them on a
 * Leaflet map. The list stays the real interface: without JavaScript, without
 * Leaflet, or without tiles (offline), nothing is lost. Tile URL comes from the
 * server setting MAP_TILE_URL via data-tile-url.
 */
(function () {
  "use strict";
  var box = document.getElementById("browse-map");
  if (!box || typeof window.L === "undefined") { return; }
  var cards = document.querySelectorAll(".browse-card[data-lat]");
  if (!cards.length) { return; }
  box.hidden = false;
  var map = window.L.map(box, { scrollWheelZoom: false });
  var tiles = box.getAttribute("data-tile-url");
  if (tiles) {
    window.L.tileLayer(tiles, {
      maxZoom: 18,
      attribution: "&copy; OpenStreetMap contributors"
    }).addTo(map);
  }
  var points = [];
  cards.forEach(function (card) {
    var lat = parseFloat(card.getAttribute("data-lat"));
    var lon = parseFloat(card.getAttribute("data-lon"));
    if (!isFinite(lat) || !isFinite(lon)) { return; }
    var link = document.createElement("a");
    link.href = card.getAttribute("data-url");
    link.textContent = card.getAttribute("data-title");
    window.L.marker([lat, lon], { title: card.getAttribute("data-title"), alt: card.getAttribute("data-title") })
      .bindPopup(link).addTo(map);
    points.push([lat, lon]);
  });
  if (points.length === 1) {
    map.setView(points[0], 13);
  } else if (points.length) {
    map.fitBounds(points, { padding: [24, 24], maxZoom: 14 });
  } else {
    box.hidden = true;
  }
})();
