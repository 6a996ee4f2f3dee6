// <copy-link>: its button copies the address in the field named by data-copy and says so.
// Without the clipboard (an insecure origin, an old browser) the field is selected instead, so
// Ctrl+C is one key away; the address is readable in the field either way.
class CopyLink extends HTMLElement {
  connectedCallback() {
    if (this._wired) return;
    this._wired = true;
    const button = this.querySelector("button[data-copy]");
    const status = this.querySelector(".copy-status");
    if (!button) return;
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copy);
      if (!field) return;
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = gettext("Copied.");
      } catch {
        field.select();
        if (status) status.textContent = gettext("Selected: press Ctrl+C (⌘C) to copy.");
      }
    });
  }
}

customElements.define("copy-link", CopyLink);
