// <mask-brush>: paint a mask over a reference image for wanx2.1-imageedit's description_edit_with_mask.
// White = the area to edit, black = keep. The mask always has the original image's size
// (data-width × data-height), whatever size the image is shown at, and is saved as a greyscale PNG
// (black background, white painted area, no alpha) to data-save-url after every stroke, keyboard dab
// and clear. The server renders the stage, image and status message; this element adds the canvas,
// the keyboard cursor and the toolbar. Every stroke, keyboard line, dab and clear is one undo step
// (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y, or the Undo and Redo buttons); undoing saves the mask again.
(() => {
  "use strict";

  // Words come from Django's JavaScriptCatalog (/jsi18n/, loaded by base.html before this file).
  const fill = (text, values) => interpolate(text, values, true);
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const TINT = [255, 0, 80, 115]; // rgba(255, 0, 80, .45): painted pixels on the display canvas
  const MIN_SIZE = 4; // brush diameter in original pixels
  const MESSAGE_CHARS = 300;
  const HISTORY_MAX = 50;

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

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

  // Values of x with lo <= k * x + c <= hi, as [from, to] (empty when from > to).
  function linearRange(k, c, lo, hi) {
    if (k === 0) return c >= lo && c <= hi ? [-Infinity, Infinity] : [Infinity, -Infinity];
    const a = (lo - c) / k;
    const b = (hi - c) / k;
    return k > 0 ? [a, b] : [b, a];
  }

  function csrfToken(host) {
    const selector = 'input[name="csrfmiddlewaretoken"]';
    const input = host.closest("form")?.querySelector(selector) || document.querySelector(selector);
    if (input?.value) return input.value;
    const cookie = document.cookie.split(/;\s*/).find((c) => c.startsWith("csrftoken="));
    return cookie ? decodeURIComponent(cookie.slice("csrftoken=".length)) : "";
  }

  class MaskBrush extends HTMLElement {
    connectedCallback() {
      if (this._abort) return;
      const W = intData(this, "width", 0);
      const H = intData(this, "height", 0);
      this.stage = this.querySelector(".mask-stage");
      if (!(W > 0 && H > 0) || !this.stage) return;
      // Moved in the page: keep what was painted. New (or another size): start from the saved mask.
      const fresh = !this.mask || this.W !== W || this.H !== H;
      this.W = W;
      this.H = H;
      this.label = this.dataset.label || gettext("Image");
      this.maxSize = Math.max(MIN_SIZE, Math.round(Math.max(W, H) / 4));
      if (fresh) {
        this.mask = new Uint8Array(W * H); // the true mask: 1 = white (edit), 0 = black (keep)
        this.tool = "brush";
        this.size = clamp(Math.round(Math.max(W, H) / 20), MIN_SIZE, this.maxSize);
        this.cursor = { x: Math.round(W / 2), y: Math.round(H / 2) };
        this._dirty = false;
        this._saving = false;
        this._past = [];
        this._future = [];
      }
      this.message = this.querySelector(".mask-message") || this._addMessage();
      this._abort = new AbortController();
      this._stroke = null;
      this._keyPainting = false;
      this._step = null;
      this._build();
      this._listen(this._abort.signal);
      this._showTool();
      this._showHistory();
      this._showSize();
      this._showCursor();
      this._repaint({ x: 0, y: 0, w: W, h: H });
      const url = this.dataset.maskUrl || "";
      this.ready = fresh && url ? this._load(url) : Promise.resolve();
    }

    disconnectedCallback() {
      this._abort?.abort();
      this._abort = null;
      if (this._stroke) this._endStroke(); // a stroke cut short still counts
      this._keyPainting = false;
      this._endStep();
    }

    // ---- public ---------------------------------------------------------------------------------

    /** How many pixels of the mask are white (to be edited). */
    maskPixels() {
      let n = 0;
      for (let i = 0; i < this.mask.length; i++) n += this.mask[i];
      return n;
    }

    /** The mask as a PNG Blob of data-width × data-height: black = keep, white = edit. The
     *  server re-encodes it as 1-bit greyscale, so the browser's own PNG encoder is enough. */
    toBlob() {
      return this._canvasPng();
    }

    // ---- building -------------------------------------------------------------------------------

    _addMessage() {
      const p = el("p", { className: "mask-message" }, { role: "status", "aria-live": "polite" });
      this.stage.after(p);
      return p;
    }

    _build() {
      // A re-connect, or an htmx history snapshot of an enhanced element, brings the old canvas,
      // cursor and toolbar along: replace them rather than add a second set.
      this.stage.querySelectorAll(":scope > .mask-canvas, :scope > .mask-cursor").forEach((n) => n.remove());
      this.querySelectorAll(".mask-toolbar").forEach((n) => n.remove());

      this.canvas = el("canvas", { className: "mask-canvas", width: this.W, height: this.H, tabIndex: 0 }, {
        role: "application",
        "aria-label":
          fill(
            gettext(
              "Mask of %(label)s: arrows move the brush (Shift: 10 px), Space paints (hold it with arrows to paint a line), E toggles eraser, [ and ] change size, Delete clears",
            ),
            { label: this.label },
          ),
      });
      this.ctx = this.canvas.getContext("2d");
      this.cursorEl = el("div", { className: "mask-cursor" }, { "aria-hidden": "true" });
      this.stage.append(this.canvas, this.cursorEl);

      const bar = el("div", { className: "mask-toolbar" }, { role: "toolbar", "aria-label": fill(gettext("Mask tools for %(label)s"), { label: this.label }) });
      const button = (text, cls) => el("button", { type: "button", className: `secondary ${cls}`, textContent: text });
      this.brushButton = button(gettext("Brush"), "mask-tool mask-tool-brush");
      this.eraserButton = button(gettext("Eraser"), "mask-tool mask-tool-eraser");
      this.sizeInput = el("input", { type: "range", min: MIN_SIZE, max: this.maxSize, step: 1, className: "mask-size-input" });
      this.sizeOutput = el("output", { className: "mask-size-value" }, { "aria-hidden": "true" });
      const sizeLabel = el("label", { className: "mask-size" });
      sizeLabel.append(gettext("Brush size") + " ", this.sizeInput, this.sizeOutput);
      this.clearButton = button(gettext("Clear mask"), "mask-clear");
      this.undoButton = button(gettext("Undo"), "mask-undo");
      this.undoButton.setAttribute("aria-label", fill(gettext("Undo mask stroke on %(label)s"), { label: this.label }));
      this.redoButton = button(gettext("Redo"), "mask-redo");
      this.redoButton.setAttribute("aria-label", fill(gettext("Redo mask stroke on %(label)s"), { label: this.label }));
      bar.append(this.brushButton, this.eraserButton, sizeLabel, this.clearButton, this.undoButton, this.redoButton);
      this.stage.before(bar);
    }

    _listen(signal) {
      const on = (target, type, fn) => target.addEventListener(type, fn, { signal });
      on(this.canvas, "pointerdown", (e) => this._onPointerDown(e));
      on(this.canvas, "pointermove", (e) => this._onPointerMove(e));
      on(this.canvas, "pointerup", (e) => this._onPointerUp(e));
      on(this.canvas, "pointercancel", (e) => this._onPointerCancel(e));
      on(this.canvas, "lostpointercapture", (e) => this._onPointerCancel(e));
      on(this.canvas, "keydown", (e) => this._onKeyDown(e));
      on(this.canvas, "keyup", (e) => {
        if (e.key !== " ") return;
        this._keyPainting = false;
        if (!this._stroke) this._endStep();
      });
      on(this.canvas, "blur", () => {
        this._keyPainting = false;
        if (!this._stroke) this._endStep();
      });
      on(this, "keydown", (e) => this._onUndoKey(e));
      on(this.undoButton, "click", () => this.undo());
      on(this.redoButton, "click", () => this.redo());
      on(this.brushButton, "click", () => this._setTool("brush"));
      on(this.eraserButton, "click", () => this._setTool("eraser"));
      on(this.clearButton, "click", () => this._clear());
      on(this.sizeInput, "input", () => this._setSize(Number(this.sizeInput.value), false));
    }

    // ---- state ----------------------------------------------------------------------------------

    _setTool(tool, announce = false) {
      this.tool = tool;
      this._showTool();
      if (announce) this._say(tool === "eraser" ? gettext("Eraser") : gettext("Brush"));
    }

    _showTool() {
      this.brushButton.setAttribute("aria-pressed", String(this.tool === "brush"));
      this.eraserButton.setAttribute("aria-pressed", String(this.tool === "eraser"));
      this.cursorEl.classList.toggle("is-eraser", this.tool === "eraser");
      this.dataset.tool = this.tool;
    }

    _setSize(size, announce) {
      this.size = clamp(Math.round(size), MIN_SIZE, this.maxSize);
      this._showSize();
      this._showCursor();
      if (announce) this._say(fill(gettext("Brush size %(size)s px"), { size: this.size }));
    }

    _showSize() {
      this.sizeInput.value = String(this.size);
      this.sizeInput.setAttribute("aria-valuetext", `${this.size} px`);
      this.sizeOutput.textContent = `${this.size} px`;
    }

    _showCursor() {
      const s = this.cursorEl.style;
      s.left = `${(this.cursor.x / this.W) * 100}%`;
      s.top = `${(this.cursor.y / this.H) * 100}%`;
      s.width = `${(this.size / this.W) * 100}%`;
      s.height = `${(this.size / this.H) * 100}%`;
    }

    _say(text, error = false) {
      const t = text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS)}…` : text;
      this.message.classList.toggle("is-error", error);
      if (this.message.textContent !== t) this.message.textContent = t;
    }

    // ---- painting -------------------------------------------------------------------------------

    // Paint (or erase) every pixel whose centre lies within size/2 of the segment a–b: a capsule,
    // so a fast stroke whose move events are far apart still leaves no gaps. Returns the dirty rect.
    _paint(a, b, erase) {
      const { W, H, mask } = this;
      const r = this.size / 2;
      const value = erase ? 0 : 1;
      const x0 = clamp(Math.floor(Math.min(a.x, b.x) - r), 0, W);
      const x1 = clamp(Math.ceil(Math.max(a.x, b.x) + r), 0, W);
      const y0 = clamp(Math.floor(Math.min(a.y, b.y) - r), 0, H);
      const y1 = clamp(Math.ceil(Math.max(a.y, b.y) + r), 0, H);
      if (x0 >= x1 || y0 >= y1) return;
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len2 = dx * dx + dy * dy;
      const rLen = r * Math.sqrt(len2);
      for (let y = y0; y < y1; y++) {
        const py = y + 0.5;
        let lo = Infinity;
        let hi = -Infinity;
        for (const c of [a, b]) {
          const h2 = r * r - (py - c.y) ** 2;
          if (h2 < 0) continue;
          const h = Math.sqrt(h2);
          lo = Math.min(lo, c.x - h);
          hi = Math.max(hi, c.x + h);
        }
        if (len2 > 0) {
          // The band between the end caps: 0 <= (p - a)·d <= |d|² and |(p - a) × d| <= r|d|.
          const ey = py - a.y;
          const [l1, h1] = linearRange(dx, ey * dy - a.x * dx, 0, len2);
          const [l2, h2] = linearRange(dy, -a.x * dy - ey * dx, -rLen, rLen);
          const l = Math.max(l1, l2);
          const h = Math.min(h1, h2);
          if (l <= h) {
            lo = Math.min(lo, l);
            hi = Math.max(hi, h);
          }
        }
        if (lo > hi) continue;
        const from = Math.max(x0, Math.ceil(lo - 0.5));
        const to = Math.min(x1 - 1, Math.floor(hi - 0.5));
        if (from <= to) mask.fill(value, y * W + from, y * W + to + 1);
      }
      this._repaint({ x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
      this._touch(x0, y0, x1, y1);
    }

    // Copy part of the true mask to the display canvas, tinted.
    _repaint({ x, y, w, h }) {
      const image = this.ctx.createImageData(w, h);
      const d = image.data;
      const [r, g, b, a] = TINT;
      for (let j = 0; j < h; j++) {
        let src = (y + j) * this.W + x;
        let o = j * w * 4;
        for (let i = 0; i < w; i++, src++, o += 4) {
          if (!this.mask[src]) continue;
          d[o] = r;
          d[o + 1] = g;
          d[o + 2] = b;
          d[o + 3] = a;
        }
      }
      this.ctx.putImageData(image, x, y);
    }

    _clear() {
      this._beginStep();
      this.mask.fill(0);
      this.ctx.clearRect(0, 0, this.W, this.H);
      this._touch(0, 0, this.W, this.H);
      this._endStep();
      this._save();
    }

    // ---- undo -----------------------------------------------------------------------------------

    // A step keeps only the rectangle it changed, before and after, not two whole masks.
    _beginStep() {
      this._endStep();
      this._step = { before: this.mask.slice(), x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    }

    _touch(x0, y0, x1, y1) {
      const s = this._step;
      if (!s) return;
      s.x0 = Math.min(s.x0, x0);
      s.y0 = Math.min(s.y0, y0);
      s.x1 = Math.max(s.x1, x1);
      s.y1 = Math.max(s.y1, y1);
    }

    _endStep() {
      const s = this._step;
      this._step = null;
      if (!s || s.x0 >= s.x1 || s.y0 >= s.y1) return;
      const rect = { x: s.x0, y: s.y0, w: s.x1 - s.x0, h: s.y1 - s.y0 };
      const before = this._region(s.before, rect);
      const after = this._region(this.mask, rect);
      if (before.every((v, i) => v === after[i])) return; // erasing nothing is no step
      this._past.push({ rect, before, after });
      if (this._past.length > HISTORY_MAX) this._past.shift();
      this._future = [];
      this._showHistory();
    }

    _region(source, { x, y, w, h }) {
      const out = new Uint8Array(w * h);
      for (let j = 0; j < h; j++) out.set(source.subarray((y + j) * this.W + x, (y + j) * this.W + x + w), j * w);
      return out;
    }

    _putRegion({ x, y, w, h }, data) {
      for (let j = 0; j < h; j++) this.mask.set(data.subarray(j * w, (j + 1) * w), (y + j) * this.W + x);
      this._repaint({ x, y, w, h });
    }

    undo() {
      if (this._stroke) return;
      this._endStep();
      const step = this._past.pop();
      if (!step) return this._say(fill(gettext("Nothing to undo on the mask of %(label)s."), { label: this.label }));
      this._putRegion(step.rect, step.before);
      this._future.push(step);
      this._showHistory();
      this._say(fill(gettext("Undone: the last change to the mask of %(label)s."), { label: this.label }));
      this._save();
    }

    redo() {
      if (this._stroke) return;
      this._endStep();
      const step = this._future.pop();
      if (!step) return this._say(fill(gettext("Nothing to redo on the mask of %(label)s."), { label: this.label }));
      this._putRegion(step.rect, step.after);
      this._past.push(step);
      this._showHistory();
      this._say(fill(gettext("Redone: the change to the mask of %(label)s."), { label: this.label }));
      this._save();
    }

    _onUndoKey(e) {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key !== "z" && key !== "y") return;
      e.preventDefault();
      if (key === "z" && !e.shiftKey) this.undo();
      else this.redo();
    }

    _showHistory() {
      this.undoButton.setAttribute("aria-disabled", String(!this._past.length));
      this.redoButton.setAttribute("aria-disabled", String(!this._future.length));
    }

    async _load(url) {
      try {
        const img = new Image();
        img.crossOrigin = "anonymous"; // same-origin requests still carry cookies
        img.src = url;
        await img.decode();
        const scratch = el("canvas", { width: this.W, height: this.H });
        const ctx = scratch.getContext("2d", { willReadFrequently: true });
        ctx.imageSmoothingEnabled = false;
        ctx.fillStyle = "#000";
        ctx.fillRect(0, 0, this.W, this.H);
        ctx.drawImage(img, 0, 0, this.W, this.H);
        const d = ctx.getImageData(0, 0, this.W, this.H).data;
        // Anything painted before the saved mask arrived stays painted.
        for (let i = 0, p = 0; i < this.mask.length; i++, p += 4) {
          if (d[p] + d[p + 1] + d[p + 2] >= 384) this.mask[i] = 1;
        }
        this._repaint({ x: 0, y: 0, w: this.W, h: this.H });
        // The saved mask is where undo starts.
        this._past = [];
        this._future = [];
        this._showHistory();
      } catch {
        this._say(fill(gettext("Could not load the saved mask of %(label)s."), { label: this.label }), true);
      }
    }

    // ---- pointer --------------------------------------------------------------------------------

    // Original-image pixels under the pointer. The canvas's box covers CSS scaling; client
    // coordinates are CSS pixels, so devicePixelRatio plays no part.
    _point(e) {
      const rect = this.canvas.getBoundingClientRect();
      if (!rect.width || !rect.height) return null;
      return {
        x: ((e.clientX - rect.left) * this.W) / rect.width,
        y: ((e.clientY - rect.top) * this.H) / rect.height,
      };
    }

    _follow(p) {
      this.cursor = { x: clamp(Math.round(p.x), 0, this.W), y: clamp(Math.round(p.y), 0, this.H) };
      this._showCursor();
    }

    _onPointerDown(e) {
      if (this._stroke || (e.pointerType === "mouse" && e.button !== 0)) return;
      const p = this._point(e);
      if (!p) return;
      e.preventDefault();
      this.canvas.focus({ preventScroll: true });
      // A pen's eraser end (button 5) erases whatever tool is chosen.
      const erase = this.tool === "eraser" || e.button === 5;
      this._stroke = { id: e.pointerId, last: p, erase };
      this.canvas.setPointerCapture(e.pointerId);
      this._beginStep();
      this._follow(p);
      this._paint(p, p, erase);
    }

    _onPointerMove(e) {
      const p = this._point(e);
      if (!p) return;
      this._follow(p);
      const s = this._stroke;
      if (!s || e.pointerId !== s.id) return;
      const points = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents().map((c) => this._point(c)) : [];
      if (!points.length) points.push(p);
      for (const q of points) {
        if (!q) continue;
        this._paint(s.last, q, s.erase);
        s.last = q;
      }
    }

    _onPointerUp(e) {
      if (!this._stroke || e.pointerId !== this._stroke.id) return;
      this._onPointerMove(e);
      this._endStroke();
    }

    _onPointerCancel(e) {
      if (!this._stroke || e.pointerId !== this._stroke.id) return;
      this._endStroke();
    }

    _endStroke() {
      const s = this._stroke;
      this._stroke = null;
      if (this.canvas.hasPointerCapture?.(s.id)) this.canvas.releasePointerCapture(s.id);
      this._endStep();
      this._save();
    }

    // ---- keyboard -------------------------------------------------------------------------------

    _onKeyDown(e) {
      if (this._stroke || e.metaKey) return;
      const plain = !e.ctrlKey && !e.altKey;
      // [ and ] need AltGr (Ctrl+Alt) on some layouts, so they ignore those modifiers.
      if (e.key === "[" || e.key === "]" || e.key === "-" || e.key === "+") {
        e.preventDefault();
        const grow = e.key === "]" || e.key === "+";
        const next = grow ? Math.max(this.size + 1, this.size * 1.1) : Math.min(this.size - 1, this.size * 0.9);
        this._setSize(next, true);
        return;
      }
      if (!plain) return;
      const arrow = ARROWS[e.key];
      if (arrow) {
        e.preventDefault();
        const step = e.shiftKey ? 10 : 1;
        const from = this.cursor;
        this.cursor = {
          x: clamp(from.x + arrow[0] * step, 0, this.W),
          y: clamp(from.y + arrow[1] * step, 0, this.H),
        };
        this._showCursor();
        if (this._keyPainting) {
          this._paint(from, this.cursor, this.tool === "eraser");
          this._save();
        }
        return;
      }
      if (e.key === " " || e.key === "Enter") {
        e.preventDefault();
        if (e.repeat) return;
        // Space held with arrows paints a line: one step until Space is let go. Enter is one dab.
        this._beginStep();
        if (e.key === " ") this._keyPainting = true;
        this._paint(this.cursor, this.cursor, this.tool === "eraser");
        if (e.key === "Enter") this._endStep();
        this._save();
        return;
      }
      if (e.key === "e" || e.key === "E") {
        e.preventDefault();
        this._setTool(this.tool === "eraser" ? "brush" : "eraser", true);
        return;
      }
      if (e.key === "Delete") {
        e.preventDefault();
        this._clear();
        this._say(fill(gettext("Cleared the mask of %(label)s."), { label: this.label }));
      }
    }

    // ---- saving ---------------------------------------------------------------------------------

    // One save at a time; changes made meanwhile are sent by one more save once it ends, so the
    // latest mask always wins and a burst of changes costs at most two requests.
    _save() {
      if (!this.dataset.saveUrl) return;
      this._dirty = true;
      if (!this._saving) this._saveLoop();
    }

    async _saveLoop() {
      this._saving = true;
      this.toggleAttribute("data-saving", true);
      try {
        while (this._dirty) {
          this._dirty = false;
          await this._saveOnce();
        }
      } finally {
        this._saving = false;
        this.toggleAttribute("data-saving", false);
      }
    }

    async _saveOnce() {
      const url = this.dataset.saveUrl;
      let response;
      let pixels;
      try {
        pixels = this.maskPixels();
        const body = new FormData();
        body.append("mask", await this.toBlob(), "mask.png");
        response = await fetch(url, {
          method: "POST",
          body,
          headers: { "X-CSRFToken": csrfToken(this) },
          credentials: "same-origin",
        });
      } catch {
        this._say(fill(gettext("Could not save the mask of %(label)s: check the connection, then paint again."), { label: this.label }), true);
        return;
      }
      // Django sends an expired session to the login page, which answers 200.
      if (response.redirected && /login/i.test(new URL(response.url).pathname)) {
        this._say(fill(gettext("Could not save the mask of %(label)s: log in again, then paint again."), { label: this.label }), true);
        return;
      }
      if (!response.ok) {
        let text = "";
        try {
          const type = response.headers.get("Content-Type") || "";
          if (!type.includes("html")) text = (await response.text()).trim();
        } catch {
          text = "";
        }
        this._say(text || fill(gettext("Saving the mask of %(label)s failed (HTTP %(status)s)."), { label: this.label, status: response.status }), true);
        return;
      }
      this._say(gettext("Mask saved."));
      const detail = { pixels, width: this.W, height: this.H };
      this.dispatchEvent(new CustomEvent("mask-saved", { bubbles: true, detail }));
    }

    // An opaque canvas holding the black and white mask.
    _canvasPng() {
      const out = el("canvas", { width: this.W, height: this.H });
      const ctx = out.getContext("2d", { alpha: false });
      const image = ctx.createImageData(this.W, this.H);
      const d = image.data;
      for (let i = 0, p = 0; i < this.mask.length; i++, p += 4) {
        const v = this.mask[i] ? 255 : 0;
        d[p] = v;
        d[p + 1] = v;
        d[p + 2] = v;
        d[p + 3] = 255;
      }
      ctx.putImageData(image, 0, 0);
      return new Promise((resolve, reject) => {
        out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("PNG export failed"))), "image/png");
      });
    }
  }

  if (!customElements.get("mask-brush")) customElements.define("mask-brush", MaskBrush);
})();
