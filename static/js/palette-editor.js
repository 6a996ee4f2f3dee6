// <palette-editor>: a proportion bar over the palette's ratio fields, the live balance
// ("12.50% left to assign" / "over by 3.00%"), and the colour picker <-> hex field sync.
// The ratio fields stay what is submitted: the bar is drawn from them, and a divider moved by
// mouse, touch or keyboard writes the two fields beside it (bubbling input, then change for the
// autosave). Ratios are integer hundredths of a percent, so handing share from one neighbour to
// the other never changes the sum; the server checks the sum again when generating.
(() => {
  "use strict";

  const STEP = 50; // arrow keys: 0.50%
  const BIG_STEP = 500; // Shift+arrows, Page Up/Down: 5.00%
  // A colour is not dragged below this: at nothing its segment vanishes and two dividers sit on
  // top of each other. Taking a colour out is the Remove button's job.
  const MIN_SHARE = 50;
  const KEYS = {
    ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10,
  };

  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  // Words come from Django's JavaScriptCatalog (/jsi18n/, loaded by base.html before this file).
  const fill = (text, values) => interpolate(text, values, true);
  // A sentence around an element ("over by <span>3.00%</span>"): the words either side of %(amount)s.
  const around = (text, node) => {
    const [before, after = ""] = text.split("%(amount)s");
    return [before, node, after].filter((part) => part !== "");
  };

  class PaletteEditor extends HTMLElement {
    connectedCallback() {
      if (this._abort) return;
      this._abort = new AbortController();
      const signal = this._abort.signal;
      this.total = Number(this.dataset.total || 10000);
      this.rows = [...this.querySelectorAll("[data-swatch]")].map((li) => ({
        hex: li.querySelector("input[data-hex]"),
        percent: li.querySelector("input[data-percent]"),
        picker: li.querySelector("input[type=color]"),
      }));
      this.bar = this.querySelector("[data-bar]");
      if (this.bar && this.rows.length) this._buildBar(signal);
      this.addEventListener("input", (event) => this._onInput(event), { signal });
      this.refresh();
    }

    disconnectedCallback() {
      this._abort?.abort();
      this._abort = null;
      this._drag = null;
    }

    // ---- the bar --------------------------------------------------------------------------------

    _buildBar(signal) {
      this.segments = this.rows.map((_, i) => {
        const segment = document.createElement("div");
        segment.className = "palette-segment";
        const label = document.createElement("span");
        label.className = "palette-segment-label";
        segment.append(label);
        segment.title = fill(gettext("Colour %(number)s"), { number: i + 1 });
        return segment;
      });
      this.rest = document.createElement("div");
      this.rest.className = "palette-segment palette-rest";
      this.rest.title = gettext("Not assigned yet");
      this.limit = document.createElement("div");
      this.limit.className = "palette-limit";
      this.limit.title = "100.00%";
      this.dividers = this.rows.slice(1).map((_, i) => {
        const divider = document.createElement("div");
        divider.className = "palette-divider";
        divider.tabIndex = 0;
        divider.dataset.index = String(i);
        divider.setAttribute("role", "slider");
        divider.setAttribute("aria-orientation", "horizontal");
        divider.setAttribute("aria-label", fill(gettext("Divider between colour %(first)s and colour %(second)s"), { first: i + 1, second: i + 2 }));
        divider.setAttribute("aria-describedby", "palette-bar-help");
        return divider;
      });
      // The segments say nothing a screen reader needs: the ratio fields and the sliders do.
      const strip = document.createElement("div");
      strip.className = "palette-strip";
      strip.setAttribute("aria-hidden", "true");
      strip.append(...this.segments, this.rest);
      this.bar.replaceChildren(strip, this.limit, ...this.dividers);

      this.bar.addEventListener("keydown", (event) => this._onKey(event), { signal });
      this.bar.addEventListener("pointerdown", (event) => this._onPointerDown(event), { signal });
      this.bar.addEventListener("pointermove", (event) => this._onPointerMove(event), { signal });
      this.bar.addEventListener("pointerup", (event) => this._onPointerUp(event), { signal });
      this.bar.addEventListener("pointercancel", (event) => this._onPointerUp(event), { signal });
      this.bar.addEventListener("lostpointercapture", (event) => this._onPointerUp(event), { signal });
    }

    _onPointerDown(event) {
      const divider = event.target.closest(".palette-divider");
      if (!divider || event.button > 0 || divider.getAttribute("aria-disabled") === "true") return;
      event.preventDefault();
      divider.focus();
      divider.setPointerCapture(event.pointerId);
      this._drag = { index: Number(divider.dataset.index), pointerId: event.pointerId, moved: false };
    }

    _onPointerMove(event) {
      const drag = this._drag;
      if (!drag || event.pointerId !== drag.pointerId) return;
      const shares = this._shares();
      if (!shares) return;
      const rect = this.bar.getBoundingClientRect();
      if (rect.width <= 0) return;
      const scale = Math.max(this.total, sum(shares));
      const at = Math.round(((event.clientX - rect.left) / rect.width) * scale);
      if (this._moveDivider(drag.index, at)) drag.moved = true;
    }

    _onPointerUp(event) {
      const drag = this._drag;
      if (!drag || event.pointerId !== drag.pointerId) return;
      this._drag = null;
      if (drag.moved) this._committed(drag.index);
    }

    _onKey(event) {
      const divider = event.target.closest(".palette-divider");
      if (!divider || event.altKey || event.ctrlKey || event.metaKey) return;
      const index = Number(divider.dataset.index);
      const shares = this._shares();
      if (!shares) return;
      const at = sum(shares.slice(0, index + 1));
      let target;
      if (event.key in KEYS) {
        const steps = KEYS[event.key];
        const size = Math.abs(steps) === 10 || event.shiftKey ? BIG_STEP : STEP;
        target = at + Math.sign(steps) * size;
      } else if (event.key === "Home") {
        target = -Infinity;
      } else if (event.key === "End") {
        target = Infinity;
      } else {
        return;
      }
      event.preventDefault();
      if (this._moveDivider(index, target)) this._committed(index);
    }

    // Moves the divider after colour index+1 to `at` hundredths from the bar's start, as far as
    // the two neighbours allow; only their ratio fields change. True when anything moved.
    _moveDivider(index, at) {
      const shares = this._shares();
      if (!shares) return false;
      const before = sum(shares.slice(0, index));
      const left = shares[index];
      const pair = left + shares[index + 1];
      // A share already under the floor (typed, or a new colour at 0) may only grow.
      const lo = Math.min(left, MIN_SHARE);
      const hi = pair - Math.min(shares[index + 1], MIN_SHARE);
      const share = clamp(Math.round(clamp(at, -1e9, 1e9)) - before, lo, hi);
      if (share === left) return false;
      this.rows[index].percent.value = formatPercent(share);
      this.rows[index + 1].percent.value = formatPercent(pair - share);
      for (const row of [this.rows[index], this.rows[index + 1]]) {
        row.percent.dispatchEvent(new Event("input", { bubbles: true }));
      }
      return true;
    }

    _committed(index) {
      for (const row of [this.rows[index], this.rows[index + 1]]) {
        row.percent.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    // Every ratio in hundredths, or null while one of them is not a readable percentage.
    _shares() {
      const shares = this.rows.map((row) => parsePercent(row.percent.value, this.total));
      return shares.includes(null) ? null : shares;
    }

    // ---- redrawing from the fields --------------------------------------------------------------

    _onInput(event) {
      const target = event.target;
      if (target.type === "color") {
        const hex = this.querySelector(`#${target.dataset.hexFor}`);
        if (hex) {
          hex.value = target.value.toUpperCase();
          hex.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else if (target.matches("input[data-hex]") && /^#[0-9a-f]{6}$/i.test(target.value)) {
        const picker = this.querySelector(`input[type=color][data-hex-for="${target.id}"]`);
        if (picker) picker.value = target.value.toLowerCase();
      }
      this.refresh();
    }

    refresh() {
      const parsed = this.rows.map((row) => parsePercent(row.percent.value, this.total));
      parsed.forEach((h, i) => this.rows[i].percent.setAttribute("aria-invalid", h === null ? "true" : "false"));
      const shares = parsed.map((h) => h ?? 0);
      const assigned = sum(shares);
      const unreadable = parsed.indexOf(null);
      this._showBalance(assigned, unreadable);
      if (this.dividers) this._drawBar(shares, assigned, unreadable === -1);
    }

    _showBalance(assigned, unreadable) {
      const totalOut = this.querySelector("[data-total-out]");
      if (totalOut) totalOut.textContent = `${formatPercent(assigned)}%`;
      const out = this.querySelector("[data-balance-out]");
      if (!out) return;
      const number = out.querySelector("[data-remaining-out]") || document.createElement("span");
      number.setAttribute("data-remaining-out", "");
      const left = this.total - assigned;
      number.textContent = `${formatPercent(Math.abs(left))}%`;
      const parts =
        left < 0
          ? around(gettext("over by %(amount)s"), number)
          : left === 0
            ? around(fill(gettext("%(amount)s left to assign: exactly %(total)s%"), { amount: "%(amount)s", total: formatPercent(this.total) }), number)
            : around(gettext("%(amount)s left to assign"), number);
      if (unreadable !== -1) parts.push(fill(gettext(" (ratio %(number)s is not a percentage like 25.50)"), { number: unreadable + 1 }));
      out.replaceChildren(...parts);
      out.className = left === 0 && unreadable === -1 ? "ok" : "warn";
    }

    _drawBar(shares, assigned, readable) {
      // Over 100% the bar holds the whole sum and a mark shows where 100% falls.
      const scale = Math.max(this.total, assigned) || this.total;
      const pct = (h) => `${(h / scale) * 100}%`;
      let at = 0;
      shares.forEach((share, i) => {
        const segment = this.segments[i];
        const hex = this.rows[i].hex.value.trim();
        const colour = /^#[0-9a-f]{6}$/i.test(hex) ? hex : "#808080";
        segment.style.flexBasis = pct(share);
        segment.style.backgroundColor = colour;
        segment.classList.toggle("on-dark", isDark(colour));
        segment.firstChild.textContent = `${i + 1} · ${formatPercent(share)}%`;
        at += share;
        const divider = this.dividers[i];
        if (!divider) return;
        const next = shares[i + 1];
        divider.style.left = pct(at);
        divider.setAttribute("aria-valuemin", formatPercent(at - share + Math.min(share, MIN_SHARE)));
        divider.setAttribute("aria-valuemax", formatPercent(at + next - Math.min(next, MIN_SHARE)));
        divider.setAttribute("aria-valuenow", formatPercent(at));
        divider.setAttribute(
          "aria-valuetext",
          fill(gettext("Colour %(first)s %(firstShare)s%, colour %(second)s %(secondShare)s%"), {
            first: i + 1,
            firstShare: formatPercent(share),
            second: i + 2,
            secondShare: formatPercent(next),
          }),
        );
        if (readable) divider.removeAttribute("aria-disabled");
        else divider.setAttribute("aria-disabled", "true");
      });
      this.rest.style.flexBasis = pct(Math.max(0, this.total - assigned));
      this.rest.hidden = assigned >= this.total;
      this.limit.style.left = pct(this.total);
      this.limit.hidden = assigned <= this.total;
    }
  }

  function sum(values) {
    return values.reduce((a, b) => a + b, 0);
  }

  // As the server reads a percent field (studio/editor/palette.py, parse_percent): "25", "25.5",
  // "25.50 %", ".5", "7." -> hundredths; more than two decimals, signs, letters or more than the
  // whole palette -> null.
  function parsePercent(text, total) {
    const match = /^\s*(?=\.?\d)(\d{0,3})(?:\.(\d{0,2}))?\s*%?\s*$/.exec(text);
    if (!match) return null;
    const hundredths = Number(match[1] || "0") * 100 + Number((match[2] || "").padEnd(2, "0"));
    return hundredths <= total ? hundredths : null;
  }

  function formatPercent(hundredths) {
    const sign = hundredths < 0 ? "-" : "";
    const value = Math.abs(hundredths);
    return `${sign}${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
  }

  // Relative luminance (WCAG): white labels on dark colours, dark labels on light ones.
  function isDark(hex) {
    const [r, g, b] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.18;
  }

  customElements.define("palette-editor", PaletteEditor);
})();
