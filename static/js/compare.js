// <image-compare>: two images side by side, or the second laid over the first with a slider line.
// Without this script the page shows them side by side; the toggle and the slider appear with it.
// The handle is an ARIA slider: arrows move it by 1 %, Page Up/Down by 10 %, Home/End to the edges.
class ImageCompare extends HTMLElement {
  connectedCallback() {
    if (this.ready) return;
    this.ready = true;
    this.side = this.querySelector(".compare-side");
    this.slider = this.querySelector(".compare-slider");
    this.stage = this.querySelector(".compare-stage");
    this.over = this.querySelector(".compare-over");
    this.handle = this.querySelector(".compare-handle");
    this.toggle = this.querySelector(".compare-toggle");
    this.toggle.hidden = false;
    this.toggle.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-mode]");
      if (button) this.show(button.dataset.mode);
    });
    this.handle.addEventListener("keydown", (event) => this.onKey(event));
    this.stage.addEventListener("pointerdown", (event) => this.onPointer(event));
    // A tall first image is narrowed so the whole stage fits the window with the line in reach.
    const base = this.querySelector(".compare-base");
    const ratio = Number(base.getAttribute("width")) / Number(base.getAttribute("height"));
    if (ratio > 0) this.stage.style.maxWidth = `min(100%, 960px, calc((100vh - 220px) * ${ratio.toFixed(4)}))`;
    this.show(this.dataset.mode === "slider" ? "slider" : "side");
    this.move(50);
  }

  show(mode) {
    this.dataset.mode = mode;
    this.side.hidden = mode !== "side";
    this.slider.hidden = mode !== "slider";
    for (const button of this.toggle.querySelectorAll("button[data-mode]")) {
      button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
    }
  }

  move(percent) {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    this.value = value;
    // CSSOM writes are allowed by the CSP (no inline style attributes in the markup).
    this.over.style.clipPath = `inset(0 0 0 ${value}%)`;
    this.handle.style.left = `${value}%`;
    this.handle.setAttribute("aria-valuenow", String(value));
    this.handle.setAttribute(
      "aria-valuetext",
      interpolate(gettext("%(percent)s: first image left of the line, second right of it"), { percent: `${value}%` }, true),
    );
  }

  onKey(event) {
    const steps = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -10, PageUp: 10 };
    if (event.key in steps) this.move(this.value + steps[event.key]);
    else if (event.key === "Home") this.move(0);
    else if (event.key === "End") this.move(100);
    else return;
    event.preventDefault();
  }

  onPointer(event) {
    const follow = (e) => {
      const box = this.stage.getBoundingClientRect();
      this.move(((e.clientX - box.left) / box.width) * 100);
    };
    follow(event);
    this.handle.focus();
    this.stage.setPointerCapture(event.pointerId);
    const stop = () => {
      this.stage.removeEventListener("pointermove", follow);
      this.stage.removeEventListener("pointerup", stop);
      this.stage.removeEventListener("pointercancel", stop);
    };
    this.stage.addEventListener("pointermove", follow);
    this.stage.addEventListener("pointerup", stop);
    this.stage.addEventListener("pointercancel", stop);
    event.preventDefault();
  }
}

customElements.define("image-compare", ImageCompare);
