/* Opportunity form: progressive enhancement only. Without JavaScript every field
 * is shown and the latitude/longitude boxes are the map pin.
 *
 * 1. Shows only the fieldset that fits the chosen kind (shifts / small act).
 * 2. If Leaflet is loaded, adds a small map: click (or drag the pin) to fill in
 *    the latitude and longitude boxes, which stay visible and editable.
 */
(function () {
  "use strict";
  var form = document.querySelector(".opp-form form");
  if (!form) { return; }

  function showKind() {
    var chosen = form.querySelector("input[name=kind]:checked");
    var kind = chosen ? chosen.value : "one_off";
    ["shifts", "small_act"].forEach(function (name) {
      var box = form.querySelector(".opp-kind-" + name);
      if (box) { box.hidden = kind !== name; }
    });
  }
  form.querySelectorAll("input[name=kind]").forEach(function (radio) {
    radio.addEventListener("change", showKind);
  });
  showKind();

  var holder = document.getElementById("opp-pin");
  var latBox = document.getElementById("lat");
  var lonBox = document.getElementById("lon");
  if (!holder || !latBox || !lonBox || typeof window.L === "undefined") { return; }

  var box = document.createElement("div");
  box.className = "opp-pin-map";
  box.setAttribute("role", "application");
  box.setAttribute("aria-label", "Map: click to place the pin. You can also type the latitude and longitude below.");
  holder.insertBefore(box, holder.querySelector(".field"));

  var lat = parseFloat(latBox.value);
  var lon = parseFloat(lonBox.value);
  var hasPin = isFinite(lat) && isFinite(lon);
  var map = window.L.map(box, { scrollWheelZoom: false })
    .setView(hasPin ? [lat, lon] : [40.7128, -74.006], hasPin ? 15 : 10);
  var tiles = holder.getAttribute("data-tile-url");
  if (tiles) {
    window.L.tileLayer(tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap contributors" }).addTo(map);
  }
  var marker = null;

  function place(point) {
    latBox.value = point.lat.toFixed(5);
    lonBox.value = point.lng.toFixed(5);
    if (marker) {
      marker.setLatLng(point);
    } else {
      marker = window.L.marker(point, { draggable: true, alt: "The pin" }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    }
  }
  if (hasPin) { place(window.L.latLng(lat, lon)); }
  map.on("click", function (event) { place(event.latlng); });
})();
