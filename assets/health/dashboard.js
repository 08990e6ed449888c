// Draws /health.json every 5 seconds: the urgency of each line, the pool
// and request-rate charts over the last minutes, and the raw figures. No
// library and nothing from another origin: the CSP allows only this one.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var levels = ["critical", "high", "medium", "low"];

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function fmt(value, digits) {
    if (value === null || value === undefined || Number.isNaN(value)) return "-";
    return typeof value === "number" ? value.toFixed(digits === undefined ? 0 : digits) : String(value);
  }

  function duration(secs) {
    var d = Math.floor(secs / 86400), h = Math.floor((secs % 86400) / 3600), m = Math.floor((secs % 3600) / 60);
    return (d ? d + "d " : "") + (h ? h + "h " : "") + m + "m " + (secs % 60) + "s";
  }

  function renderUrgency(lines) {
    var body = document.getElementById("urgency");
    body.replaceChildren();
    lines.slice().sort(function (a, b) { return levels.indexOf(a.level) - levels.indexOf(b.level); })
      .forEach(function (line) {
        var row = el("tr");
        var badge = el("td");
        badge.appendChild(el("span", line.level, "level " + line.level));
        row.appendChild(badge);
        row.appendChild(el("td", line.item, "item"));
        row.appendChild(el("td", line.says));
        row.dataset.item = line.item;
        body.appendChild(row);
      });
    var worst = lines.reduce(function (w, l) { return Math.min(w, levels.indexOf(l.level)); }, 3);
    var overall = document.getElementById("overall");
    overall.textContent = levels[worst];
    overall.className = "level " + levels[worst];
  }

  // Polylines of series over the samples' times, scaled to the largest value.
  function chart(id, samples, series) {
    var svg = document.getElementById(id);
    svg.replaceChildren();
    var width = 600, height = 140, pad = 4;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("preserveAspectRatio", "none");
    if (samples.length < 2) {
      var note = document.createElementNS(SVG, "text");
      note.setAttribute("x", 10); note.setAttribute("y", 24);
      note.textContent = "collecting samples (one every 5 s)";
      svg.appendChild(note);
      return;
    }
    var t0 = samples[0].atMs, t1 = samples[samples.length - 1].atMs;
    var top = 1;
    series.forEach(function (s) {
      samples.forEach(function (x, i) { var v = s.value(x, i); if (v !== null && v > top) top = v; });
    });
    series.forEach(function (s) {
      var points = [];
      samples.forEach(function (x, i) {
        var v = s.value(x, i);
        if (v === null) return;
        var px = pad + ((x.atMs - t0) / Math.max(1, t1 - t0)) * (width - 2 * pad);
        var py = height - pad - (v / top) * (height - 2 * pad);
        points.push(px.toFixed(1) + "," + py.toFixed(1));
      });
      var line = document.createElementNS(SVG, "polyline");
      line.setAttribute("points", points.join(" "));
      line.setAttribute("fill", "none");
      line.setAttribute("stroke", s.color);
      line.setAttribute("stroke-width", "2");
      line.setAttribute("vector-effect", "non-scaling-stroke");
      svg.appendChild(line);
    });
    var label = document.createElementNS(SVG, "text");
    label.setAttribute("x", width - 8); label.setAttribute("y", 14);
    label.setAttribute("text-anchor", "end"); label.setAttribute("font-size", "12");
    label.textContent = "max " + fmt(top, 1);
    svg.appendChild(label);
  }

  function rate(samples, i, field) {
    if (i === 0) return null;
    var secs = (samples[i].atMs - samples[i - 1].atMs) / 1000;
    return secs > 0 ? Math.max(0, samples[i][field] - samples[i - 1][field]) / secs : null;
  }

  function renderFigures(h) {
    var list = document.getElementById("figures");
    list.replaceChildren();
    var pool = h.pool || {};
    var subs = h.live.subscriptions || {};
    var codes = Object.keys(h.requests.errorsByCode || {}).map(function (c) { return c + " " + h.requests.errorsByCode[c]; });
    var jobs = h.jobs;
    [
      ["database", h.database.connected ? h.database.backend + ", connected" : h.database.backend + ": " + (h.database.failure ? h.database.failure.class + " - " + h.database.failure.message : "unreachable")],
      ["circuit breaker", h.circuit.state + (h.circuit.openForSecs ? " for " + fmt(h.circuit.openForSecs, 1) + " s" : "") + ", opened " + h.circuit.openedCount + " times"],
      ["pool", fmt(pool.in_use) + " in use / " + fmt(pool.size) + " open / " + fmt(pool.max) + " max, " + fmt(pool.idle) + " idle"],
      ["acquire time", h.poolAcquireMs === null ? "-" : fmt(h.poolAcquireMs, 2) + " ms"],
      ["requests", fmt(h.requests.total) + " (" + fmt(h.requests.perSecond, 2) + "/s)"],
      ["errors", fmt(h.requests.errors) + " (" + fmt(h.requests.errorsPerSecond, 2) + "/s)" + (codes.length ? ": " + codes.join(", ") : "")],
      ["websockets", fmt(h.live.websockets)],
      ["subscriptions", Object.keys(subs).map(function (k) { return k + " " + subs[k]; }).join(", ")],
      ["slow consumers", fmt(h.live.slowConsumers)],
      ["listener", h.events.listener + ", " + h.events.reconnects + " reconnects, lag " + (h.events.lagMs === null ? "-" : fmt(h.events.lagMs, 1) + " ms")],
      ["events", h.events.published + " published, " + h.events.dispatched + " dispatched"],
      ["background jobs", jobs ? jobs.rescoreJobs + " rescore, " + jobs.imports + " imports, " + jobs.bulkJobs + " bulk" : "unknown"],
      ["sign-ins throttled", fmt(h.throttledSignIns)],
      ["SQL statements", fmt(h.statements)],
      ["version", h.version],
      ["uptime", duration(h.uptimeSecs)],
    ].forEach(function (pair) {
      list.appendChild(el("dt", pair[0]));
      var value = el("dd", pair[1]);
      value.dataset.figure = pair[0];
      list.appendChild(value);
    });
  }

  function render(h) {
    renderUrgency(h.urgency);
    renderFigures(h);
    var samples = h.history || [];
    chart("pool-chart", samples, [
      { color: "#98a2b3", value: function (x) { return x.poolMax; } },
      { color: "#2e90fa", value: function (x) { return x.poolInUse; } },
    ]);
    chart("rate-chart", samples, [
      { color: "#12b76a", value: function (x, i) { return rate(samples, i, "requests"); } },
      { color: "#d92d20", value: function (x, i) { return rate(samples, i, "errors"); } },
    ]);
    document.getElementById("updated").textContent = new Date().toLocaleTimeString();
    document.getElementById("stale").textContent = "";
    document.body.dataset.loaded = "true";
  }

  function refresh() {
    fetch("/health.json", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(render)
      .catch(function (err) {
        document.getElementById("stale").textContent = "cannot reach the server: " + err.message;
      });
  }

  refresh();
  setInterval(refresh, 5000);
})();
