/* Community safety hotspots: keep side-by-side Leaflet maps on the same view. */
(function () {
  "use strict";
  function hsSyncMaps(maps) {
    var busy = false;
    function follow(leader) {
      if (busy) { return; }
      busy = true;
      try {
        var centre = leader.getCenter(), zoom = leader.getZoom();
        maps.forEach(function (other) {
          if (other !== leader) { other.setView(centre, zoom, {animate: false}); }
        });
      } finally {
        busy = false;
      }
    }
    maps.forEach(function (m) {
      m.on("move zoomend", function () { follow(m); });
    });
    if (maps.length > 1) { follow(maps[0]); }
  }
  window.hsSyncMaps = hsSyncMaps;
}());
/* Community safety hotspots: map layers drawn from a static GeoJSON file. */
(function () {
  "use strict";
  var parsed = {};
  function store() {
    var w = window;
    try { if (window.top && window.top.document) { w = window.top; } } catch (e) { w = window; }
    if (!w.__hsGeoText) { w.__hsGeoText = new w.Object(); }
    return w.__hsGeoText;
  }
  function hsGeo(url) {
    if (!parsed[url]) {
      var texts = store(), text = texts[url];
      var got = typeof text === "string" ? Promise.resolve(text)
        : fetch(url, {credentials: "same-origin"}).then(function (r) {
          if (!r.ok) { throw new Error("map geometry " + url + ": HTTP " + r.status); }
          return r.text();
        }).then(function (t) { texts[url] = t; return t; });
      parsed[url] = got.then(function (t) { return JSON.parse(t); });
    }
    return parsed[url];
  }
  var css = false;
  function addCss() {
    if (css) { return; }
    css = true;
    var s = document.createElement("style");
    s.textContent = ".hs-tip { font-size: 13px; } .hs-tip table { margin: auto; }"
      + " .hs-tip tr { text-align: left; } .hs-tip th { padding: 2px; padding-right: 8px; }";
    document.head.appendChild(s);
  }
  function table(labels, values) {
    var t = document.createElement("table");
    for (var i = 0; i < labels.length; i++) {
      var tr = t.insertRow(), th = document.createElement("th"), td = document.createElement("td");
      th.innerHTML = labels[i];  /* escaped by the server, as folium's tooltips are */
      td.innerHTML = values[i] === null || values[i] === undefined ? "" : String(values[i]);
      tr.appendChild(th);
      tr.appendChild(td);
    }
    return t;
  }
  function own(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function fill(layer, url) {
    hsGeo(url).then(function (data) { layer.addData(data); },
                    function (err) { if (window.console) { console.error(err); } });
  }
  function hsWardLayer(map, spec) {
    var row = {};
    spec.ids.forEach(function (id, i) { row[id] = i; });
    addCss();
    var layer = L.geoJson(null, {
      attribution: spec.attribution || null,
      filter: function (f) { return own(row, f.id); },
      style: function (f) {
        return L.extend({}, spec.style, {fillColor: spec.colours[spec.fill[row[f.id]]]});
      },
      onEachFeature: function (f, l) {
        var i = row[f.id];
        l.on("mouseover", function () { l.setStyle(spec.highlight); });
        l.on("mouseout", function () { layer.resetStyle(l); });
        if (!spec.fields.length) { return; }
        l.bindTooltip(function () {
          return table(spec.aliases, spec.fields.map(function (name) {
            return own(spec.values, name) ? spec.values[name][i] : (f.properties || {})[name];
          }));
        }, {sticky: true, className: "hs-tip"});
      }
    });
    layer.addTo(map);
    fill(layer, spec.url);
    return layer;
  }
  function hsOutlineLayer(map, spec) {
    var keep = {}, pane = "hsOutlines";
    spec.keep.forEach(function (id) { keep[id] = true; });
    if (!map.getPane(pane)) {  /* above the wards whichever file arrives first */
      map.createPane(pane).style.zIndex = 450;
      map.getPane(pane).style.pointerEvents = "none";
    }
    var layer = L.geoJson(null, {
      pane: pane, interactive: false,
      filter: function (f) { return own(keep, f.id); },
      style: function () { return spec.style; }
    });
    layer.addTo(map);
    fill(layer, spec.url);
    return layer;
  }
  window.hsWardLayer = hsWardLayer;
  window.hsOutlineLayer = hsOutlineLayer;
}());
/* Community safety hotspots: a hover tooltip always lies inside its map.
   Leaflet puts a sticky tooltip to the left of the pointer on the right half of the map,
   so a tooltip wider than the pointer's distance from the left edge was cut off there
   (and likewise at the other edges): shift it back inside the map's box. */
(function () {
  "use strict";
  if (!window.L || !L.Tooltip || L.Tooltip.prototype.hsInside) { return; }
  var place = L.Tooltip.prototype._setPosition;
  L.Tooltip.prototype._setPosition = function (pos) {
    var map = this._map, el = this._container;
    if (map && el) {  /* never wider than the map: long values wrap */
      el.style.maxWidth = Math.max(80, map.getSize().x - 4) + "px";
      el.style.whiteSpace = "normal";
    }
    place.call(this, pos);
    if (!map || !el || !L.DomUtil.getPosition(el)) { return; }
    /* boxes on screen: Leaflet's CSS also shifts a tooltip 6 px by its margin */
    var box = el.getBoundingClientRect(), frame = map.getContainer().getBoundingClientRect();
    var dx = Math.max(0, frame.left - box.left) || Math.min(0, frame.right - box.right);
    var dy = Math.max(0, frame.top - box.top) || Math.min(0, frame.bottom - box.bottom);
    if (dx || dy) { L.DomUtil.setPosition(el, L.DomUtil.getPosition(el).add([dx, dy])); }
  };
  L.Tooltip.prototype.hsInside = true;
}());
