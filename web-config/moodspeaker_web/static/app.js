/* Moodspeaker page script: live status by polling and commands through /api with the CSRF token
   (the mood plot: plot.js, loaded before it).  No libraries and nothing from the internet: the phone
   may be offline, and the Content-Security-Policy allows only the speaker's own files. */
"use strict";

const $ = (id) => document.getElementById(id);
const csrf = () => document.querySelector('meta[name="csrf-token"]').content;

async function api(path, body) {
  const options = { credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.method = "POST";
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrf();
    options.body = JSON.stringify(body);
  }
  let response;
  try { response = await fetch(path, options); } catch (err) { throw new Unreachable(); }  // fetch's TypeError
  if (response.status === 401) toLogin();
  let data;
  try { data = await response.json(); } catch (err) { throw new Answered(response.status, `The speaker answered ${response.status} ${response.statusText}`.trim()); }
  if (!response.ok) throw new Answered(response.status, data.error || response.statusText);
  return data;
}

/* The login this page had has ended (logged out, everywhere or here; run out; a new password): to the
   login page, as a page opened then is sent (owner_required), which says so and comes back here. */
function toLogin() { window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname); }

/* No answer at all (the speaker is off, restarting or out of Wi-Fi): the browser's own words for it
   ("Failed to fetch", "NetworkError when attempting…") mean nothing to a listener. */
const UNREACHABLE = "Cannot reach the speaker";
class Unreachable extends Error { constructor() { super(UNREACHABLE); this.name = "Unreachable"; } }
/* An answer that is not the state asked for: `status` says whether the speaker refused (401 and 403:
   it is there and answers, so it is not out of reach) or failed (5xx: it is not answering). */
class Answered extends Error { constructor(status, text) { super(text); this.name = "Answered"; this.status = status; } }
const refusal = (err) => err instanceof Answered && (err.status === 401 || err.status === 403);

function setText(id, text) { const el = $(id); if (el && el.textContent !== text) el.textContent = text; }

/* What a command did, or that the speaker is out of reach, in a bar at the foot of the screen: the
   page is long on a phone, and a line at its end was never seen.  A passing message goes after a few
   seconds; a `lasting` one (a problem) stays until the next message. */
let liveTimer = null;
function live(text, lasting = false) {
  const el = $("live"); if (!el) return;
  setText("live", text);
  el.classList.toggle("shown", Boolean(text));
  placeLive();
  clearTimeout(liveTimer);
  if (text && !lasting) liveTimer = setTimeout(() => el.classList.remove("shown"), 4000);
}

/* The bar covers no control on screen: at the foot, unless a button, the slider or a field is there
   (the Now card at a phone's foot: the next press would hit the message), then at the top under the
   tabs; where both are taken, where it covers less.  Placed again as the page scrolls. */
function placeLive() {
  const el = $("live"); if (!el || !el.classList.contains("shown")) return;
  const controls = Array.from(document.querySelectorAll("main button, main input:not([type=hidden]), main select"))
    .map((c) => c.getBoundingClientRect()).filter((r) => r.width && r.height);
  const covered = () => {
    const t = el.getBoundingClientRect();
    return controls.reduce((sum, r) => sum + Math.max(0, Math.min(t.right, r.right) - Math.max(t.left, r.left)) *
      Math.max(0, Math.min(t.bottom, r.bottom) - Math.max(t.top, r.top)), 0);
  };
  el.classList.remove("at-top"); el.style.top = "";
  const atFoot = covered(); if (!atFoot) return;
  const header = document.querySelector("header.top");
  el.classList.add("at-top"); el.style.top = Math.round((header ? header.getBoundingClientRect().bottom : 0) + 8) + "px";
  if (covered() > atFoot) { el.classList.remove("at-top"); el.style.top = ""; }
}

/* The speaker out of reach (or not answering) is said until it answers again, then that it does.
   Meanwhile the cards that show its live state ([data-live]: the mood, the track, the pressed button,
   the queue) are dimmed and busy: they are what it last said, not what it does now. */
let troubled = false;
function stale(on) {
  document.querySelectorAll("[data-live]").forEach((card) => {
    card.classList.toggle("stale", on);
    if (on) card.setAttribute("aria-busy", "true"); else card.removeAttribute("aria-busy");
  });
}
function trouble(text) { troubled = true; stale(true); live(text, true); }
/* The speaker answers again: said, unless `say` is false (it answered with something else to say). */
function untroubled(say = true) { if (troubled) { troubled = false; stale(false); live(say ? "The speaker answers again." : ""); } }
/* A state the speaker sent: false when it says it is not answering (`unavailable`: its service
   fails behind this page), which is said as trouble; true (and any trouble over) otherwise. */
