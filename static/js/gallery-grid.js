// <gallery-grid>: the gallery's justified rows, drag-to-board, and the toast that offers Undo.
//
// Rows: each tile grows in proportion to its image's width/height (read from its link's data-w/data-h
// and set on the tile as --ar; the CSP forbids style attributes, not the CSSOM), so a row's images share one height and
// keep their aspect ratio. New tiles (infinite scroll, filters) arrive through htmx and are measured
// on htmx:load. Drag: a tile dropped on a board of the board bar is added to it (the same request as
// the tile's "Add to board" menu, which is the keyboard path). Toast: the server names what happened
// through HX-Trigger events; deleted jobs' tiles are hidden, and shown again on Undo.
const IMAGE_TYPE = "application/x-wan-image";

class GalleryGrid extends HTMLElement {
  connectedCallback() {
    if (this._listeners) return;
    this.measure(this);
    this._listeners = {
      "htmx:load": (event) => this.measure(event.target),
      "gallery-toast": (event) => this.say(event.detail.message),
      "job-trashed": (event) => this.trashed(event.detail.job, true),
      "job-restored": (event) => this.trashed(event.detail.job, false),
      click: (event) => {
        if (event.target.closest("[data-toast-close]")) this.querySelector("#gallery-toast").replaceChildren();
        // A click elsewhere closes an open "Add to board" menu, as a menu would.
        this.closeMenus(event.target.closest("details.board-picker"));
      },
      keydown: (event) => {
        // Esc closes an open "Add to board" menu and puts focus back on its button.
        const menu = event.key === "Escape" && event.target.closest("details[open]");
        if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
      },
      dragstart: (event) => this.dragStart(event),
      dragover: (event) => this.dragOver(event),
      dragleave: (event) => event.target.closest?.(".board-drop")?.classList.remove("drop-ready"),
      drop: (event) => this.drop(event),
    };
    // Events from htmx answers are fired on the element that asked, anywhere in the page.
    for (const [name, handler] of Object.entries(this._listeners)) document.addEventListener(name, handler);
    // One menu open at a time ("toggle" does not bubble: caught on the way down).
    this._onToggle = (event) => {
      if (event.target.matches?.("details.board-picker") && event.target.open) this.closeMenus(event.target);
    };
    document.addEventListener("toggle", this._onToggle, true);
  }

  closeMenus(except) {
    for (const menu of this.querySelectorAll("details.board-picker[open]")) if (menu !== except) menu.open = false;
  }

  disconnectedCallback() {
    for (const [name, handler] of Object.entries(this._listeners || {})) document.removeEventListener(name, handler);
    document.removeEventListener("toggle", this._onToggle, true);
    this._listeners = null;
  }

  measure(root) {
    // A storyboard strip's frames are not measured: the strip keeps the width its CSS gives it.
    for (const link of root.querySelectorAll?.(".tile > a.tile-open[data-w][data-h]") || []) {
      const ratio = Number(link.dataset.w) / Number(link.dataset.h);
      if (ratio > 0 && Number.isFinite(ratio)) link.parentElement.style.setProperty("--ar", ratio.toFixed(4));
    }
  }

  say(message) {
    const toast = this.querySelector("#gallery-toast");
    const text = document.createElement("p");
    text.className = "toast-text";
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link toast-close";
    close.dataset.toastClose = "";
    close.setAttribute("aria-label", gettext("Dismiss this message"));
    close.textContent = "×";
    toast.replaceChildren(text, close);
  }

  trashed(job, hidden) {
    const links = this.querySelectorAll(`a.tile-open[data-job="${Number(job)}"]`);
    const tiles = [...new Set([...links].map((link) => link.closest(".tile")))];
    for (const tile of tiles) tile.hidden = hidden;
    if (!hidden && tiles.length === 0) {
      // Deleted from its own page, so it was never in this grid: fetch the grid again to show it.
      htmx.ajax("GET", location.href, { target: "#gallery-results", swap: "outerHTML" });
      return;
    }
    // The pressed Delete is gone (or the Undo is): focus goes where the next step is.
    const next = hidden ? this.querySelector("#gallery-toast .toast-undo") : tiles[0]?.querySelector(".tile-open");
    next?.focus();
  }

  dragStart(event) {
    const tile = event.target.closest?.("[data-board-url]");
    if (!tile || !this.contains(tile)) return;
    event.dataTransfer.setData(IMAGE_TYPE, tile.dataset.boardUrl);
    event.dataTransfer.effectAllowed = "copy";
  }

  dragOver(event) {
    const board = event.target.closest?.(".board-drop");
    if (!board || !event.dataTransfer.types.includes(IMAGE_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    board.classList.add("drop-ready");
  }

  drop(event) {
    const board = event.target.closest?.(".board-drop");
    const url = event.dataTransfer.getData(IMAGE_TYPE);
    if (!board || !url) return;
    event.preventDefault();
    board.classList.remove("drop-ready");
    // htmx sends the CSRF header (hx-headers on <body>); the answer's HX-Trigger fills the toast.
    htmx.ajax("POST", url, { source: board, swap: "none", values: { board: board.dataset.board, action: "add" } });
  }
}

customElements.define("gallery-grid", GalleryGrid);
