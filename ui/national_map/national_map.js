// National LSOA map: draws the 35,672 LSOAs of England and Wales on one canvas.
// Geometry: one binary file (hotspots/maps/lsoageom.py), fetched once from this
// component's own folder (served by the dashboard; the browser caches it: its name
// carries its content hash). Values: a class per LSOA (base64 bytes) and tooltip
// texts, sent by the page on each change. Nothing is requested from anywhere else.
(function () {
  "use strict";
  const HIDDEN = 255;
  const post = (type, extra) => window.parent.postMessage(
    Object.assign({ isStreamlitMessage: true, type: type }, extra || {}), "*");
  const canvas = document.getElementById("map");
  const ctx = canvas.getContext("2d");
  const tip = document.getElementById("tip");
  const status = document.getElementById("status");
  let geo = null;          // decoded geometry
  let geoUrl = null;
  let loading = null;
  let args = null;         // latest render arguments
  let classes = null;      // Uint8Array per feature
  let texts = null;        // tooltip value per feature
  let paths = null;        // {byClass: Map(class -> feature list), shown}
  let view = null;         // {cx, cy, s}: centre (m) and pixels per metre
  let fitKey = null;
  let firstPaint = false;

  function decode(buf) {
    const dv = new DataView(buf);
    const magic = new TextDecoder().decode(new Uint8Array(buf, 0, 8));
    if (magic !== "HSLSOA01") throw new Error("not a national LSOA geometry file");
    const nf = dv.getUint32(8, true), nr = dv.getUint32(12, true);
    const np = dv.getUint32(16, true), nm = dv.getUint32(20, true);
    const q = dv.getFloat64(24, true), x0 = dv.getFloat64(32, true), y0 = dv.getFloat64(40, true);
    let off = 56;
    const rpf = new Uint32Array(buf.slice(off, off + 4 * nf)); off += 4 * nf;
    const ppr = new Uint32Array(buf.slice(off, off + 4 * nr)); off += 4 * nr;
    const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, off, nm))); off += nm;
    const bytes = new Uint8Array(buf, off);
    const xy = new Float32Array(2 * np);   // metres from the origin (x0, y0)
    let i = 0, ax = 0, ay = 0;
    for (let c = 0; c < 2 * np; c++) {
      let z = 0, mul = 1, b;
      do { b = bytes[i++]; z += (b & 0x7f) * mul; mul *= 128; } while (b & 0x80);
      const v = (z % 2) ? -(z + 1) / 2 : z / 2;
      if (c & 1) { ay += v; xy[c] = ay * q; } else { ax += v; xy[c] = ax * q; }
    }
    const ringStart = new Uint32Array(nr + 1);
    for (let r = 0; r < nr; r++) ringStart[r + 1] = ringStart[r] + ppr[r];
    const featRing = new Uint32Array(nf + 1);
    for (let f = 0; f < nf; f++) featRing[f + 1] = featRing[f] + rpf[f];
    const bbox = new Float32Array(4 * nf);
    let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
    for (let f = 0; f < nf; f++) {
      let a = Infinity, b2 = Infinity, c2 = -Infinity, d = -Infinity;
      for (let p = ringStart[featRing[f]]; p < ringStart[featRing[f + 1]]; p++) {
        const x = xy[2 * p], y = xy[2 * p + 1];
        if (x < a) a = x; if (x > c2) c2 = x; if (y < b2) b2 = y; if (y > d) d = y;
      }
      bbox.set([a, b2, c2, d], 4 * f);
      if (a < minx) minx = a; if (b2 < miny) miny = b2; if (c2 > maxx) maxx = c2; if (d > maxy) maxy = d;
    }
    return { nf, xy, ringStart, featRing, bbox, codes: meta.codes, names: meta.names,
             ext: [minx, miny, maxx, maxy], grid: null };
  }

  // Grid index of feature boxes, for finding the LSOA under the pointer (built on the
  // first hover, not before the first paint).
  function buildGrid() {
    const { nf, bbox } = geo;
    const [minx, miny, maxx, maxy] = geo.ext;
    const G = 256, gw = (maxx - minx) / G || 1, gh = (maxy - miny) / G || 1;
    const cells = new Array(G * G);
    for (let f = 0; f < nf; f++) {
      const i0 = Math.max(0, Math.floor((bbox[4 * f] - minx) / gw));
      const i1 = Math.min(G - 1, Math.floor((bbox[4 * f + 2] - minx) / gw));
      const j0 = Math.max(0, Math.floor((bbox[4 * f + 1] - miny) / gh));
      const j1 = Math.min(G - 1, Math.floor((bbox[4 * f + 3] - miny) / gh));
      for (let gi = i0; gi <= i1; gi++) for (let gj = j0; gj <= j1; gj++) {
        const k = gj * G + gi; (cells[k] || (cells[k] = [])).push(f);
      }
    }
    geo.grid = { G, gw, gh, cells };
  }

  // Adds a feature's rings to the context's current path, skipping points closer than
  // `minStep` metres to the last one kept (sub-pixel detail at the scale drawn).
  function addFeature(f, minStep) {
    const { xy, ringStart, featRing } = geo;
    for (let r = featRing[f]; r < featRing[f + 1]; r++) {
      const s = ringStart[r], e = ringStart[r + 1];
      if (e - s < 3) continue;
      let lx = xy[2 * s], ly = xy[2 * s + 1];
      ctx.moveTo(lx, ly);
      for (let p = s + 1; p < e; p++) {
        const x = xy[2 * p], y = xy[2 * p + 1];
        if (Math.abs(x - lx) < minStep && Math.abs(y - ly) < minStep) continue;
        ctx.lineTo(x, y); lx = x; ly = y;
      }
      ctx.closePath();
    }
  }

  // Features by class (Path2D objects of millions of points took over a minute to
  // build in Chromium; the context's own path is drawn in a fraction of a second).
  function buildPaths() {
    const byClass = new Map();
    let shown = 0;
    for (let f = 0; f < geo.nf; f++) {
      const c = classes[f];
      if (c === HIDDEN) continue;
      let list = byClass.get(c);
      if (!list) { list = []; byClass.set(c, list); }
      list.push(f);
      shown++;
    }
    paths = { byClass, shown };
  }

  function shownExtent() {
    let a = Infinity, b = Infinity, c = -Infinity, d = -Infinity;
    for (let f = 0; f < geo.nf; f++) {
      if (classes[f] === HIDDEN) continue;
      const bb = geo.bbox;
      a = Math.min(a, bb[4 * f]); b = Math.min(b, bb[4 * f + 1]);
      c = Math.max(c, bb[4 * f + 2]); d = Math.max(d, bb[4 * f + 3]);
    }
    return isFinite(a) ? [a, b, c, d] : geo.ext;
  }

  function fit() {
    const [a, b, c, d] = shownExtent();
    const w = canvas.clientWidth, h = canvas.clientHeight;
    const s = 0.92 * Math.min(w / Math.max(c - a, 1), h / Math.max(d - b, 1));
    view = { cx: (a + c) / 2, cy: (b + d) / 2, s };
  }

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = (args && args.height) || 600;
    canvas.style.height = h + "px";
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }

  function draw() {
    if (!geo || !paths || !view) return;
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth, h = canvas.clientHeight;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const s = view.s * dpr;
    ctx.setTransform(s, 0, 0, -s, (w / 2 - view.cx * view.s) * dpr, (h / 2 + view.cy * view.s) * dpr);
    const colours = args.colours || {};
    // the world box on screen, to skip features outside it
    const vx0 = view.cx - w / 2 / view.s, vx1 = view.cx + w / 2 / view.s;
    const vy0 = view.cy - h / 2 / view.s, vy1 = view.cy + h / 2 / view.s;
    const minStep = 0.5 / (view.s * dpr);
    const bb = geo.bbox;
    const edges = view.s > 1 / 250;  // LSOA edges once a pixel is under 250 m
    const visible = [];
    // Paths of at most CHUNK features: one path of a class covering most of England and
    // Wales (a statistic's "not significant") took Chromium ~20 s to fill under load, ten
    // paths of a tenth each (deprivation deciles) ~2 s.
    const CHUNK = 2000;
    for (const [c, list] of paths.byClass) {
      ctx.fillStyle = colours[c] || "#bdbdbd";
      ctx.beginPath();
      let n = 0;
      for (const f of list) {
        if (bb[4 * f + 2] < vx0 || bb[4 * f] > vx1 || bb[4 * f + 3] < vy0 || bb[4 * f + 1] > vy1) {
          continue;
        }
        addFeature(f, minStep);
        if (edges) visible.push(f);
        if (++n % CHUNK === 0) { ctx.fill("evenodd"); ctx.beginPath(); }
      }
      ctx.fill("evenodd");
    }
    if (edges) {
      ctx.lineWidth = Math.min(1, view.s * 40) / view.s;
      ctx.strokeStyle = "rgba(60,60,60,0.55)";
      ctx.beginPath();
      let n = 0;
      for (const f of visible) {
        addFeature(f, minStep);
        if (++n % CHUNK === 0) { ctx.stroke(); ctx.beginPath(); }
      }
      ctx.stroke();
    }
    canvas.dataset.drawn = String(paths.shown);
    canvas.dataset.draws = String(Number(canvas.dataset.draws || 0) + 1);
    canvas.setAttribute("aria-label", `Map of ${paths.shown.toLocaleString("en-GB")} LSOAs`);
    if (!firstPaint) {
      firstPaint = true;
      document.body.dataset.firstPaint = String(performance.timeOrigin + performance.now());
    }
  }

  let pending = false;
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }

  function toWorld(px, py) {
    const w = canvas.clientWidth, h = canvas.clientHeight;
    return [view.cx + (px - w / 2) / view.s, view.cy - (py - h / 2) / view.s];
  }

  function inside(f, x, y) {
    const { xy, ringStart, featRing } = geo;
    let odd = false;
    for (let r = featRing[f]; r < featRing[f + 1]; r++) {
      const s = ringStart[r], e = ringStart[r + 1];
      for (let i = s, j = e - 1; i < e; j = i++) {
        const xi = xy[2 * i], yi = xy[2 * i + 1], xj = xy[2 * j], yj = xy[2 * j + 1];
        if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) odd = !odd;
      }
    }
    return odd;
  }

  function featureAt(px, py) {
    if (!geo || !view) return -1;
    const [x, y] = toWorld(px, py);
    if (!geo.grid) buildGrid();
    const g = geo.grid, [minx, miny] = geo.ext;
    const gi = Math.floor((x - minx) / g.gw), gj = Math.floor((y - miny) / g.gh);
    if (gi < 0 || gj < 0 || gi >= g.G || gj >= g.G) return -1;
    const list = g.cells[gj * g.G + gi] || [];
    for (const f of list) {
      if (classes[f] === HIDDEN) continue;
      const b = geo.bbox;
      if (x < b[4 * f] || x > b[4 * f + 2] || y < b[4 * f + 1] || y > b[4 * f + 3]) continue;
      if (inside(f, x, y)) return f;
    }
    return -1;
  }

  function showTip(ev) {
    const r = canvas.getBoundingClientRect();
    const px = ev.clientX - r.left, py = ev.clientY - r.top;
    const f = featureAt(px, py);
    if (f < 0) { tip.style.display = "none"; return; }
    const code = geo.codes[f];
    const labels = args.labels || {};
    const label = labels[code[0]] || labels["*"] || "Value";
    tip.textContent = "";
    const b = document.createElement("b");
    b.textContent = `${geo.names[f]} (${code})`;
    const names = args.names;  // a statistic: its class name, then the detail
    const value = names ? [names[classes[f]], texts[f]].filter(Boolean).join("; ")
      : (texts[f] || "no data");
    tip.append(b, document.createElement("br"), `${label}: ${value}`);
    tip.style.display = "block";
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    tip.style.left = Math.max(0, Math.min(px + 12, canvas.clientWidth - tw - 4)) + "px";
    tip.style.top = Math.max(0, Math.min(py + 12, canvas.clientHeight - th - 4)) + "px";
  }

  function zoomAt(px, py, factor) {
    const [x, y] = toWorld(px, py);
    view.s *= factor;
    const [x2, y2] = toWorld(px, py);
    view.cx += x - x2; view.cy += y - y2;
    redraw();
  }

  let drag = null;
  canvas.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY }; canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  canvas.addEventListener("pointermove", (ev) => {
    if (drag && view) {
      view.cx -= (ev.clientX - drag.x) / view.s; view.cy += (ev.clientY - drag.y) / view.s;
      drag = { x: ev.clientX, y: ev.clientY }; tip.style.display = "none"; redraw();
    } else { showTip(ev); }
  });
  canvas.addEventListener("pointerleave", () => { tip.style.display = "none"; });
  canvas.addEventListener("wheel", (ev) => {
    if (!view) return;
    ev.preventDefault();
    const r = canvas.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * 0.0015));
  }, { passive: false });
  canvas.addEventListener("dblclick", (ev) => {
    const r = canvas.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, 2);
  });
  const centre = () => [canvas.clientWidth / 2, canvas.clientHeight / 2];
  document.getElementById("zin").onclick = () => view && zoomAt(...centre(), 2);
  document.getElementById("zout").onclick = () => view && zoomAt(...centre(), 0.5);
  document.getElementById("fit").onclick = () => { if (geo) { fit(); redraw(); } };
  window.addEventListener("resize", () => { resize(); redraw(); });

  function decodeClasses(b64) {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function apply() {
    if (!geo || !args) return;
    classes = decodeClasses(args.classes);
    texts = args.texts.split("\n");
    if (classes.length !== geo.nf) {
      status.textContent = `The values (${classes.length}) do not match the boundaries (${geo.nf}).`;
      return;
    }
    buildPaths();
    canvas.dataset.applied = String(Number(canvas.dataset.applied || 0) + 1);
    if (fitKey !== args.fit_key || !view) { fitKey = args.fit_key; fit(); }
    status.textContent = `${paths.shown.toLocaleString("en-GB")} LSOAs`;
    redraw();
  }

  // The geometry file, from this browser's Cache Storage when it holds it: the server
  // sends no validators, so the HTTP cache would fetch it again on every visit. Its name
  // carries its content hash, so a stored copy is never stale; other copies are dropped.
  const CACHE = "hotspots-national-geometry";
  async function geometry(url) {
    let store = null;
    try {
      store = await caches.open(CACHE);
      const hit = await store.match(url);
      if (hit) return await hit.arrayBuffer();
    } catch (e) { store = null; }  // no Cache Storage (not a secure context): fetch
    const r = await fetch(url);
    if (!r.ok) throw new Error(`the boundaries could not be read (HTTP ${r.status})`);
    if (store) {
      try {
        await store.put(url, r.clone());
        const keep = new URL(url, location.href).href;
        for (const req of await store.keys()) if (req.url !== keep) store.delete(req);
      } catch (e) { /* full or refused: the map still draws */ }
    }
    return await r.arrayBuffer();
  }

  function load(url) {
    if (geoUrl === url && loading) return loading;
    geoUrl = url;
    loading = geometry(url).then((buf) => { if (geoUrl === url) { geo = decode(buf); apply(); } })
      .catch((e) => { status.textContent = "The map cannot be drawn: " + e.message; });
    return loading;
  }

  window.addEventListener("message", (ev) => {
    if (!ev.data || ev.data.type !== "streamlit:render") return;
    args = ev.data.args;
    post("streamlit:setFrameHeight", { height: (args.height || 600) + 2 });
    resize();
    load(args.geometry);
    apply();
  });
  if (document.body.dataset.geometry) load(document.body.dataset.geometry);  // before the args
  post("streamlit:componentReady", { apiVersion: 1 });
})();
