// <image-keys>: ← and → on an image's page follow its Previous / Next links (the grid's order).
// The links carry the key in data-key, so the keyboard does exactly what a click does. Keys typed
// into a field (a comment, a review note) are left alone, and so are keys with a modifier.
class ImageKeys extends HTMLElement {
  connectedCallback() {
    if (this._onKey) return;
    this._onKey = (event) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      if (event.target.closest?.("input, textarea, select, [contenteditable], dialog")) return;
      const link = this.querySelector(`a[data-key="${event.key}"]`);
      if (!link) return;
      event.preventDefault();
      link.click();
    };
    document.addEventListener("keydown", this._onKey);
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this._onKey);
    this._onKey = null;
  }
}

customElements.define("image-keys", ImageKeys);
