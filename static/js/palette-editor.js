// <palette-editor>: the live "total / remaining" readout and the colour picker <-> hex field sync.
// Ratios are read as integer hundredths of a percent, so the sum is exact (no float rounding);
// the server checks the same thing again when generating.
class PaletteEditor extends HTMLElement {
  connectedCallback() {
    if (this._wired) return;
    this._wired = true;
    this._onInput = (event) => {
      const target = event.target;
      if (target.type === "color") {
        const hex = this.querySelector(`#${target.dataset.hexFor}`);
        if (hex) {
          hex.value = target.value.toUpperCase();
          hex.dispatchEvent(new Event("change", { bubbles: true }));
        }
      } else if (target.id?.endsWith("-hex") && /^#[0-9a-f]{6}$/i.test(target.value)) {
        const picker = this.querySelector(`input[type=color][data-hex-for="${target.id}"]`);
        if (picker) picker.value = target.value.toLowerCase();
      }
      this.refresh();
    };
    this.addEventListener("input", this._onInput);
    this.refresh();
  }

  disconnectedCallback() {
    this.removeEventListener("input", this._onInput);
    this._wired = false;
  }

  refresh() {
    const total = Number(this.dataset.total || 10000);
    let sum = 0;
    let valid = true;
    for (const field of this.querySelectorAll("input[data-percent]")) {
      const hundredths = parsePercent(field.value);
      field.setAttribute("aria-invalid", hundredths === null ? "true" : "false");
      if (hundredths === null) valid = false;
      else sum += hundredths;
    }
    const totalOut = this.querySelector("[data-total-out]");
    const remainingOut = this.querySelector("[data-remaining-out]");
    const exactOut = this.querySelector("[data-exact-out]");
    if (totalOut) totalOut.textContent = `${formatPercent(sum)}%`;
    if (remainingOut) remainingOut.textContent = `${formatPercent(total - sum)}%`;
    if (exactOut) {
      const exact = valid && sum === total;
      exactOut.textContent = exact ? "exactly 100.00%" : "must be exactly 100.00%";
      exactOut.className = exact ? "ok" : "warn";
    }
  }
}

// "25", "25.5", "25.50" -> 2550; anything else (3 decimals, signs, letters) -> null.
function parsePercent(text) {
  const match = /^\s*(\d{1,3})(?:\.(\d{1,2}))?\s*%?\s*$/.exec(text);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "").padEnd(2, "0"));
}

function formatPercent(hundredths) {
  const sign = hundredths < 0 ? "-" : "";
  const value = Math.abs(hundredths);
  return `${sign}${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}

customElements.define("palette-editor", PaletteEditor);
