/* Theme sweep: decide the passage shown with one key, update the page in place.
 *
 * A or 1 accepts, R or 0 rejects, S skips (the buttons carry the same decisions, and
 * without this script they post the form and the page reloads). The server answers
 * with the progress figures and the new queue, already rendered and escaped.
 */
(function () {
  "use strict";
  const root = document.getElementById("sweep-root");
  if (!root) return;
  const status = document.getElementById("sweep-status");
  const progress = document.getElementById("sweep-progress");
  const keys = { a: "accept", 1: "accept", r: "reject", 0: "reject", s: "skip" };
  let busy = false;

  function show(data) {
    root.innerHTML = data.html;
    for (const [name, value] of Object.entries(data.progress)) {
      const field = progress.querySelector('[data-field="' + name + '"]');
      if (field) field.textContent = String(value);
    }
    if (status) status.textContent = data.message || "";
    root.dataset.version = String(Number(root.dataset.version || 0) + 1);
  }

  async function send(decision) {
    const form = document.getElementById("sweep-form");
    if (!form || busy) return;
    busy = true;
    const body = new FormData(form);
    body.set("decision", decision);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": body.get("csrf_token") },
        body: body,
      });
      const type = response.headers.get("Content-Type") || "";
      if (type.includes("application/json")) {
        const data = await response.json();
        if (data.html !== undefined) show(data);
        else if (status) status.textContent = data.message || String(response.status);
      } else {
        window.location.reload(); // an unexpected answer (a login page): start afresh
      }
    } catch (error) {
      if (status) status.textContent = root.dataset.msgOffline;
    } finally {
      busy = false;
    }
  }

  root.addEventListener("click", function (event) {
    const button = event.target.closest("#sweep-form button[name=decision]");
    if (!button) return;
    event.preventDefault();
    send(button.value);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    const decision = keys[event.key.toLowerCase()];
    if (!decision) return;
    event.preventDefault();
    send(decision);
  });
})();
