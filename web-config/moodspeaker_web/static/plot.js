/* The Now view's mood plot, drawn as SVG: valence and arousal over the last hour and a strip of the
   moods.  Loaded before app.js (base.html), whose $ and setText it uses when it draws. */
"use strict";

const MOOD_COLORS = {
  happy: "#f2b705", sad: "#4a7bd0", angry: "#d64545", fear: "#8e5bd0", surprise: "#ff8c42",
  disgust: "#5a9e4b", neutral: "#9aa0a6", unknown: "#cfd3d7",
};
const SVG_NS = "http://www.w3.org/2000/svg";

/* The time the chart spans: the hour asked for, or while there are fewer readings than that (the
   first hour after setup or after a clear) the time since the oldest, at least PLOT_MIN_S: on a fixed
   hour the first ten minutes were squeezed into the chart's right edge.  Said in words for the
   caption and the summary ("the last 10 minutes"). */
const PLOT_MIN_S = 300;
function plotSpan(data, samples) {
  const asked = data.minutes * 60;
  const since = samples.length ? data.now - samples[0].ts : asked;
  return Math.min(asked, Math.max(PLOT_MIN_S, since));
}
function spanWords(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes === 60) return "the last hour";
  return minutes % 60 === 0 ? `the last ${minutes / 60} hours` : `the last ${minutes} minutes`;
}

let lastPlot = null;
function drawPlot(data) {
  const svg = $("plot"); if (!svg) return;
  lastPlot = data;
  /* drawn as wide as it is shown (one unit a pixel): a fixed 360 stretched to a desktop's card made
     the dots ellipses and the labels wide */
  const W = Math.max(120, Math.round(svg.getBoundingClientRect().width) || 360), top = 6, bottom = 120, stripY = 130, stripH = 16;
  svg.setAttribute("viewBox", `0 0 ${W} 150`);
  const samples = data.samples || [];
  const span = plotSpan(data, samples), words = spanWords(span);
  const end = data.now, start = end - span;
  const x = (ts) => ((ts - start) / (end - start)) * W;
  const y = (v) => top + ((1 - Math.max(-1, Math.min(1, v))) / 2) * (bottom - top);
  const parts = [];
  const el = (name, attrs) => { const e = document.createElementNS(SVG_NS, name); for (const k in attrs) e.setAttribute(k, attrs[k]); parts.push(e); return e; };
  el("line", { x1: 0, x2: W, y1: y(0), y2: y(0), stroke: "#9aa0a6", "stroke-width": 0.6, "stroke-dasharray": "3 3" });
  for (const [key, color] of [["valence", "#e0a100"], ["arousal", "#5b5bd6"]]) {
    let d = "", last = null;
    for (const p of samples) {
      const gap = last === null || p.ts - last > 90;
      d += `${gap ? "M" : "L"}${x(p.ts).toFixed(1)},${y(p[key]).toFixed(1)} `;
      last = p.ts;
    }
    if (d) el("path", { d, fill: "none", stroke: color, "stroke-width": 2, "stroke-linejoin": "round", "vector-effect": "non-scaling-stroke" });
    const newest = samples[samples.length - 1];
    if (newest) el("circle", { cx: (x(newest.ts) - 3).toFixed(1), cy: y(newest[key]).toFixed(1), r: 3.5, fill: color });  // "now", visible even with one sample
  }
  samples.forEach((p, i) => {
    const next = i + 1 < samples.length ? samples[i + 1].ts : Math.min(end, p.ts + 10);
    const w = Math.max(0.8, x(Math.min(next, p.ts + 90)) - x(p.ts));
    el("rect", { x: x(p.ts).toFixed(1), y: stripY, width: w.toFixed(1), height: stripH, fill: MOOD_COLORS[p.mood] || MOOD_COLORS.unknown });
  });
  if (!samples.length) {
    const t = el("text", { x: W / 2, y: 70, "text-anchor": "middle", "font-size": 13 });
    t.textContent = `No mood readings in ${words}`;
  }
  /* the labels' colour is the stylesheet's (.plot svg text), one that reads in both schemes */
  const label = (text, ty) => { const t = el("text", { x: 4, y: ty, "font-size": 10 }); t.textContent = text; };
  label("+1", 14); label("−1", bottom - 2);
  svg.replaceChildren(...parts);
  const moods = samples.map((p) => p.mood);
  svg.setAttribute("aria-label", moods.length ? `Mood over ${words}, most recently ${moods[moods.length - 1]}` : `No mood readings in ${words}`);
  setText("plot-span", words.replace(/^the last/, "Last"));  // the caption's "Last 10 minutes"
}
