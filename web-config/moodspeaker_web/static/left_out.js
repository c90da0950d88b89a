/* Settings → Music library's "Show files left out": the files the library leaves out and the tracks
   held back because they failed to play, each with why (/api/left-out, moodspeaker_web/left_out.py).
   Uses app.js's helpers ($, api, setText), loaded before it. */
"use strict";

/* Loaded when "Show files left out" is opened (every time: a rescan may have changed it), 200 of
   each list at a time (/api/left-out; "Show more" asks for the next ones). */
function leftOutItem(entry, held) {
  const li = document.createElement("li");
  const name = document.createElement("span");
  name.textContent = held ? entry.title + (entry.artist ? ` (${entry.artist})` : "") : entry.path;
  const why = document.createElement("p");
  why.className = "hint";
  /* "too short for music: 1.0 s, …" says its why itself; "failed to decode (container not recognised)" */
  const text = !entry.detail ? entry.why : entry.detail.toLowerCase().startsWith(entry.why) ? entry.detail : `${entry.why} (${entry.detail})`;
  const parts = held ? [entry.path, text, `since ${new Date(entry.since * 1000).toLocaleString()}`] : [text];
  why.textContent = parts.filter(Boolean).join(" · ");
  li.append(name, why);
  return li;
}

function initLeftOut() {
  const box = $("left-out"); if (!box) return;
  const lists = { files: "left-out-files", held_back: "left-out-held" };
  const shown = { files: 0, held_back: 0 };
  const add = (name, part) => {
    const id = lists[name];
    part.items.forEach((entry) => $(id).append(leftOutItem(entry, name === "held_back")));
    shown[name] = part.offset + part.items.length;
    $(`${id}-h`).hidden = !part.total;
    const more = $(`${id}-more`);
    more.hidden = !part.rest;
    more.textContent = `Show more (${part.rest} not shown)`;
  };
  const load = async () => {
    setText("left-out-text", "Loading…");
    try {
      const r = await api("/api/left-out");
      for (const name of Object.keys(lists)) { $(lists[name]).replaceChildren(); add(name, r[name]); }
      const files = r.files.total, held = r.held_back.total;
      setText("left-out-text", !r.available ? "This speaker keeps no library index to ask."
        : files || held ? `${files} ${files === 1 ? "file" : "files"} not in the library, ${held} ${held === 1 ? "track" : "tracks"} held back.`
        : "Nothing is left out: every music file found is in the library.");
    } catch (err) { setText("left-out-text", err.message); }
  };
  box.addEventListener("toggle", () => { if (box.open) load(); });
  for (const name of Object.keys(lists)) {
    $(`${lists[name]}-more`).addEventListener("click", async () => {
      try { add(name, (await api(`/api/left-out?list=${name}&offset=${shown[name]}`))[name]); } catch (err) { setText("left-out-text", err.message); }
    });
  }
}

document.addEventListener("DOMContentLoaded", initLeftOut);
