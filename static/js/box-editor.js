// <box-editor>: draw, move, resize and remove bounding boxes on a reference image, zoomed and panned,
// with undo. Reference: 002, bbox_list — integer [x1, y1, x2, y2] in the original image's pixels, (0, 0)
// top-left. The server renders the number fields and this element only enhances them: every change is
// written to those fields (with bubbling input and change events), so the form and autosave work as
// without JS. Zoom only changes the size the image is laid out at: every pointer position still goes
// through the overlay's screen CTM into original pixels, so zooming cannot shift a coordinate.
// (One file of ~700 lines: the view and the history serve this one widget, and a second file would
// need its own script tag, in order, in every page and test page that uses the element.)
(() => {
  "use strict";

  // Words come from Django's JavaScriptCatalog (/jsi18n/, loaded by base.html before this file).
  const fill = (text, values) => interpolate(text, values, true);
  const SVG_NS = "http://www.w3.org/2000/svg";
  const NAMES = ["x1", "y1", "x2", "y2"];
  const CORNERS = ["nw", "ne", "sw", "se"];
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const HANDLE_PX = 12; // corner handles and labels are sized in screen pixels, whatever the image scale
  const HANDLE_PX_COARSE = 22;
  const HELP = gettext("Arrows move, Shift+arrows move 10 px, Alt+arrows resize, Delete removes.");
  const ZOOM_STEP = 1.25; // one press of + or −
  const HISTORY_MAX = 100;
  const COALESCE_MS = 1000; // a run of arrow presses on one box is one undo step

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const sameBox = (a, b) => (a === null || b === null ? a === b : a.every((v, i) => v === b[i]));
  const sameBoxes = (a, b) => a.length === b.length && a.every((box, i) => sameBox(box, b[i]));
  const typing = (el) => el instanceof HTMLElement && el.matches("input, textarea, select, [contenteditable]");

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
    return el;
  }

  function intData(el, name, fallback) {
    const n = Number.parseInt(el.dataset[name] ?? "", 10);
    return Number.isFinite(n) ? n : fallback;
  }

  function el(tag, props = {}, attrs = {}) {
    const node = document.createElement(tag);
    Object.assign(node, props);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  }

  // A button whose full name adds the image's label to a short visible text ("Remove Image 1, box 1").
  function namedButton(visible, hiddenTail, className) {
    const button = el("button", { type: "button", className });
    button.append(visible);
    if (hiddenTail) button.append(el("span", { className: "box-visually-hidden", textContent: hiddenTail }));
    return button;
  }

  const countText = (n) => (n === 0 ? gettext("no boxes") : fill(ngettext("%(n)s box", "%(n)s boxes", n), { n }));

  class BoxEditor extends HTMLElement {
    connectedCallback() {
      if (this._abort) return;
      this.W = intData(this, "width", 0);
      this.H = intData(this, "height", 0);
      this.stage = this.querySelector(".box-stage");
      this.img = this.stage?.querySelector("img");
      if (!(this.W > 0 && this.H > 0) || !this.stage || !this.img) return;
      this.maxBoxes = intData(this, "maxBoxes", 2);
      // x1 < x2 is required by the API, so a box is never thinner than 1 px.
      this.minSize = Math.max(1, intData(this, "minSize", 1));
      this.label = this.dataset.label || gettext("Image");
      this.message = this.querySelector(".box-message") || this._addMessage();
      this._abort = new AbortController();
      this._drag = null;
      this._gesture = null;
      this._pointers = new Map(); // touch pointers down, for pinch and two-finger pan
      this._spaceHeld = false;
      this._hover = false;
      this.zoom = 1; // 1 = the size the page's CSS gives the image ("fit")
      this.fitW = 0;
      this.fitH = 0;
      this._build();
      this.boxes = this.slots.map((slot) => this._parse(slot).box);
      this._past = [];
      this._future = [];
      this._recorded = this._snapshot();
      this._lastKey = null;
      this._listen(this._abort.signal);
      this.render();
      this._showZoom();
      this._showHistory();
    }

    disconnectedCallback() {
      this._abort?.abort();
      this._abort = null;
      this._resizeObserver?.disconnect();
      this._resizeObserver = null;
      this._drag = null;
      this._gesture = null;
      this._pointers?.clear();
    }

    // ---- building -------------------------------------------------------------------------------

    _addMessage() {
      const p = el("p", { className: "box-message" }, { role: "status", "aria-live": "polite" });
      this.stage.after(p);
      return p;
    }

    _build() {
      // A re-connect, or an htmx history snapshot of an enhanced element, brings the old overlay,
      // toolbar, buttons and zoom sizes along: replace them rather than add a second set.
      this.stage.querySelectorAll(":scope > svg.box-overlay").forEach((n) => n.remove());
      this.querySelectorAll(".box-toolbar, .box-fields .box-remove").forEach((n) => n.remove());
      this.classList.remove("is-zoomed", "is-panning", "is-pan-ready");
      this.img.style.width = "";
      this.img.style.height = "";

      // The viewport clips the zoomed stage and is scrolled to pan; it is also the keyboard's way in.
      let viewport = this.stage.parentElement;
      if (!viewport.classList.contains("box-viewport")) {
        viewport = el("div", { className: "box-viewport" });
        this.stage.before(viewport);
        viewport.append(this.stage);
      }
      viewport.style.height = "";
      viewport.tabIndex = 0;
      viewport.setAttribute("role", "group");
      viewport.setAttribute(
        "aria-label",
        fill(gettext("View of %(label)s: Enter adds a box, + and − zoom, 0 fits, arrows pan when zoomed"), { label: this.label }),
      );
      const hint = this.querySelector(".box-hint");
      if (hint?.id) viewport.setAttribute("aria-describedby", hint.id);
      this.viewport = viewport;

      this.svg = svg("svg", {
        class: "box-overlay",
        viewBox: `0 0 ${this.W} ${this.H}`,
        preserveAspectRatio: "none",
        role: "group",
        "aria-label": fill(gettext("Boxes on %(label)s"), { label: this.label }),
      });
      this.slots = [];
      for (const fieldset of this.querySelectorAll(".box-fields")) {
        if (this.slots.length >= this.maxBoxes) break;
        const inputs = NAMES.map((n) => fieldset.querySelector(`input[name$="-${n}"]`));
        if (inputs.some((input) => !input)) continue;
        this.slots.push(this._buildSlot(this.slots.length, fieldset, inputs));
      }
      this.stage.append(this.svg);
      this._buildToolbar();
    }

    _buildSlot(index, fieldset, inputs) {
      const name = fill(gettext("%(label)s, box %(number)s"), { label: this.label, number: index + 1 });
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
      fieldset.classList.add(`box-fields-${index + 1}`);
      // The visible word is "Remove"; the hidden rest makes its name "Remove Image 1, box 1".
      const button = namedButton(gettext("Remove"), ` ${name}`, "box-remove secondary");
      fieldset.append(button);
      return { index, name, fieldset, inputs, g, ring, halo, rect, text, handles, button, open: false };
    }

    _buildToolbar() {
      const bar = el("div", { className: "box-toolbar" }, { role: "group", "aria-label": fill(gettext("Zoom and undo for %(label)s"), { label: this.label }) });
      const labelled = (text, name, cls) => el("button", { type: "button", className: `secondary ${cls}`, textContent: text }, { "aria-label": name });
      this.zoomOutButton = labelled("−", fill(gettext("Zoom out on %(label)s"), { label: this.label }), "box-zoom-out");
      this.zoomInButton = labelled("+", fill(gettext("Zoom in on %(label)s"), { label: this.label }), "box-zoom-in");
      this.fitButton = labelled(gettext("Fit"), fill(gettext("Fit %(label)s in view"), { label: this.label }), "box-zoom-fit");
      // Shown against the original's pixels, so "100%" means one screen pixel per image pixel.
      this.zoomLevel = el("span", { className: "box-zoom-level" }, { "aria-hidden": "true" });
      this.undoButton = labelled(gettext("Undo"), fill(gettext("Undo box change on %(label)s"), { label: this.label }), "box-undo");
      this.redoButton = labelled(gettext("Redo"), fill(gettext("Redo box change on %(label)s"), { label: this.label }), "box-redo");
      this.typeButton = namedButton(gettext("Type a box"), fill(gettext(" on %(label)s"), { label: this.label }), "secondary box-type");
      bar.append(this.zoomOutButton, this.zoomInButton, this.fitButton, this.zoomLevel, this.undoButton, this.redoButton, this.typeButton);
      this.viewport.before(bar);
    }

    _listen(signal) {
      const on = (target, type, fn, options = {}) => target.addEventListener(type, fn, { signal, ...options });
      on(this.svg, "pointerdown", (e) => this._onPointerDown(e));
      on(this.svg, "pointermove", (e) => this._onPointerMove(e));
      on(this.svg, "pointerup", (e) => this._onPointerUp(e));
      on(this.svg, "pointercancel", (e) => this._onPointerCancel(e));
      on(this.svg, "lostpointercapture", (e) => this._onPointerCancel(e));
      on(this, "keydown", (e) => this._onKeyDown(e));
      on(this, "input", (e) => this._onField(e));
      on(this, "change", (e) => this._onField(e));
      for (const slot of this.slots) on(slot.button, "click", () => this._remove(slot.index));
      on(this.zoomInButton, "click", () => this.zoomBy(ZOOM_STEP));
      on(this.zoomOutButton, "click", () => this.zoomBy(1 / ZOOM_STEP));
      on(this.fitButton, "click", () => this.zoomBy(0));
      on(this.undoButton, "click", () => this.undo());
      on(this.redoButton, "click", () => this.redo());
      on(this.typeButton, "click", () => this._openFields());
      on(this.viewport, "wheel", (e) => this._onWheel(e), { passive: false });
      on(this.viewport, "pointerenter", () => {
        this._hover = true;
      });
      on(this.viewport, "pointerleave", () => {
        this._hover = false;
      });
      // Space held over the image turns a drag into a pan (as in image editors); it is listened for on
      // the document because the mouse, not the focus, says which image is meant.
      on(document, "keydown", (e) => this._onSpace(e, true));
      on(document, "keyup", (e) => this._onSpace(e, false));
      on(window, "blur", () => this._setSpace(false));
      on(this.img, "load", () => this.render());
      // Handles and labels keep their screen size when the image is shown at another size; a new
      // column width changes what "fit" is.
      this._width = this.getBoundingClientRect().width;
      this._resizeObserver = new ResizeObserver(() => {
        const width = this.getBoundingClientRect().width;
        if (width !== this._width) {
          this._width = width;
          this._refit();
        }
        this._fit(); // at zoom 1 the size just laid out is the fit the zoom level is shown against
        this._showZoom();
        this.render();
      });
      this._resizeObserver.observe(this.svg);
      this._resizeObserver.observe(this);
    }

    // ---- geometry -------------------------------------------------------------------------------

    // Original-image pixels under the pointer; the CTM covers CSS scaling, zoom, scrolling and
    // devicePixelRatio.
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

    // ---- zoom and pan ---------------------------------------------------------------------------

    // The size the page's CSS gives the image is "fit"; it is measured whenever no zoom is applied.
    _fit() {
      if (this.zoom === 1) {
        const r = this.img.getBoundingClientRect();
        this.fitW = r.width;
        this.fitH = r.height;
      }
      return this.fitW > 0 && this.fitH > 0;
    }

    // Up to 8 screen pixels per image pixel, and never less than 4× the fit.
    get maxZoom() {
      return this.fitW > 0 ? Math.max(4, Math.min(16, (8 * this.W) / this.fitW)) : 4;
    }

    _applyZoom(z) {
      this.zoom = z;
      const zoomed = z > 1;
      this.classList.toggle("is-zoomed", zoomed);
      this.viewport.style.height = zoomed ? `${this.fitH}px` : "";
      this.img.style.width = zoomed ? `${this.fitW * z}px` : "";
      this.img.style.height = zoomed ? `${this.fitH * z}px` : "";
      if (!zoomed) {
        this.viewport.scrollLeft = 0;
        this.viewport.scrollTop = 0;
      }
      this._showZoom();
    }

    /** Zoom to z (1 = fit) keeping the image point under the client point (cx, cy) where it is. */
    zoomAt(z, cx, cy) {
      if (!this._fit()) return;
      z = clamp(z, 1, this.maxZoom);
      if (Math.abs(z - this.zoom) < 1e-3) return;
      const before = this.img.getBoundingClientRect();
      const u = (cx - before.left) / before.width;
      const v = (cy - before.top) / before.height;
      this._applyZoom(z);
      const after = this.img.getBoundingClientRect();
      this.viewport.scrollLeft += after.left + u * after.width - cx;
      this.viewport.scrollTop += after.top + v * after.height - cy;
      this.render();
    }

    /** Zoom by a factor about the middle of the view; 0 fits the image. */
    zoomBy(factor) {
      const r = this.viewport.getBoundingClientRect();
      this.zoomAt(factor === 0 ? 1 : this.zoom * factor, r.left + r.width / 2, r.top + r.height / 2);
    }

    _refit() {
      if (this.zoom === 1 || !this.isConnected) return;
      const z = this.zoom;
      const vr = this.viewport.getBoundingClientRect();
      const r = this.img.getBoundingClientRect();
      const u = (vr.left + vr.width / 2 - r.left) / r.width;
      const v = (vr.top + vr.height / 2 - r.top) / r.height;
      this._applyZoom(1);
      if (!this._fit()) return;
      this._applyZoom(clamp(z, 1, this.maxZoom));
      const after = this.img.getBoundingClientRect();
      const now = this.viewport.getBoundingClientRect();
      this.viewport.scrollLeft += after.left + u * after.width - (now.left + now.width / 2);
      this.viewport.scrollTop += after.top + v * after.height - (now.top + now.height / 2);
    }

    _pan(dx, dy) {
      this.viewport.scrollLeft += dx;
      this.viewport.scrollTop += dy;
    }

    _showZoom() {
      const percent = this.fitW > 0 ? Math.round(((this.fitW * this.zoom) / this.W) * 100) : null;
      this.zoomLevel.textContent = percent === null ? "" : `${percent}%`;
      this.zoomLevel.title = percent === null ? "" : fill(gettext("Shown at %(percent)s% of the original's pixels"), { percent });
      this.zoomOutButton.setAttribute("aria-disabled", String(this.zoom <= 1));
      this.fitButton.setAttribute("aria-disabled", String(this.zoom <= 1));
      this.zoomInButton.setAttribute("aria-disabled", String(this.fitW > 0 && this.zoom >= this.maxZoom - 1e-3));
    }

    _onWheel(e) {
      if (!this._fit()) return;
      const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
      const dy = e.deltaY * unit;
      if (!dy) return;
      // A trackpad pinch arrives as a wheel with ctrlKey and small deltas.
      const factor = Math.exp(-dy * (e.ctrlKey ? 0.01 : 0.002));
      // Fully zoomed out, scrolling down scrolls the page as it would anywhere else.
      if (factor < 1 && this.zoom <= 1) return;
      e.preventDefault();
      this.zoomAt(this.zoom * factor, e.clientX, e.clientY);
    }

    _setSpace(held) {
      this._spaceHeld = held;
      this.classList.toggle("is-pan-ready", held);
    }

    _onSpace(e, down) {
      if (e.key !== " ") return;
      if (!down) return this._setSpace(false);
      if (!this._hover || e.ctrlKey || e.metaKey || e.altKey) return;
      // Space still presses a focused button or types in a field elsewhere on the page.
      if (e.target !== document.body && !this.viewport.contains(e.target)) return;
      e.preventDefault();
      if (!this._spaceHeld) this._setSpace(true);
    }

    _startGesture() {
      if (this._drag) {
        // The first finger's box is dropped: two fingers mean zoom and pan, not draw.
        this._drag = null;
        this.render();
      }
      const [a, b] = [...this._pointers.values()];
      this._gesture = {
        dist: Math.hypot(b.x - a.x, b.y - a.y),
        zoom: this.zoom,
        mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
      };
    }

    _moveGesture() {
      const [a, b] = [...this._pointers.values()];
      if (!a || !b) return;
      const g = this._gesture;
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      this._pan(g.mid.x - mid.x, g.mid.y - mid.y);
      g.mid = mid;
      if (g.dist > 0) this.zoomAt((g.zoom * Math.hypot(b.x - a.x, b.y - a.y)) / g.dist, mid.x, mid.y);
    }

    // Scroll a box (in original pixels) into the view when zoomed, so a keyboard move stays visible.
    _reveal([x1, y1, x2, y2]) {
      if (this.zoom <= 1) return;
      const r = this.img.getBoundingClientRect();
      const vr = this.viewport.getBoundingClientRect();
      const sx = r.width / this.W;
      const sy = r.height / this.H;
      const [left, right, top, bottom] = [r.left + x1 * sx, r.left + x2 * sx, r.top + y1 * sy, r.top + y2 * sy];
      if (right > vr.right) this._pan(right - vr.right + 8, 0);
      if (left < vr.left) this._pan(left - vr.left - 8, 0);
      if (bottom > vr.bottom) this._pan(0, bottom - vr.bottom + 8);
      if (top < vr.top) this._pan(0, top - vr.top - 8);
    }

    // ---- pointer --------------------------------------------------------------------------------

    _onPointerDown(e) {
      const mouse = e.pointerType === "mouse";
      if (e.pointerType === "touch") {
        this._pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
        if (this._pointers.size === 2) {
          e.preventDefault();
          this.svg.setPointerCapture(e.pointerId);
          this._startGesture();
          return;
        }
      }
      if (this._gesture || this._drag) return;
      // Space+drag, or a middle-button drag, pans.
      if ((this._spaceHeld && (!mouse || e.button === 0)) || (mouse && e.button === 1)) {
        e.preventDefault();
        this._drag = { mode: "pan", id: e.pointerId, last: { x: e.clientX, y: e.clientY } };
        this.svg.setPointerCapture(e.pointerId);
        this.classList.add("is-panning");
        return;
      }
      if (mouse && e.button !== 0) return;
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
      if (this._pointers.has(e.pointerId)) this._pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
      if (this._gesture) {
        if (this._pointers.has(e.pointerId)) this._moveGesture();
        return;
      }
      const d = this._drag;
      if (!d || e.pointerId !== d.id) return;
      if (d.mode === "pan") {
        this._pan(d.last.x - e.clientX, d.last.y - e.clientY);
        d.last = { x: e.clientX, y: e.clientY };
        return;
      }
      const p = this._point(e);
      if (!p || (p.x === d.start.x && p.y === d.start.y && !d.box)) return;
      if (d.mode === "refused") {
        this._refuse();
        return;
      }
      d.box = this._dragged(d, p);
      this.render();
    }

    _onPointerUp(e) {
      if (this._endTouch(e)) return;
      const d = this._drag;
      if (!d || e.pointerId !== d.id) return;
      this._onPointerMove(e);
      this._drag = null;
      if (d.mode === "pan") return this.classList.remove("is-panning");
      if (!d.box) return this.render();
      if (d.mode === "draw") {
        const [x1, y1, x2, y2] = d.box;
        if (x2 - x1 < this.minSize || y2 - y1 < this.minSize) {
          this.render();
          const min = this.minSize;
          return this._say(
            fill(
              gettext("Boxes must be at least %(min)s × %(min)s px of the original image; that one was %(w)s × %(h)s. Drag a larger box."),
              { min, w: x2 - x1, h: y2 - y1 },
            ),
          );
        }
      }
      this._commit(d.slot, d.box);
      if (d.mode === "draw") this.slots[d.slot].g.focus({ preventScroll: true });
    }

    // A touch pointer ends; true while a two-finger gesture is (or was) under way.
    _endTouch(e) {
      const was = this._pointers.delete(e.pointerId);
      if (!this._gesture) return false;
      if (was && this._pointers.size === 0) this._gesture = null;
      return true;
    }

    _onPointerCancel(e) {
      if (this._endTouch(e)) return;
      if (!this._drag || e.pointerId !== this._drag.id) return;
      this._drag = null;
      this.classList.remove("is-panning");
      this.render();
    }

    // ---- keyboard -------------------------------------------------------------------------------

    _onKeyDown(e) {
      if (typing(e.target) || this._drag) return; // a number field keeps its own undo
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      if (mod && !e.altKey && (key === "z" || key === "y")) {
        e.preventDefault();
        if (key === "z" && !e.shiftKey) this.undo();
        else this.redo();
        return;
      }
      if (mod || !this.viewport.contains(e.target)) return;
      if (key === "+" || key === "=") {
        e.preventDefault();
        return this.zoomBy(ZOOM_STEP);
      }
      if (key === "-" || key === "_") {
        e.preventDefault();
        return this.zoomBy(1 / ZOOM_STEP);
      }
      if (key === "0") {
        e.preventDefault();
        return this.zoomBy(0);
      }
      const g = e.target.closest?.(".box");
      if (g) return this._onBoxKey(e, Number(g.dataset.box));
      if (e.target !== this.viewport) return;
      if (key === "Enter") {
        e.preventDefault();
        return this._addBoxInView();
      }
      const arrow = ARROWS[key];
      if (arrow && this.zoom > 1) {
        e.preventDefault();
        const step = e.shiftKey ? 0.5 : 0.1; // of the view
        this._pan(arrow[0] * this.viewport.clientWidth * step, arrow[1] * this.viewport.clientHeight * step);
      }
    }

    _onBoxKey(e, slot) {
      const box = this.boxes[slot];
      if (!box) return;
      if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        this._remove(slot);
        return;
      }
      const arrow = ARROWS[e.key];
      if (!arrow || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      const step = e.shiftKey ? 10 : 1;
      const [dx, dy] = [arrow[0] * step, arrow[1] * step];
      const next = e.altKey ? this._resized(box, "se", dx, dy) : this._moved(box, dx, dy);
      this._commit(slot, next, `${slot}-${e.altKey ? "size" : "move"}`);
      this._reveal(next);
    }

    // The keyboard's way to draw: a box a third the size of what is in view, in its middle.
    _addBoxInView() {
      const slot = this.boxes.indexOf(null);
      if (slot < 0) return this._refuse();
      const r = this.img.getBoundingClientRect();
      const vr = this.viewport.getBoundingClientRect();
      if (!r.width || !r.height) return;
      const x = (cx) => ((cx - r.left) * this.W) / r.width;
      const y = (cy) => ((cy - r.top) * this.H) / r.height;
      const [x1, x2] = [x(Math.max(r.left, vr.left)), x(Math.min(r.right, vr.right))];
      const [y1, y2] = [y(Math.max(r.top, vr.top)), y(Math.min(r.bottom, vr.bottom))];
      const w = Math.min(this.W, Math.max(this.minSize, Math.round((x2 - x1) / 3)));
      const h = Math.min(this.H, Math.max(this.minSize, Math.round((y2 - y1) / 3)));
      const left = Math.round((x1 + x2) / 2 - w / 2);
      const top = Math.round((y1 + y2) / 2 - h / 2);
      this._commit(slot, this._moved([0, 0, w, h], left, top));
      this.slots[slot].g.focus({ preventScroll: true });
    }

    _refuse() {
      const most = this.maxBoxes;
      this._say(
        fill(
          ngettext(
            "%(label)s already has %(most)s box, the most allowed. Remove one to draw another.",
            "%(label)s already has %(most)s boxes, the most allowed. Remove one to draw another.",
            most,
          ),
          { label: this.label, most },
        ),
      );
    }

    // ---- fields ---------------------------------------------------------------------------------

    _parse(slot) {
      const raw = slot.inputs.map((input) => input.value.trim());
      if (raw.every((v) => v === "")) return { box: null, problem: "" };
      // A number input reports "" for text it cannot read, so a half-typed value counts as missing.
      const nums = raw.map((v) => (v === "" ? Number.NaN : Number(v)));
      const missing = () => ({ box: null, problem: fill(gettext("%(box)s: fill in all four whole numbers to draw it."), { box: slot.name }) });
      if (nums.some((n) => !Number.isInteger(n))) return missing();
      const [x1, y1, x2, y2] = nums;
      const problem = (text) => ({ box: null, problem: `${slot.name}: ${text}` });
      if (x1 >= x2 || y1 >= y2) return problem(gettext("x1 must be less than x2, and y1 less than y2."));
      if (x1 < 0 || y1 < 0 || x2 > this.W || y2 > this.H) {
        return problem(fill(gettext("keep x between 0 and %(w)s and y between 0 and %(h)s."), { w: this.W, h: this.H }));
      }
      if (x2 - x1 < this.minSize || y2 - y1 < this.minSize) {
        return problem(fill(gettext("make it at least %(min)s px wide and %(min)s px tall."), { min: this.minSize }));
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
      // Typing is one undo step once the field is left, not one per keystroke.
      if (e.type === "change") this._record(null);
    }

    _openFields() {
      const slot = this.slots.find((s) => s.fieldset.hidden);
      if (!slot) return;
      slot.open = true;
      this.render();
      slot.inputs[0].focus();
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

    _commit(index, box, historyKey = null) {
      const slot = this.slots[index];
      const changed = !sameBox(box, this.boxes[index]);
      this.boxes[index] = box;
      this._write(slot, box);
      this.render();
      if (!changed) return;
      this._record(historyKey);
      this._say(box ? this._describe(slot, box) : fill(gettext("Removed %(box)s."), { box: slot.name }));
      this._emit();
    }

    _remove(index) {
      const slot = this.slots[index];
      slot.open = false;
      this._commit(index, null);
      this._say(fill(gettext("Removed %(box)s."), { box: slot.name }));
      // The box and its fields are hidden now; the view is where the next box is drawn.
      this.viewport.focus({ preventScroll: true });
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

    // ---- undo -----------------------------------------------------------------------------------

    _snapshot() {
      return this.boxes.map((box) => (box ? [...box] : null));
    }

    // Called after every finished change; a run of changes with the same key (arrow presses on one
    // box) within COALESCE_MS is one step.
    _record(key) {
      const now = this._snapshot();
      if (sameBoxes(now, this._recorded)) return;
      const t = performance.now();
      const coalesce = key !== null && key === this._lastKey && t - this._lastAt < COALESCE_MS;
      if (!coalesce) this._past.push(this._recorded);
      if (this._past.length > HISTORY_MAX) this._past.shift();
      this._recorded = now;
      this._future = [];
      this._lastKey = key;
      this._lastAt = t;
      this._showHistory();
    }

    undo() {
      if (!this._past.length) return this._say(fill(gettext("Nothing to undo on %(label)s."), { label: this.label }));
      this._future.push(this._recorded);
      this._restore(this._past.pop(), gettext("Undone"));
    }

    redo() {
      if (!this._future.length) return this._say(fill(gettext("Nothing to redo on %(label)s."), { label: this.label }));
      this._past.push(this._recorded);
      this._restore(this._future.pop(), gettext("Redone"));
    }

    _restore(state, verb) {
      const focused = this.svg.contains(document.activeElement) ? document.activeElement : null;
      this._recorded = state;
      this._lastKey = null;
      state.forEach((box, i) => {
        this.boxes[i] = box ? [...box] : null;
        this._write(this.slots[i], box);
      });
      this.render();
      this._emit();
      this._showHistory();
      // A focused box that undo took away would leave the focus nowhere, and the next Ctrl+Z unheard.
      if (focused && focused.getAttribute("display") === "none") this.viewport.focus({ preventScroll: true });
      const n = state.filter((box) => box !== null).length;
      this._say(fill(gettext("%(done)s: %(label)s has %(boxes)s."), { done: verb, label: this.label, boxes: countText(n) }));
    }

    _showHistory() {
      this.undoButton.setAttribute("aria-disabled", String(!this._past.length));
      this.redoButton.setAttribute("aria-disabled", String(!this._future.length));
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
        const empty = slot.inputs.every((input) => input.value === "");
        slot.button.disabled = empty;
        // The box list stays short: a slot's fields show once it has a box (or "Type a box" opened it).
        slot.fieldset.hidden = empty && !slot.open;
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
      this.typeButton.hidden = !this.slots.some((slot) => slot.fieldset.hidden);
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
