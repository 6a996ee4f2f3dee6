// <review-keys>: keyboard shortcuts for the review queue. A key clicks the real button or link that
// carries it in data-key (a approve, c request changes, r reject, n or → next), so the keyboard does
// exactly what a click does (the same htmx request). Keys typed into a field are left alone.
const ALIASES = { ArrowRight: "n" };

class ReviewKeys extends HTMLElement {
  connectedCallback() {
    if (this._onKey) return;
    this._onKey = (event) => {
      if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.target.closest?.("input, textarea, select, [contenteditable]")) return;
      const key = ALIASES[event.key] || event.key.toLowerCase();
      if (!/^[a-z]$/.test(key)) return;
      const control = this.querySelector(`[data-key="${key}"]`);
      if (!control || control.disabled) return;
      event.preventDefault();
      control.click();
    };
    // The card is replaced after each step: keep focus on the new card, not lost on <body>.
    this._onLoad = (event) => {
      if (event.target.id === "queue-card") event.target.querySelector("h2[tabindex]")?.focus({ preventScroll: true });
    };
    document.addEventListener("keydown", this._onKey);
    this.addEventListener("htmx:load", this._onLoad);
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this._onKey);
    this.removeEventListener("htmx:load", this._onLoad);
    this._onKey = null;
  }
}

customElements.define("review-keys", ReviewKeys);
