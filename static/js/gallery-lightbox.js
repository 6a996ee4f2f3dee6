// <gallery-lightbox>: a tile's image, large, in a <dialog>. A click (or Enter) on a [data-lightbox]
// link opens it; ← and → move through the grid's images in the grid's order; Esc closes (the
// dialog's own cancel) and focus goes back to the tile of the image last shown. Without JavaScript
// the link is simply the image page.
class GalleryLightbox extends HTMLElement {
  connectedCallback() {
    if (this._onClick) return;
    this.dialog = this.querySelector("dialog");
    this.image = this.querySelector(".lightbox-image");
    this._onClick = (event) => {
      const link = event.target.closest?.("a[data-lightbox]");
      if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      this.open(link);
    };
    this._onKey = (event) => {
      if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
        event.preventDefault();
        this.step(event.key === "ArrowLeft" ? -1 : 1);
      }
    };
    this._onButton = (event) => {
      const step = event.target.closest("[data-step]");
      if (step) this.step(Number(step.dataset.step));
      else if (event.target.closest("[data-lightbox-close]")) this.dialog.close();
      else if (event.target === this.dialog) this.dialog.close(); // a click on the backdrop
    };
    this._onClose = () => this.current?.focus();
    document.addEventListener("click", this._onClick);
    this.dialog.addEventListener("keydown", this._onKey);
    this.dialog.addEventListener("click", this._onButton);
    this.dialog.addEventListener("close", this._onClose);
  }

  disconnectedCallback() {
    document.removeEventListener("click", this._onClick);
    this._onClick = null;
  }

  links() {
    // Hidden tiles (a deleted job awaiting Undo) are skipped.
    return [...document.querySelectorAll("#grid a[data-lightbox]")].filter((link) => !link.closest("[hidden]"));
  }

  open(link) {
    this.show(link);
    if (!this.dialog.open) this.dialog.showModal();
  }

  step(by) {
    const links = this.links();
    const at = links.indexOf(this.current);
    const next = links[at + by];
    if (next) this.show(next);
  }

  show(link) {
    this.current = link;
    const links = this.links();
    const at = links.indexOf(link);
    this.image.src = link.dataset.full;
    this.image.width = Number(link.dataset.w);
    this.image.height = Number(link.dataset.h);
    this.image.alt = link.querySelector("img")?.alt || link.dataset.title;
    this.querySelector(".lightbox-title").textContent = interpolate(
      gettext("%(title)s · %(at)s of %(shown)s shown"),
      { title: link.dataset.title, at: at + 1, shown: links.length },
      true,
    );
    this.querySelector(".lightbox-caption").textContent = link.dataset.caption;
    this.querySelector(".lightbox-page").href = link.href;
    this.querySelector('[data-step="-1"]').disabled = at <= 0;
    this.querySelector('[data-step="1"]').disabled = at >= links.length - 1;
  }
}

customElements.define("gallery-lightbox", GalleryLightbox);
