// <comment-boxes>: draws each comment's regions over the page's image (the .viewer's img.full), in the
// comment's colour and numbered 1, 2, and links the two: hovering or focusing a comment lights up its
// boxes, hovering a box lights up its comment. Boxes come as data-boxes="x1,y1,x2,y2;..." in the
// original image's pixels; the overlay's viewBox is the original size, so the image's shown size
// never shifts them. Set up in connectedCallback, so an htmx swap of the comment list just redraws.
(() => {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  function parseBoxes(text) {
    return (text || "")
      .split(";")
      .map((part) => part.split(",").map((v) => Number.parseInt(v, 10)))
      .filter((box) => box.length === 4 && box.every(Number.isFinite));
  }

  class CommentBoxes extends HTMLElement {
    connectedCallback() {
      if (this._abort) return;
      const W = Number.parseInt(this.dataset.width || "", 10);
      const H = Number.parseInt(this.dataset.height || "", 10);
      this.img = document.querySelector(".viewer img.full");
      if (!(W > 0 && H > 0) || !this.img?.parentElement) return;
      this._abort = new AbortController();
      const host = this.img.parentElement;
      host.classList.add("comment-box-host");
      host.querySelectorAll(":scope > svg.comment-overlay").forEach((n) => n.remove());
      this.overlay = svg("svg", { class: "comment-overlay", viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", "aria-hidden": "true" });
      // Labels keep a readable size whatever the image's scale: a share of the image's shorter side.
      const fontSize = Math.max(12, Math.round(Math.min(W, H) / 24));
      for (const item of this.querySelectorAll("li[data-boxes]")) {
        const colour = [...item.classList].find((c) => c.startsWith("comment-colour-")) || "";
        parseBoxes(item.dataset.boxes).forEach(([x1, y1, x2, y2], i) => {
          const g = svg("g", { class: `comment-box ${colour}`, "data-comment": item.dataset.comment, "data-box": i + 1 });
          g.append(svg("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1 }));
          const label = svg("text", { x: x1 + fontSize * 0.3, y: y1 + fontSize * 1.05, "font-size": fontSize });
          label.textContent = String(i + 1);
          g.append(label);
          this.overlay.append(g);
        });
      }
      host.append(this.overlay);
      const signal = this._abort.signal;
      const light = (id) => this.light(id);
      this.addEventListener("pointerover", (e) => light(e.target.closest?.("li[data-boxes]")?.dataset.comment), { signal });
      this.addEventListener("pointerleave", () => light(null), { signal });
      this.addEventListener("focusin", (e) => light(e.target.closest?.("li[data-boxes]")?.dataset.comment), { signal });
      this.addEventListener("focusout", () => light(null), { signal });
      this.overlay.addEventListener("pointerover", (e) => light(e.target.closest?.("g.comment-box")?.dataset.comment), { signal });
      this.overlay.addEventListener("pointerleave", () => light(null), { signal });
    }

    disconnectedCallback() {
      this._abort?.abort();
      this._abort = null;
      this.overlay?.remove();
      this.overlay = null;
    }

    // One comment lit (its boxes and its list entry), the others' boxes dimmed; null lights none.
    light(id) {
      if (!this.overlay) return;
      for (const g of this.overlay.querySelectorAll("g.comment-box")) {
        g.classList.toggle("is-lit", id != null && g.dataset.comment === id);
        g.classList.toggle("is-dim", id != null && g.dataset.comment !== id);
      }
      for (const item of this.querySelectorAll("li[data-comment]")) {
        item.classList.toggle("is-lit", id != null && item.dataset.comment === id);
      }
    }
  }

  if (!customElements.get("comment-boxes")) customElements.define("comment-boxes", CommentBoxes);
})();