function answered(s) {
  if (s.unavailable) { trouble(s.unavailable); return false; }
  untroubled(); return true;
}
/* Ask `path` for the state every `every` ms and `show` it; no answer (or a failing one: 5xx) is
   trouble until one comes.  A refusal (401, 403) is no trouble: the speaker answers, and `refused` has
   it (the login ended, the guest view turned off).  The status page and the guest view follow the
   speaker this one way. */
function follow(path, show, every, refused) {
  const refresh = async () => {
    let s;
    try { s = await api(path); } catch (err) {
      if (refusal(err)) { untroubled(false); refused(err); return; }
      const said = err instanceof Answered && err.status < 500 ? err.message : UNREACHABLE + "; trying again…";
      trouble(said); return;
    }
    if (answered(s)) show(s);
  };
  refresh(); setInterval(refresh, every);
  return refresh;
}
/* What is playing: the status page's Now card and the guest view's; a track paused is headed so
   (the guest view, with no Play button to tell, said "Now playing" over it). */
function showNow(s) {
  const now = s.now_playing || {};
  const heading = now.title && s.playing === false ? "Paused" : "Now playing";
  setText("np-label", heading); setText("now-h", heading);
  setText("np-title", now.title || (s.playing ? "Playing" : "Nothing playing"));
  setText("np-artist", now.artist || "");
}

/* ---------- status page ---------- */

/* A volume was sent and not applied (no answer, or refused): the slider shows a value the speaker
   does not play at, until the next state puts it back. */
let volumeRefused = false;

function showState(s) {
  if (!answered(s)) return;
  const camera = s.camera !== false;
  const mood = camera ? (s.mood || "unknown") : "unknown";
  const conf = typeof s.confidence === "number" ? s.confidence : 0;
  /* a mood hardly believed (mid-change the filter holds the mood it announced while its belief has
     moved on) is no headline: "Not sure", greyed, under the card's threshold (views.UNSURE_BELOW) */
  const card = $("mood-word") && $("mood-word").closest("[data-unsure-below]");
  const unsure = mood !== "unknown" && card !== null && conf < Number(card.dataset.unsureBelow);
  setText("mood-word", camera ? (mood === "unknown" ? "Not sure yet" : unsure ? "Not sure" : mood) : "Camera off");
  const word = $("mood-word"); if (word) word.classList.toggle("unsure", unsure);
  const dot = $("mood-dot"); if (dot) dot.dataset.mood = unsure ? "unknown" : mood;
  const meter = $("mood-conf"); if (meter) meter.value = camera ? conf : 0;
  setText("mood-conf-text", camera ? Math.round(conf * 100) + "%" : "–");
  let note = "";
  if (!camera) note = "The camera is off: music follows your taste.";
  else if (s.face === false) note = mood === "unknown" ? "No face in view right now." : `No face in view: holding ${mood}.`;
  else if (unsure) note = `The music still follows ${mood} until a mood is clear.`;
  else if (typeof s.valence === "number") note = `valence ${s.valence.toFixed(2)} · arousal ${(s.arousal || 0).toFixed(2)}`;
  setText("mood-note", note);

  showNow(s);
  showReason((s.now_playing || {}).reason);
  const play = $("btn-play"), pause = $("btn-pause");
  if (play) play.setAttribute("aria-pressed", s.playing ? "true" : "false");
  if (pause) pause.setAttribute("aria-pressed", s.playing ? "false" : "true");

  /* the slider is left alone while a finger or key holds it, but not after a volume the speaker
     did not take: it goes back to the speaker's own */
  const volume = $("volume");
  if (volume && (volumeRefused || document.activeElement !== volume) && typeof s.volume === "number") {
    volume.value = Math.round(s.volume * 100);
    setText("volume-out", volume.value + "%");
    volumeRefused = false;
  }
  for (const key of ["strategy", "profile"]) {
    const select = $(key);
    if (!select || document.activeElement === select || !s[key]) continue;
    if (key === "profile" && Array.isArray(s.profiles)) syncOptions(select, s.profiles);
    select.value = s[key];
  }
  const queue = $("queue");
  if (queue) {
    const items = Array.isArray(s.queue) ? s.queue : [];
    queue.replaceChildren(...(items.length ? items.slice(0, 10).map(queueItem) : [hintItem("Nothing planned yet.")]));
  }
}

