/* CareCircle Ordos: behaviour shared by every map of the app (loaded right after leaflet.js).
 *
 * 1. A press lands where it is made. Leaflet focuses the map on mousedown (for its keyboard
 *    controls) and then restores the scroll of its own window only. The app's maps live in iframes:
 *    there, focus() also scrolls the embedding page to bring the whole iframe into view, so when the
 *    map sticks out below the screen the page moves up between mousedown and click and the click is
 *    read that many pixels lower on the map (125 px at 1400x900 put a press on Dongsheng 118 km
 *    south). Focusing with preventScroll keeps keyboard navigation and moves nothing.
 * 2. Touch screens: one finger scrolls the page, two fingers move and zoom the map (a map filling
 *    the phone's screen would otherwise trap the page's scroll). A short hint says so.
 * 3. One-tap location: the locate button asks the browser for the position and reports it as a
 *    click at that point (the app reads clicks), or says why it cannot.
 */
(function () {
  "use strict";
  var L = window.L;
  if (!L) {
    return;
  }

  L.Map.Keyboard.prototype._onMouseDown = function () {
    if (this._focused) {
      return;
    }
    this._map.getContainer().focus({ preventScroll: true });
  };

  // WGS84 -> GCJ-02 (forward formula; the same constants as geo/crs.py) for maps drawn on GCJ-02 tiles.
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  function dLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
    return r;
  }
  function dLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
    r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
    r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
    return r;
  }
  function wgs84ToGcj02(lon, lat) {
    var dlat = dLat(lon - 105.0, lat - 35.0);
    var dlon = dLon(lon - 105.0, lat - 35.0);
    var radLat = (lat / 180.0) * Math.PI;
    var magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
    dlon = (dlon * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lon + dlon, lat + dlat];
  }

  function message(map) {
    var box = map._carecircleMessage;
    if (!box) {
      box = L.DomUtil.create("div", "carecircle-map-message", map.getContainer());
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      L.DomEvent.disableClickPropagation(box);
      map._carecircleMessage = box;
    }
    return box;
  }

  function say(map, text, isError) {
    var box = message(map);
    box.textContent = text || "";
    box.className = "carecircle-map-message" + (text ? " visible" : "") + (isError ? " error" : "");
  }

  function touchGestures(map, hint) {
    var coarse = window.matchMedia && window.matchMedia("(pointer: coarse)").matches;
    if (!L.Browser.touch || !(coarse || L.Browser.mobile)) {
      return;
    }
    // Without one-finger dragging Leaflet sets touch-action: pan-x pan-y, so the browser scrolls the
    // page; Leaflet's pinch handler still zooms and moves the map with two fingers.
    map.dragging.disable();
    var box = L.DomUtil.create("div", "carecircle-touch-hint", map.getContainer());
    box.textContent = hint;
    box.setAttribute("aria-hidden", "true");
    var timer = null;
    map.getContainer().addEventListener(
      "touchmove",
      function (e) {
        if (e.touches && e.touches.length === 1) {
          L.DomUtil.addClass(box, "visible");
          window.clearTimeout(timer);
          timer = window.setTimeout(function () {
            L.DomUtil.removeClass(box, "visible");
          }, 1500);
        }
      },
      { passive: true }
    );
  }

  var Locate = L.Control.extend({
    options: { position: "topleft", title: "", texts: {}, bounds: null, gcj02: false, zoom: 15 },

    onAdd: function (map) {
      var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control carecircle-locate-bar");
      var button = L.DomUtil.create("button", "carecircle-locate", bar);
      button.type = "button";
      button.title = this.options.title;
      button.setAttribute("aria-label", this.options.title);
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(button, "click", this._locate, this);
      map.on("locationfound", this._found, this);
      map.on("locationerror", this._error, this);
      return bar;
    },

    onRemove: function (map) {
      map.off("locationfound", this._found, this);
      map.off("locationerror", this._error, this);
    },

    _locate: function () {
      var texts = this.options.texts;
      if (!navigator.geolocation) {
        say(this._map, texts.unavailable, true);
        return;
      }
      say(this._map, texts.locating, false);
      this._map.locate({ enableHighAccuracy: true, timeout: 15000, maximumAge: 60000, setView: false });
    },

    _found: function (e) {
      var lon = e.latlng.lng;
      var lat = e.latlng.lat;
      var b = this.options.bounds;
      if (b && (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3])) {
        say(this._map, this.options.texts.outside, true);
        return;
      }
      say(this._map, "", false);
      var shown = this.options.gcj02 ? wgs84ToGcj02(lon, lat) : [lon, lat];
      var latlng = L.latLng(shown[1], shown[0]);
      this._map.setView(latlng, Math.max(this._map.getZoom(), this.options.zoom));
      // Reported as a click at the position: the page sets the location from it at once.
      this._map.fire("click", {
        latlng: latlng,
        layerPoint: this._map.latLngToLayerPoint(latlng),
        containerPoint: this._map.latLngToContainerPoint(latlng),
        located: true,
      });
    },

    _error: function (e) {
      var texts = this.options.texts;
      var text = e.code === 1 ? texts.denied : e.code === 3 ? texts.timeout : texts.unavailable;
      say(this._map, text, true);
    },
  });

  window.CareCircle = {
    wgs84ToGcj02: wgs84ToGcj02,
    /** Per-map set-up: touch gestures and the hint text (called by the map's own script). */
    setup: function (map, options) {
      touchGestures(map, (options && options.touchHint) || "");
    },
    /** The one-tap locate button. */
    locate: function (map, options) {
      return new Locate(options).addTo(map);
    },
  };
})();
