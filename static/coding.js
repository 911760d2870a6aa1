/* Coding view: turn a text selection into a coding.
 *
 * Offsets sent to the server are Unicode code points (not UTF-16 units), zero-based,
 * end exclusive, over the passage text. The .passage-text element contains exactly
 * the passage text, so the text of a DOM Range from its start to a boundary gives
 * the offset of that boundary. Without this script the page still shows codings and
 * lets people remove them (a shared form) and write memos (each coding's own page).
 */
(function () {
  "use strict";
  const root = document.getElementById("coding-root");
  if (!root) return;
  const api = root.dataset.api;
  const csrf = root.dataset.csrf;
  const show = root.dataset.show;
  const status = document.getElementById("coding-status");
  let saved = null; // {passage, start, end, text} of the last selection inside one passage

  const codePoints = (text) => Array.from(text).length;

  function say(message) {
    if (status) status.textContent = message;
  }

  function offsetOf(textElement, node, offset) {
    const range = document.createRange();
    range.setStart(textElement, 0);
    range.setEnd(node, offset);
    return codePoints(range.toString());
  }

  function currentSelection() {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    const range = selection.getRangeAt(0);
    const startText = closestText(range.startContainer);
    const endText = closestText(range.endContainer);
    if (!startText || startText !== endText) return "outside";
    const start = offsetOf(startText, range.startContainer, range.startOffset);
    const end = offsetOf(startText, range.endContainer, range.endOffset);
    if (end <= start) return null;
    const passage = startText.closest(".coding-passage");
    return { passage: passage, start: start, end: end, text: range.toString() };
  }

  function closestText(node) {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return element ? element.closest(".passage-text") : null;
  }

  document.addEventListener("selectionchange", function () {
    const selection = currentSelection();
    if (selection && selection !== "outside") saved = selection;
  });

  async function refresh(passage) {
    const url = passage.dataset.fragmentUrl + (show === "mine" ? "?show=mine" : "");
    const response = await fetch(url, { credentials: "same-origin" });
    if (response.ok) passage.outerHTML = await response.text();
  }

  async function apply(button) {
    const selection = currentSelection();
    const target = selection && selection !== "outside" ? selection : saved;
    if (selection === "outside" || !target || !document.contains(target.passage)) {
      say(root.dataset.msgSelect);
      return;
    }
    const response = await fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({
        passage_id: Number(target.passage.dataset.passageId),
        passage_version: Number(target.passage.dataset.version),
        start: target.start,
        end: target.end,
        theme: Number(button.dataset.themeId),
      }),
    });
    if (response.status === 201) {
      saved = null;
      window.getSelection().removeAllRanges();
      await refresh(target.passage);
      say(button.textContent.trim().replace(/^\d+\s*/, "") + ": “" + target.text + "”");
    } else {
      const body = await response.json().catch(() => ({}));
      say(body.message || "Error " + response.status);
      if (response.status === 409) await refresh(target.passage); // the text changed meanwhile
    }
  }

  root.addEventListener("click", function (event) {
    const button = event.target.closest(".apply-theme");
    if (button) apply(button);
  });

  // Keep the text selection when a palette button is pressed with the mouse.
  root.addEventListener("mousedown", function (event) {
    if (event.target.closest(".apply-theme")) event.preventDefault();
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    const button = root.querySelector('.apply-theme[data-key="' + event.key + '"]');
    if (!button) return;
    event.preventDefault();
    apply(button);
  });

  // Remove buttons submit the page's one shared form (form= and formaction=, so they work
  // without this script); with it, the coding is removed through the API instead.
  root.addEventListener("submit", async function (event) {
    const button = event.submitter;
    if (!button || !button.classList.contains("remove-coding")) return;
    event.preventDefault();
    const item = button.closest("[data-coding-id]");
    const response = await fetch(api + "/" + item.dataset.codingId, {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf },
    });
    if (response.status === 204) {
      const passage = button.closest(".coding-passage");
      await refresh(passage);
      say(item.querySelector(".tag").textContent + " ✕");
    }
  });
})();