/* A track's reason is written when the track is picked, usually as the mood changes, while the
   filter's belief in the new mood is still low; the mood line above is live.  So the reason says it
   is from then: "you look angry (18% sure)" next to a live 49% read as two answers to one question. */
const REASON_LABEL = "Why, when picked:";
function showReason(reason) {
  const el = $("np-reason"); if (!el) return;
  const text = reason ? REASON_LABEL + " " + reason : "";
  if (el.textContent === text) return;
  if (!reason) { el.replaceChildren(); return; }
  const label = document.createElement("span"); label.className = "when"; label.textContent = REASON_LABEL;
  el.replaceChildren(label, " " + reason);
}

function syncOptions(select, names) {
  const have = Array.from(select.options).map((o) => o.value).join("\n");
  if (have === names.join("\n")) return;
  select.replaceChildren(...names.map((n) => { const o = document.createElement("option"); o.value = n; o.textContent = n; return o; }));
}

function hintItem(text) { const li = document.createElement("li"); li.className = "hint"; li.textContent = text; return li; }

function queueItem(item) {
  const li = document.createElement("li");
  if (typeof item === "string") { li.textContent = item; return li; }
  const title = document.createElement("span"); title.textContent = item.title || item.track_id || "?";
  li.append(title);
  if (item.artist) { const by = document.createElement("span"); by.className = "by"; by.textContent = " · " + item.artist; li.append(by); }
  if (item.reason) li.title = REASON_LABEL + " " + item.reason;
  return li;
}

function commandFromForm(form) {
  const fd = new FormData(form);
  const command = fd.get("command");
  const args = {};
  if (command === "set_volume") args.volume = Number(fd.get("volume")) / 100;
  if (command === "set_strategy") args.strategy = fd.get("strategy");
  if (command === "set_profile") args.profile = fd.get("profile");
  return { command, args };
}

/* What the live region says after a command, in the page's own words (the buttons', the pickers'
   labels), not the command's name.  A change the busy player has not applied yet (the state's
   `pending` has the command's part of the state; the next poll shows it in effect) comes in a moment. */
const DONE_WORDS = {
  play: "Playing", pause: "Paused", replay: "Playing it again", next: "Next track", like: "Liked",
  dislike: "Not this one: skipped",
};
const COMMAND_PART = { play: "playing", pause: "playing", replay: "now_playing", next: "now_playing", dislike: "now_playing", set_volume: "volume" };
function optionLabel(id, value) {
  const select = $(id);
  const option = select && Array.from(select.options).find((o) => o.value === value);
  return option ? option.textContent : String(value);
}
function commandOutcome(command, state) {
  const s = state || {}, pending = s.pending || {};
  const part = COMMAND_PART[command];
  const now = (key) => (key in pending ? pending[key] : s[key]);
  let words = DONE_WORDS[command] || command.replace(/_/g, " ");
  if (command === "set_volume") words = typeof now("volume") === "number" ? `Volume ${Math.round(now("volume") * 100)}%` : "Volume set";
  if (command === "set_strategy") words = "Strategy: " + optionLabel("strategy", now("strategy"));
  if (command === "set_profile") words = "Listener: " + now("profile");
  return part && part in pending ? `${words} (in a moment: the player is busy)` : words;
}

/* Commands go out one after another: two quick volume key presses must arrive in the order pressed. */
let commandChain = Promise.resolve();

function runCommand(form) {
  const body = commandFromForm(form);  // read now, at the moment of the key press or click
  commandChain = commandChain.then(async () => {
    try {
      const result = await api("/api/command", body);
      showState(result.state);
      live(commandOutcome(body.command, result.state));
    } catch (err) {
      if (body.command === "set_volume") volumeRefused = true;
      const text = "Not done: " + (err instanceof Unreachable ? "cannot reach the speaker" : err.message);
      if (err instanceof Unreachable) trouble(text); else live(text, true);
    }
  });
  return commandChain;
}

