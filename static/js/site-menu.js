// <site-menu>: on a narrow screen the top bar's links, team and Log out fold behind one Menu button.
//
// A disclosure (WAI-ARIA APG "Disclosure Navigation Menu"): the button says aria-expanded, Enter or
// Space toggles it (it is a real <button>), Tab walks the links in order, Escape closes the menu and
// returns focus to the button. Wide screens ignore the state: studio.css shows the links and hides
// the button above 760 px. Before this script runs (or without it) the links are simply shown.
class SiteMenu extends HTMLElement {
  connectedCallback() {
    if (this.toggle) return;
    this.toggle = this.querySelector(".menu-toggle");
    if (!this.toggle) return;
    this.toggle.addEventListener("click", () => this.setOpen(!this.open));
    this.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.open) {
        this.setOpen(false);
        this.toggle.focus();
      }
    });
    this.setOpen(false);
  }

  get open() {
    return this.dataset.open === "true";
  }

  setOpen(open) {
    this.dataset.open = String(open);
    this.toggle.setAttribute("aria-expanded", String(open));
  }
}

customElements.define("site-menu", SiteMenu);
