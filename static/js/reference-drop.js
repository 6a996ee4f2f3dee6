// <reference-drop>: adds files by drag and drop or paste (through the same file input the picker
// uses, so htmx uploads them) and reorders reference cards by dragging. Keyboard users reorder with
// each card's Earlier/Later buttons.
class ReferenceDrop extends HTMLElement {
  connectedCallback() {
    if (this._wired) return;
    this._wired = true;
    this._onDragOver = (event) => {
      if (this._draggedCard || !hasFiles(event)) return;
      event.preventDefault();
      this.classList.add("dropping");
    };
    this._onDragLeave = () => this.classList.remove("dropping");
    this._onDrop = (event) => {
      this.classList.remove("dropping");
      if (this._draggedCard || !hasFiles(event)) return;
      event.preventDefault();
      this.addFiles(event.dataTransfer.files);
    };
    this._onPaste = (event) => {
      const files = [...(event.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
      if (!files.length) return;
      // Pasting text into the prompt stays text; only images are taken.
      event.preventDefault();
      this.addFiles(files);
    };
    this._onCardDragStart = (event) => {
      const card = event.target.closest?.(".reference-card");
      if (!card || !this.contains(card)) return;
      this._draggedCard = card;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", card.dataset.refId);
      card.classList.add("dragging");
    };
    this._onCardDragOver = (event) => {
      const card = event.target.closest?.(".reference-card");
      if (!this._draggedCard || !card || card === this._draggedCard) return;
      event.preventDefault();
      const box = card.getBoundingClientRect();
      const after = event.clientX > box.left + box.width / 2 || event.clientY > box.bottom - box.height / 4;
      card.parentNode.insertBefore(this._draggedCard, after ? card.nextSibling : card);
    };
    this._onCardDragEnd = () => {
      const card = this._draggedCard;
      this._draggedCard = null;
      if (!card) return;
      card.classList.remove("dragging");
      const order = [...this.querySelectorAll(".reference-card")].map((c) => c.dataset.refId).join(",");
      window.htmx.ajax("POST", this.dataset.reorderUrl, {
        source: this.closest("form"),
        target: "#summary",
        swap: "outerHTML",
        values: { order },
      });
    };
    // A fast first answer in the browser; the server checks everything again and decides.
    this._onPick = (event) => {
      const input = event.target;
      if (input.type !== "file" || !input.files?.length) return;
      const refused = [];
      const kept = new DataTransfer();
      const room = Number(this.dataset.max) - Number(this.dataset.count);
      const types = (input.accept || "").split(",").filter(Boolean);
      const maxBytes = Number(this.dataset.maxBytes);
      for (const file of input.files) {
        if (types.length && file.type && !types.includes(file.type)) {
          refused.push(`${file.name}: ${file.type} is not accepted (${this.dataset.formats})`);
        } else if (maxBytes && file.size > maxBytes) {
          refused.push(`${file.name}: ${(file.size / 1048576).toFixed(1)} MB is over the ${this.dataset.maxBytesLabel} limit`);
        } else if (kept.files.length >= room) {
          refused.push(`${file.name}: at most ${this.dataset.max} reference images`);
        } else {
          kept.items.add(file);
        }
      }
      this.say(refused);
      if (!refused.length) return;
      if (!kept.files.length) {
        event.stopPropagation();
        input.value = "";
        return;
      }
      input.files = kept.files;
    };
    this.addEventListener("change", this._onPick, true);
    this.addEventListener("dragover", this._onDragOver);
    this.addEventListener("dragleave", this._onDragLeave);
    this.addEventListener("drop", this._onDrop);
    this.addEventListener("dragstart", this._onCardDragStart);
    this.addEventListener("dragover", this._onCardDragOver);
    this.addEventListener("dragend", this._onCardDragEnd);
    document.addEventListener("paste", this._onPaste);
  }

  disconnectedCallback() {
    document.removeEventListener("paste", this._onPaste);
    this.removeEventListener("change", this._onPick, true);
    this._wired = false;
    for (const [type, handler] of [
      ["dragover", this._onDragOver], ["dragleave", this._onDragLeave], ["drop", this._onDrop],
      ["dragstart", this._onCardDragStart], ["dragover", this._onCardDragOver], ["dragend", this._onCardDragEnd],
    ]) this.removeEventListener(type, handler);
  }

  say(messages) {
    const out = this.querySelector(".drop-message");
    if (out) out.textContent = messages.join(" ");
  }

  addFiles(fileList) {
    const input = this.querySelector('input[type="file"]');
    if (!input || input.disabled) return;
    const transfer = new DataTransfer();
    for (const file of fileList) transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
}

function hasFiles(event) {
  return [...(event.dataTransfer?.types || [])].includes("Files");
}

customElements.define("reference-drop", ReferenceDrop);

// "Reuse last seed": fills the seed field and lets the form autosave it.
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("button[data-fill]");
  if (!button) return;
  const field = document.querySelector(button.dataset.fill);
  if (!field) return;
  field.value = button.dataset.value;
  field.dispatchEvent(new Event("change", { bubbles: true }));
  field.focus();
});