function initStatus() {
  document.querySelectorAll("form.cmd").forEach((form) => {
    form.addEventListener("submit", (event) => { event.preventDefault(); runCommand(form); });
    form.querySelectorAll("select").forEach((s) => s.addEventListener("change", () => runCommand(form)));
  });
  const volume = $("volume");
  if (volume) {
    volume.addEventListener("input", () => setText("volume-out", volume.value + "%"));
    volume.addEventListener("change", () => runCommand(volume.form));
  }
  const tell = $("tell");
  if (tell) tell.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("tell-text"); const text = input.value.trim(); if (!text) return;
    try {
      const result = await api("/api/tell", { text });
      setText("tell-reply", result.reply);  // what was refused is said in it, with why (tell_outcome)
      // understood (also with nothing to do: "never mind") or partly done: sent; a refusal stays to be fixed
      if (result.ok || result.done.length) input.value = "";
      refresh();
    } catch (err) { setText("tell-reply", err.message); if (err instanceof Unreachable) trouble(UNREACHABLE + "; trying again…"); }
  });
  const refresh = follow("/api/state", showState, 2000, toLogin);
  const refreshPlot = async () => { try { drawPlot(await api("/api/history?minutes=60")); } catch (err) { /* keep the old plot */ } };
  refreshPlot();
  window.addEventListener("resize", () => { if (lastPlot) drawPlot(lastPlot); placeLive(); });
  window.addEventListener("scroll", placeLive, { passive: true });
  setInterval(refreshPlot, 15000);
}

/* ---------- settings page: rescan and its progress ---------- */

/* One sentence about the library scan, worded as views.scan_text words it for the first render.
   The service reports one scan from the first request to the end of the last pass merged into it
   (Rescan pressed again while it runs), so "finished" is said only when the whole update is done. */
function scanText(scan) {
  if (scan.running) {
    const parts = "seen" in scan ? [`${scan.seen} files`] : [];
    if (scan.short) parts.push(`${scan.short} too short`);
    if (scan.total) parts.push(`analysed ${scan.done || 0} of ${scan.total}`);
    if (scan.failed) parts.push(`${scan.failed} failed`);
    let text = parts.length ? `Scanning… ${parts.join(", ")}` : "Scanning the library…";
    if (scan.queued) text += " (one more pass follows)";
    else if ((scan.pass || 0) > 1) text += ` (pass ${scan.pass})`;
    return text;
  }
  if (scan.result) return `Scan finished (${scan.result}).`;
  return `Last scan: ${"seen" in scan ? scan.seen : (scan.done || 0)} files`;
}

function initSettings() {
  const button = $("rescan"); if (!button) return;
  let timer = null;
  const show = (scan) => {
    const bar = $("scan-progress");
    if (!scan || !Object.keys(scan).length) return false;
    if (bar) {
      bar.hidden = false; bar.max = scan.total || 1;
      if (scan.running && !scan.total) bar.removeAttribute("value"); else bar.value = scan.running ? (scan.done || 0) : bar.max;
    }
    setText("scan-text", scanText(scan));
    return Boolean(scan.running);
  };
  const poll = async () => {
    try {
      const s = await api("/api/state");
      const library = ((s.health || {}).components || {}).library;
      if (library && (library.detail || library.state)) setText("library-detail", `Library now: ${library.detail || library.state}`);
      if (!show(s.scan)) { clearInterval(timer); timer = null; }
    } catch (err) { /* try again */ }
  };
  const follow = () => { if (!timer) timer = setInterval(poll, 1000); };
  /* Pressing it again while a scan runs is allowed: the speaker merges it into one more pass (for
     music copied meanwhile); only a request still on its way disables it. */
  button.addEventListener("click", async () => {
    button.disabled = true; if (!timer) setText("scan-text", "Starting the scan…");
    try { const r = await api("/api/rescan", {}); show(r.scan); } catch (err) { setText("scan-text", err.message); return; } finally { button.disabled = false; }
    follow();
  });
  if (button.dataset.scanning) follow();  /* opened while a scan runs (the start-up scan, another phone) */
}

/* ---------- guest view ---------- */

/* What is playing, and as on the status page, that the speaker cannot be reached (its card dimmed).
   The owner turning the guest view off (the speaker refuses: 403) takes the track away and says so;
   turned on again, the next answer shows what plays. */
function guestRefused(err) {
  setText("np-title", err.message);
  setText("np-artist", "");
}
function initGuest() {
  follow("/api/guest", showNow, 3000, guestRefused);
  window.addEventListener("scroll", placeLive, { passive: true });
}

function initTimes() {
  document.querySelectorAll("time[data-ts]").forEach((t) => {
    const d = new Date(Number(t.dataset.ts) * 1000);
    if (!isNaN(d)) t.textContent = d.toLocaleTimeString();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page === "status") initStatus();
  if (page === "settings") initSettings();
  if (page === "guest") initGuest();
  initTimes();
});
