// <reference-drop>: the references area. Adds files by drag and drop or paste (through the same file
// input the picker uses, so htmx uploads them), runs the filmstrip (one tab per reference; the
// active one is shown large) and reorders references by dragging filmstrip items. Keyboard users
// pick with ←/→ and Enter or Space, and reorder with the Earlier/Later buttons.
(() => {
  "use strict";

  const STORE_KEY = "wan-studio.active-reference";

  // Which reference is active survives the htmx swaps that redraw the area (an upload, a move, a
  // model change) and a reload of the tab; `ids` tells a new upload from what was there.
  const memory = { ids: null, active: readStored(), index: 0 };

  function readStored() {
    try {
      return sessionStorage.getItem(STORE_KEY);
    } catch {
      return null;
    }
  }

  function store(id) {
    try {
      sessionStorage.setItem(STORE_KEY, id);
    } catch {
      // Storage may be off; the choice then lasts until the next reload.
    }
  }

  function hasFiles(event) {
    return [...(event.dataTransfer?.types || [])].includes("Files");
  }

  // Words come from Django's JavaScriptCatalog (/jsi18n/, loaded by base.html before this file).
  const fill = (text, values) => interpolate(text, values, true);
  const boxesText = (n) => fill(ngettext("%(n)s box", "%(n)s boxes", n), { n });

  class ReferenceDrop extends HTMLElement {
    connectedCallback() {
      if (this._abort) return;
      this._abort = new AbortController();
      const on = (target, type, fn, capture = false) => target.addEventListener(type, fn, { signal: this._abort.signal, capture });
      on(this, "change", (e) => this._onPick(e), true);
      on(this, "dragover", (e) => this._onDragOver(e));
      on(this, "dragleave", () => this.classList.remove("dropping"));
      on(this, "drop", (e) => this._onDrop(e));
      on(this, "dragstart", (e) => this._onItemDragStart(e));
      on(this, "dragend", () => this._onItemDragEnd());
      on(this, "click", (e) => this._onItemClick(e));
      on(this, "keydown", (e) => this._onItemKey(e));
      on(this, "boxes-changed", (e) => this._onBoxes(e));
      on(document, "paste", (e) => this._onPaste(e));
      this._setUpFilmstrip();
    }

    disconnectedCallback() {
      this._abort?.abort();
      this._abort = null;
    }

    // ---- filmstrip ------------------------------------------------------------------------------

    get tabs() {
      return [...this.querySelectorAll(".filmstrip-item")];
    }

    _setUpFilmstrip() {
      for (const card of this.querySelectorAll(".reference-card")) {
        const w = Number(card.dataset.width);
        const h = Number(card.dataset.height);
        // The CSSOM, not a style attribute: the CSP allows it. references.css sizes the image from it.
        if (w > 0 && h > 0) card.style.setProperty("--ref-ratio", String(w / h));
      }
      const ids = this.tabs.map((tab) => tab.dataset.refId);
      if (!ids.length) {
        memory.ids = ids;
        return;
      }
      // A new upload is shown at once; otherwise the one shown before, or the one now in its place.
      const added = memory.ids ? ids.filter((id) => !memory.ids.includes(id)) : [];
      let active = added[0];
      if (!active && ids.includes(memory.active)) active = memory.active;
      if (!active) active = ids[Math.min(memory.index, ids.length - 1)];
      memory.ids = ids;
      this.select(active, { focus: false });
    }

    /** Show reference `id` large and mark its filmstrip tab as the selected one. */
    select(id, { focus = true } = {}) {
      const tabs = this.tabs;
      const tab = tabs.find((t) => t.dataset.refId === id);
      if (!tab) return;
      for (const t of tabs) {
        const on = t === tab;
        t.setAttribute("aria-selected", String(on));
        t.tabIndex = on ? 0 : -1;
        const panel = document.getElementById(t.getAttribute("aria-controls"));
        if (panel) panel.hidden = !on;
      }
      memory.active = id;
      memory.index = tabs.indexOf(tab);
      store(id);
      if (focus) tab.focus();
    }

    _onItemClick(e) {
      const tab = e.target.closest?.(".filmstrip-item");
      if (tab && this.contains(tab)) this.select(tab.dataset.refId);
    }

    // The tabs pattern with manual activation: arrows move the focus, Enter or Space shows the image.
    // Reference: https://www.w3.org/WAI/ARIA/apg/patterns/tabs/
    _onItemKey(e) {
      const tab = e.target.closest?.(".filmstrip-item");
      if (!tab || e.ctrlKey || e.metaKey || e.altKey) return;
      const tabs = this.tabs;
      const at = tabs.indexOf(tab);
      const next = {
        ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1, ArrowUp: at - 1, Home: 0, End: tabs.length - 1,
      }[e.key];
      if (next !== undefined) {
        e.preventDefault();
        tabs[(next + tabs.length) % tabs.length].focus();
      } else if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        this.select(tab.dataset.refId);
      }
    }

    // A box drawn, moved or undone on the active image: its filmstrip count follows at once.
    _onBoxes(e) {
      const card = e.target.closest?.(".reference-card");
      const tab = card && this.querySelector(`.filmstrip-item[data-ref-id="${card.dataset.refId}"]`);
      const count = tab?.querySelector(".filmstrip-boxes");
      if (!count) return;
      const n = e.detail.boxes.length;
      count.dataset.boxCount = String(n);
      count.textContent = boxesText(n);
    }

    // ---- reordering -----------------------------------------------------------------------------

    _onItemDragStart(e) {
      const tab = e.target.closest?.(".filmstrip-item");
      if (!tab || !this.contains(tab)) return;
      this._dragged = tab;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", tab.dataset.refId);
      tab.classList.add("dragging");
    }

    _onItemDragOver(e) {
      const tab = e.target.closest?.(".filmstrip-item");
      if (!tab || tab === this._dragged) return;
      e.preventDefault();
      const box = tab.getBoundingClientRect();
      const after = e.clientX > box.left + box.width / 2;
      tab.parentNode.insertBefore(this._dragged, after ? tab.nextSibling : tab);
    }

    _onItemDragEnd() {
      const tab = this._dragged;
      this._dragged = null;
      if (!tab) return;
      tab.classList.remove("dragging");
      const order = this.tabs.map((t) => t.dataset.refId);
      if (order.join(",") === (memory.ids || []).join(",")) return;
      window.htmx.ajax("POST", this.dataset.reorderUrl, {
        source: this.closest("form"),
        target: "#summary",
        swap: "outerHTML",
        values: { order: order.join(",") },
      });
    }

    // ---- adding files ---------------------------------------------------------------------------

    _onDragOver(e) {
      if (this._dragged) return this._onItemDragOver(e);
      if (!hasFiles(e)) return;
      e.preventDefault();
      this.classList.add("dropping");
    }

    _onDrop(e) {
      this.classList.remove("dropping");
      if (this._dragged || !hasFiles(e)) return;
      e.preventDefault();
      this.addFiles(e.dataTransfer.files);
    }

    _onPaste(e) {
      const files = [...(e.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
      if (!files.length) return;
      // Pasting text into the prompt stays text; only images are taken.
      e.preventDefault();
      this.addFiles(files);
    }

    // A fast first answer in the browser; the server checks everything again and decides.
    _onPick(e) {
      const input = e.target;
      if (input.type !== "file" || !input.files?.length) return;
      const refused = [];
      const kept = new DataTransfer();
      const room = Number(this.dataset.max) - Number(this.dataset.count);
      const types = (input.accept || "").split(",").filter(Boolean);
      const maxBytes = Number(this.dataset.maxBytes);
      for (const file of input.files) {
        if (types.length && file.type && !types.includes(file.type)) {
          refused.push(fill(gettext("%(file)s: %(type)s is not accepted (%(formats)s)"), { file: file.name, type: file.type, formats: this.dataset.formats }));
        } else if (maxBytes && file.size > maxBytes) {
          refused.push(
            fill(gettext("%(file)s: %(size)s MB is over the %(limit)s limit"), {
              file: file.name,
              size: (file.size / 1048576).toFixed(1),
              limit: this.dataset.maxBytesLabel,
            }),
          );
        } else if (kept.files.length >= room) {
          refused.push(
            fill(ngettext("%(file)s: at most %(most)s reference image", "%(file)s: at most %(most)s reference images", Number(this.dataset.max)), {
              file: file.name,
              most: this.dataset.max,
            }),
          );
        } else {
          kept.items.add(file);
        }
      }
      this.say(refused);
      if (!refused.length) return;
      if (!kept.files.length) {
        e.stopPropagation();
        input.value = "";
        return;
      }
      input.files = kept.files;
    }

    say(messages) {
      const out = this.querySelector(".drop-message");
      if (out) out.textContent = messages.join(" ");
    }

    addFiles(fileList) {
      const input = this.querySelector('input[type="file"]');
      if (!input || input.disabled) return;
      const transfer = new DataTransfer();
      for (const file of fileList) transfer.items.add(file);
      input.files = transfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  if (!customElements.get("reference-drop")) customElements.define("reference-drop", ReferenceDrop);

  // "Reuse last seed": fills the seed field and lets the form autosave it.
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("button[data-fill]");
    if (!button) return;
    const field = document.querySelector(button.dataset.fill);
    if (!field) return;
    field.value = button.dataset.value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
})();
