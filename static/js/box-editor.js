// <box-editor>: draw, move, resize and remove bounding boxes on a reference image.
// Reference: 002, bbox_list — integer [x1, y1, x2, y2] in the original image's pixels, (0, 0) top-left.
// The server renders the number fields and this element only enhances them: every change is written
// to those fields (with bubbling input and change events), so the form and autosave work as without JS.
(() => {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const NAMES = ["x1", "y1", "x2", "y2"];
  const CORNERS = ["nw", "ne", "sw", "se"];
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const HANDLE_PX = 12; // corner handles and labels are sized in screen pixels, whatever the image scale
  const HANDLE_PX_COARSE = 22;
  const HELP = "Arrows move, Shift+arrows move 10 px, Alt+arrows resize, Delete removes.";

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const sameBox = (a, b) => (a === null || b === null ? a === b : a.every((v, i) => v === b[i]));

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
    return el;
  }

  function intData(el, name, fallback) {
    const n = Number.parseInt(el.dataset[name] ?? "", 10);
    return Number.isFinite(n) ? n : fallback;
  }

  class BoxEditor extends HTMLElement {
    connectedCallback() {
      if (this._abort) return;
      this.W = intData(this, "width", 0);
      this.H = intData(this, "height", 0);
      this.stage = this.querySelector(".box-stage");
      if (!(this.W > 0 && this.H > 0) || !this.stage) return;
      this.maxBoxes = intData(this, "maxBoxes", 2);
      // x1 < x2 is required by the API, so a box is never thinner than 1 px.
      this.minSize = Math.max(1, intData(this, "minSize", 1));
      this.label = this.dataset.label || "Image";
      this.message = this.querySelector(".box-message") || this._addMessage();
      this._abort = new AbortController();
      this._drag = null;
      this._build();
      this.boxes = this.slots.map((slot) => this._parse(slot).box);
      this._listen(this._abort.signal);
      this.render();
    }

    disconnectedCallback() {
      this._abort?.abort();
      this._abort = null;
      this._resizeObserver?.disconnect();
      this._resizeObserver = null;
      this._drag = null;
    }

    // ---- building -------------------------------------------------------------------------------

    _addMessage() {
      const p = document.createElement("p");
      p.className = "box-message";
      p.setAttribute("role", "status");
      p.setAttribute("aria-live", "polite");
      this.stage.after(p);
      return p;
    }

    _build() {
      // A re-connect, or an htmx history snapshot of an enhanced element, brings the old overlay and
      // buttons along: replace them rather than add a second set.
      this.stage.querySelectorAll(":scope > svg.box-overlay").forEach((el) => el.remove());
      this.querySelectorAll(".box-fields .box-remove").forEach((el) => el.remove());
      this.svg = svg("svg", {
        class: "box-overlay",
        viewBox: `0 0 ${this.W} ${this.H}`,
        preserveAspectRatio: "none",
        role: "group",
        "aria-label": `Boxes on ${this.label}`,
      });
      this.slots = [];
      for (const fieldset of this.querySelectorAll(".box-fields")) {
        if (this.slots.length >= this.maxBoxes) break;
        const inputs = NAMES.map((n) => fieldset.querySelector(`input[name$="-${n}"]`));
        if (inputs.some((input) => !input)) continue;
        this.slots.push(this._buildSlot(this.slots.length, fieldset, inputs));
      }
      this.stage.append(this.svg);
    }

    _buildSlot(index, fieldset, inputs) {
      const name = `${this.label}, box ${index + 1}`;
      const g = svg("g", { class: `box box-${index + 1}`, "data-box": index, tabindex: 0, role: "group" });
      g.setAttribute("display", "none");
      const ring = svg("rect", { class: "box-ring" });
      const halo = svg("rect", { class: "box-halo" });
      const rect = svg("rect", { class: "box-rect" });
      const text = svg("text", { class: "box-label", x: 9, y: 22, "aria-hidden": "true" });
      text.textContent = String(index + 1);
      const handles = CORNERS.map((corner) =>
        svg("rect", { class: `box-handle box-handle-${corner}`, "data-corner": corner }),
      );
      g.append(ring, halo, rect, text, ...handles);
      this.svg.append(g);

      // The visible text is short; the hidden part gives the button the full name "Remove Image 1, box 1".
      const button = document.createElement("button");
      button.type = "button";
      button.className = "box-remove secondary";
      button.append("Remove ");
      const hidden = document.createElement("span");
      hidden.className = "box-visually-hidden";
      hidden.textContent = `${this.label}, `;
      button.append(hidden, `box ${index + 1}`);
      fieldset.append(button);
      return { index, name, fieldset, inputs, g, ring, halo, rect, text, handles, button };
    }

    _listen(signal) {
      const on = (target, type, fn) => target.addEventListener(type, fn, { signal });
      on(this.svg, "pointerdown", (e) => this._onPointerDown(e));
      on(this.svg, "pointermove", (e) => this._onPointerMove(e));
      on(this.svg, "pointerup", (e) => this._onPointerUp(e));
      on(this.svg, "pointercancel", (e) => this._onPointerCancel(e));
      on(this.svg, "lostpointercapture", (e) => this._onPointerCancel(e));
      on(this.svg, "keydown", (e) => this._onKeyDown(e));
      on(this, "input", (e) => this._onField(e));
      on(this, "change", (e) => this._onField(e));
      for (const slot of this.slots) on(slot.button, "click", () => this._remove(slot.index));
      const img = this.stage.querySelector("img");
      if (img) on(img, "load", () => this.render());
      // Handles and labels keep their screen size when the image is shown at another size.
      this._resizeObserver = new ResizeObserver(() => this.render());
      this._resizeObserver.observe(this.svg);
    }

    // ---- geometry -------------------------------------------------------------------------------

    // Original-image pixels under the pointer; the CTM covers CSS scaling and devicePixelRatio.
    _point(e) {
      const ctm = this.svg.getScreenCTM();
      if (!ctm) return null;
      const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(ctm.inverse());
      return { x: clamp(Math.round(p.x), 0, this.W), y: clamp(Math.round(p.y), 0, this.H) };
    }

    _moved([x1, y1, x2, y2], dx, dy) {
      dx = clamp(dx, -x1, this.W - x2);
      dy = clamp(dy, -y1, this.H - y2);
      return [x1 + dx, y1 + dy, x2 + dx, y2 + dy];
    }

    _resized([x1, y1, x2, y2], corner, dx, dy) {
      const min = this.minSize;
      if (corner.includes("w")) x1 = clamp(x1 + dx, 0, x2 - min);
      else x2 = clamp(x2 + dx, x1 + min, this.W);
      if (corner.includes("n")) y1 = clamp(y1 + dy, 0, y2 - min);
      else y2 = clamp(y2 + dy, y1 + min, this.H);
      return [x1, y1, x2, y2];
    }

    _dragged(d, p) {
      const dx = p.x - d.start.x;
      const dy = p.y - d.start.y;
      if (d.mode === "move") return this._moved(d.from, dx, dy);
      if (d.mode === "resize") return this._resized(d.from, d.corner, dx, dy);
      const s = d.start;
      return [Math.min(s.x, p.x), Math.min(s.y, p.y), Math.max(s.x, p.x), Math.max(s.y, p.y)];
    }

    // ---- pointer --------------------------------------------------------------------------------

    _onPointerDown(e) {
      if (this._drag || (e.pointerType === "mouse" && e.button !== 0)) return;
      const p = this._point(e);
      if (!p) return;
      e.preventDefault();
      const g = e.target.closest(".box");
      const handle = e.target.closest(".box-handle");
      let d;
      if (g) {
        const slot = Number(g.dataset.box);
        g.focus({ preventScroll: true });
        d = { mode: handle ? "resize" : "move", slot, corner: handle?.dataset.corner, from: this.boxes[slot] };
      } else {
        const slot = this.boxes.indexOf(null);
        d = { mode: slot < 0 ? "refused" : "draw", slot };
      }
      this._drag = { ...d, id: e.pointerId, start: p, box: null };
      this.svg.setPointerCapture(e.pointerId);
    }

    _onPointerMove(e) {
      const d = this._drag;
      if (!d || e.pointerId !== d.id) return;
      const p = this._point(e);
      if (!p || (p.x === d.start.x && p.y === d.start.y && !d.box)) return;
      if (d.mode === "refused") {
        const most = this.maxBoxes === 1 ? "1 box" : `${this.maxBoxes} boxes`;
        this._say(`${this.label} already has ${most}, the most allowed. Remove one to draw another.`);
        return;
      }
      d.box = this._dragged(d, p);
      this.render();
    }

    _onPointerUp(e) {
      const d = this._drag;
      if (!d || e.pointerId !== d.id) return;
      this._onPointerMove(e);
      this._drag = null;
      if (!d.box) return this.render();
      if (d.mode === "draw") {
        const [x1, y1, x2, y2] = d.box;
        if (x2 - x1 < this.minSize || y2 - y1 < this.minSize) {
          this.render();
          const min = this.minSize;
          return this._say(
            `Boxes must be at least ${min} × ${min} px of the original image; that one was ` +
              `${x2 - x1} × ${y2 - y1}. Drag a larger box.`,
          );
        }
      }
      this._commit(d.slot, d.box);
      if (d.mode === "draw") this.slots[d.slot].g.focus({ preventScroll: true });
    }

    _onPointerCancel(e) {
      if (!this._drag || e.pointerId !== this._drag.id) return;
      this._drag = null;
      this.render();
    }

    // ---- keyboard -------------------------------------------------------------------------------

    _onKeyDown(e) {
      const g = e.target.closest?.(".box");
      if (!g || this._drag || e.ctrlKey || e.metaKey) return;
      const slot = Number(g.dataset.box);
      const box = this.boxes[slot];
      if (!box) return;
      if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        this._remove(slot);
        return;
      }
      const arrow = ARROWS[e.key];
      if (!arrow) return;
      e.preventDefault();
      const step = e.shiftKey ? 10 : 1;
      const [dx, dy] = [arrow[0] * step, arrow[1] * step];
      this._commit(slot, e.altKey ? this._resized(box, "se", dx, dy) : this._moved(box, dx, dy));
    }

    // ---- fields ---------------------------------------------------------------------------------

    _parse(slot) {
      const raw = slot.inputs.map((input) => input.value.trim());
      if (raw.every((v) => v === "")) return { box: null, problem: "" };
      // A number input reports "" for text it cannot read, so a half-typed value counts as missing.
      const nums = raw.map((v) => (v === "" ? Number.NaN : Number(v)));
      const missing = () => ({ box: null, problem: `${slot.name}: fill in all four whole numbers to draw it.` });
      if (nums.some((n) => !Number.isInteger(n))) return missing();
      const [x1, y1, x2, y2] = nums;
      const problem = (text) => ({ box: null, problem: `${slot.name}: ${text}` });
      if (x1 >= x2 || y1 >= y2) return problem("x1 must be less than x2, and y1 less than y2.");
      if (x1 < 0 || y1 < 0 || x2 > this.W || y2 > this.H) {
        return problem(`keep x between 0 and ${this.W} and y between 0 and ${this.H}.`);
      }
      if (x2 - x1 < this.minSize || y2 - y1 < this.minSize) {
        return problem(`make it at least ${this.minSize} px wide and ${this.minSize} px tall.`);
      }
      return { box: nums, problem: "" };
    }

    _onField(e) {
      if (this._writing) return;
      const slot = this.slots.find((s) => s.inputs.includes(e.target));
      if (!slot) return;
      const { box, problem } = this._parse(slot);
      this._say(problem);
      const changed = !sameBox(box, this.boxes[slot.index]);
      this.boxes[slot.index] = box;
      this.render();
      if (changed) this._emit();
    }

    _write(slot, box) {
      const changed = [];
      slot.inputs.forEach((input, i) => {
        const value = box ? String(box[i]) : "";
        if (input.value === value) return;
        input.value = value;
        changed.push(input);
      });
      this._writing = true;
      try {
        for (const input of changed) input.dispatchEvent(new Event("input", { bubbles: true }));
        for (const input of changed) input.dispatchEvent(new Event("change", { bubbles: true }));
      } finally {
        this._writing = false;
      }
    }

    // ---- changes --------------------------------------------------------------------------------

    _commit(index, box) {
      const slot = this.slots[index];
      const changed = !sameBox(box, this.boxes[index]);
      this.boxes[index] = box;
      this._write(slot, box);
      this.render();
      if (!changed) return;
      this._say(box ? this._describe(slot, box) : `Removed ${slot.name}.`);
      this._emit();
    }

    _remove(index) {
      const slot = this.slots[index];
      this._commit(index, null);
      this._say(`Removed ${slot.name}.`);
      // The box and its (now disabled) button can no longer hold focus; the empty fields can.
      slot.inputs[0].focus();
    }

    _emit() {
      const boxes = this.boxes.filter((box) => box !== null).map((box) => [...box]);
      this.dispatchEvent(new CustomEvent("boxes-changed", { bubbles: true, detail: { boxes } }));
    }

    _say(text) {
      if (this.message.textContent !== text) this.message.textContent = text;
    }

    _describe(slot, [x1, y1, x2, y2]) {
      return `${slot.name}: x1 ${x1}, y1 ${y1}, x2 ${x2}, y2 ${y2}.`;
    }

    // ---- drawing --------------------------------------------------------------------------------

    render() {
      if (!this.svg) return;
      const ctm = this.svg.getScreenCTM();
      // Original pixels per screen pixel, to size handles and labels in screen pixels.
      const ux = ctm && ctm.a ? 1 / Math.abs(ctm.a) : 1;
      const uy = ctm && ctm.d ? 1 / Math.abs(ctm.d) : 1;
      const size = window.matchMedia("(pointer: coarse)").matches ? HANDLE_PX_COARSE : HANDLE_PX;
      for (const slot of this.slots) {
        slot.button.disabled = slot.inputs.every((input) => input.value === "");
        const d = this._drag;
        const box = d && d.slot === slot.index && d.box ? d.box : this.boxes[slot.index];
        if (!box) {
          slot.g.setAttribute("display", "none");
          continue;
        }
        slot.g.removeAttribute("display");
        const [x1, y1, x2, y2] = box;
        for (const r of [slot.ring, slot.halo, slot.rect]) this._place(r, x1, y1, x2 - x1, y2 - y1);
        slot.text.setAttribute("transform", `translate(${x1} ${y1}) scale(${ux} ${uy})`);
        slot.handles.forEach((handle, i) => {
          const corner = CORNERS[i];
          const cx = corner.includes("w") ? x1 : x2;
          const cy = corner.includes("n") ? y1 : y2;
          this._place(handle, cx - (size * ux) / 2, cy - (size * uy) / 2, size * ux, size * uy);
        });
        slot.g.setAttribute("aria-label", `${this._describe(slot, box)} ${HELP}`);
      }
    }

    _place(el, x, y, width, height) {
      el.setAttribute("x", String(x));
      el.setAttribute("y", String(y));
      el.setAttribute("width", String(width));
      el.setAttribute("height", String(height));
    }
  }

  if (!customElements.get("box-editor")) customElements.define("box-editor", BoxEditor);
})();
