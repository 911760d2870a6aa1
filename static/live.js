/* Live capture: Ctrl+Enter saves the contribution for the selected speaker and moves on.
 *
 * Nothing typed is lost when the network drops: the draft is kept in localStorage as it
 * is typed, and each contribution goes into an outbox (also in localStorage) with a
 * client key before it is sent. The server stores a client key once, so resending after
 * an unclear failure cannot create a duplicate. The outbox is retried every few seconds,
 * when the browser comes back online, and on the next page load.
 */
(function () {
  "use strict";
  const root = document.getElementById("live-root");
  if (!root) return;
  const form = document.getElementById("live-form");
  const text = document.getElementById("live-text");
  const status = document.getElementById("live-status");
  const captured = document.getElementById("captured");
  const draftKey = root.dataset.draftKey;
  const outboxKey = root.dataset.outboxKey;
  let sending = false;
  const warnings = [];
  let timerStart = Date.now();

  const load = (key, fallback) => JSON.parse(localStorage.getItem(key) || fallback);
  const outbox = () => load(outboxKey, "[]");
  const saveOutbox = (items) => localStorage.setItem(outboxKey, JSON.stringify(items));
  const newKey = () =>
    (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random()).replace(/-/g, "");

  text.value = localStorage.getItem(draftKey) || "";
  text.addEventListener("input", () => localStorage.setItem(draftKey, text.value));

  function selected() {
    return form.ownerDocument.querySelector('input[name="speaker"]:checked');
  }

  function markSpoken(radio) {
    const item = radio.closest("li");
    item.classList.add("spoken");
    const state = item.querySelector(".state");
    if (state) state.textContent = "✓";
    timerStart = Date.now();
  }

  function advance(fromRadio) {
    const radios = Array.from(document.querySelectorAll('.queue li input[name="speaker"]'))
      .filter((radio) => radio.value !== "f:" || radio === fromRadio);
    markSpoken(fromRadio);
    const start = radios.indexOf(fromRadio);
    for (let i = 1; i <= radios.length; i++) {
      const candidate = radios[(start + i) % radios.length];
      if (!candidate.closest("li").classList.contains("spoken")) {
        candidate.checked = true;
        break;
      }
    }
    timerStart = Date.now();
  }

  function showCaptured(entry) {
    const li = document.createElement("li");
    const who = document.createElement("strong");
    who.textContent = entry.label;
    li.append(who, ": ", entry.text);
    if (entry.pending) li.className = "pending";
    li.dataset.key = entry.client_key;
    captured.append(li);
  }

  async function flush() {
    if (sending) return;
    sending = true;
    try {
      for (const entry of outbox()) {
        const response = await fetch(root.dataset.post, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
          body: JSON.stringify(entry),
        });
        if (response.status !== 200 && response.status !== 201) throw new Error(String(response.status));
        const answer = await response.json();
        saveOutbox(outbox().filter((item) => item.client_key !== entry.client_key));
        const shown = captured.querySelector('[data-key="' + entry.client_key + '"]');
        if (shown) shown.classList.remove("pending");
        if (answer.warning) {
          warnings.push(answer.warning);
          if (shown) {
            // Next to the contribution it is about, and read out by the status region.
            const note = document.createElement("span");
            note.className = "pii-warning";
            note.textContent = " ⚠ " + root.dataset.msgPii;
            shown.append(note);
          }
        }
      }
      status.textContent = root.dataset.msgSaved + (warnings.length ? " " + warnings.pop() : "");
      warnings.length = 0;
    } catch (error) {
      status.textContent = root.dataset.msgWaiting + " (" + outbox().length + ")";
    } finally {
      sending = false;
    }
  }

  function submit(event) {
    if (event) event.preventDefault();
    const radio = selected();
    const content = text.value.trim();
    if (!radio || !content) return;
    let speaker = radio.value;
    let label = document.querySelector('label[for="' + radio.id + '"]').textContent;
    if (speaker === "f:") {
      // A facilitator label typed for this session ("Begeleider Sara").
      const typed = document.getElementById("facilitator-label").value.trim();
      if (!typed) { document.getElementById("facilitator-label").focus(); return; }
      speaker = "f:" + typed;
      label = typed;
    }
    const entry = { client_key: newKey(), phase: Number(root.dataset.phase), speaker: speaker, text: content, label: label, pending: true };
    saveOutbox(outbox().concat([entry]));
    showCaptured(entry);
    text.value = "";
    localStorage.removeItem(draftKey);
    // In the narrative (3) and the narrator's reaction (6) one person holds the floor.
    if (root.dataset.keepSpeaker) markSpoken(radio);
    else advance(radio);
    text.focus();
    flush();
  }

  form.addEventListener("submit", submit);
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) submit(event);
  });
  window.addEventListener("online", flush);
  setInterval(() => { if (outbox().length) flush(); }, 5000);

  // Entries left from a previous visit (closed tab, network down) are shown and resent.
  for (const entry of outbox()) if (entry.phase === Number(root.dataset.phase)) showCaptured(entry);
  if (outbox().length) flush();

  const timerBox = document.getElementById("show-timer");
  setInterval(() => {
    document.querySelectorAll(".queue .timer").forEach((span) => (span.textContent = ""));
    const radio = selected();
    if (!timerBox || !timerBox.checked || !radio) return;
    const seconds = Math.floor((Date.now() - timerStart) / 1000);
    const span = radio.closest("li").querySelector(".timer");
    if (span) span.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }, 1000);
  document.querySelectorAll('input[name="speaker"]').forEach((radio) =>
    radio.addEventListener("change", () => (timerStart = Date.now())));
  text.focus();
})();
