// Job cards while they wait and when they end (templates/editor/_job_card.html).
//
// <job-clock> ticks a waiting card's elapsed time and estimate between the server's answers:
// it starts from the seconds the server measured (created_at on the server's clock, as the
// image page's timings do) and adds what the browser has counted since, never its own wall
// clock. The cards themselves poll through htmx and stop once they end.
//
// When a card seen waiting on this page comes back ended, the page title says so and, if the
// person allowed it (the "Allow notifications" button; permission is only asked on click),
// a browser notification too.
(() => {
  "use strict";

  // Words come from Django's JavaScriptCatalog (/jsi18n/, loaded by base.html before this file).
  const fill = (text, values) => interpolate(text, values, true);
  // Kept in step with studio/editor/job_cards.py (elapsed_words, estimate_words), msgid for msgid.
  const about = (s) => (s < 120 ? fill(gettext("%(seconds)s s"), { seconds: s }) : fill(gettext("%(minutes)s min"), { minutes: Math.round(s / 60) }));

  function elapsedWords(seconds) {
    const whole = Math.floor(seconds);
    const minutes = Math.floor(whole / 60);
    const rest = whole % 60;
    return minutes
      ? fill(gettext("%(minutes)s min %(seconds)s s"), { minutes, seconds: String(rest).padStart(2, "0") })
      : fill(gettext("%(seconds)s s"), { seconds: rest });
  }

  function estimateWords(typical, sent) {
    if (sent === null) return fill(gettext("usually about %(time)s once sent"), { time: about(typical) });
    const left = typical - Math.floor(sent);
    return left > 0
      ? fill(gettext("about %(time)s left"), { time: about(left) })
      : fill(gettext("taking longer than the usual %(time)s"), { time: about(typical) });
  }

  const number = (value) => (value === undefined ? null : Number(value));

  class JobClock extends HTMLElement {
    connectedCallback() {
      this.elapsed = number(this.dataset.elapsed) || 0;
      this.sent = number(this.dataset.sent);
      this.typical = number(this.dataset.typical);
      this.start = performance.now();
      this.timer = setInterval(() => this.tick(), 1000);
    }

    disconnectedCallback() {
      clearInterval(this.timer);
    }

    tick() {
      const since = (performance.now() - this.start) / 1000;
      const out = this.querySelector("[data-elapsed-out]");
      if (out) out.textContent = elapsedWords(this.elapsed + since);
      const estimate = this.closest(".job-card")?.querySelector("[data-estimate-out]");
      if (estimate && this.typical !== null) {
        estimate.textContent = estimateWords(this.typical, this.sent === null ? null : this.sent + since);
      }
    }
  }
  customElements.define("job-clock", JobClock);

  // --- when a job ends ---------------------------------------------------------------------------

  const baseTitle = document.title;
  const waiting = new Set();
  const canNotify = "Notification" in window;

  function cardsIn(root) {
    if (!(root instanceof Element || root instanceof Document)) return [];
    const cards = [...root.querySelectorAll(".job-card")];
    return root instanceof Element && root.matches(".job-card") ? [root, ...cards] : cards;
  }

  function scan(root) {
    for (const card of cardsIn(root)) {
      const id = card.dataset.job;
      if (card.dataset.waiting === "true") waiting.add(id);
      else if (waiting.delete(id)) ended(card);
    }
  }

  function ended(card) {
    // A cancel is the person's own doing: nothing to tell them.
    if (card.dataset.status === "canceled") return;
    const id = card.dataset.job;
    const images = Number(card.dataset.images) || 0;
    const status = card.querySelector(".job-status")?.textContent.trim().toLowerCase() || card.dataset.status;
    const words =
      card.dataset.status === "succeeded"
        ? fill(ngettext("✓ %(n)s image", "✓ %(n)s images", images), { n: images })
        : fill(gettext("✗ Job %(id)s %(status)s"), { id, status });
    document.title = `${words} — ${baseTitle}`;
    if (canNotify && Notification.permission === "granted") {
      const prompt = card.querySelector(".job-prompt")?.textContent.trim() || "";
      const note = new Notification(fill(gettext("Job %(id)s: %(words)s"), { id, words }), { body: prompt, tag: `job-${id}` });
      note.addEventListener("click", () => {
        window.focus();
        const link = document.getElementById(`job-${id}`)?.querySelector(".results a, button, a");
        if (link) link.focus();
        note.close();
      });
    }
  }

  // The title goes back once the person is back: on their next key or click, or on returning to
  // the tab.
  function settle() {
    if (document.title !== baseTitle) document.title = baseTitle;
  }
  document.addEventListener("pointerdown", settle);
  document.addEventListener("keydown", settle);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") return;
    // Returning to the tab: leave the news up for a moment so it is seen, then restore.
    setTimeout(settle, 4000);
  });

  // --- the "Allow notifications" control -----------------------------------------------------

  function notifyControl(list) {
    const box = document.createElement("div");
    box.className = "job-notify";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.textContent = gettext("Allow notifications");
    const state = document.createElement("span");
    state.className = "hint";
    state.setAttribute("role", "status");
    // Focus lands here when the button goes away, not on the page's start.
    state.tabIndex = -1;
    box.append(button, " ", state);

    function show() {
      const permission = Notification.permission;
      button.hidden = permission !== "default";
      state.textContent =
        permission === "granted"
          ? gettext("Notifications on: the browser tells you when a job ends.")
          : permission === "denied"
            ? gettext("Notifications are blocked for this site in the browser's settings.")
            : gettext("Get a browser notification when a job ends, even in another tab.");
    }
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      show();
      if (button.hidden) state.focus();
    });
    show();
    list.before(box);
  }

  const list = document.getElementById("jobs");
  if (list && canNotify) notifyControl(list);

  // A card whose job is gone (moved to the trash meanwhile) would ask every second for ever:
  // swap it for a copy that does not poll and says so.
  document.addEventListener("htmx:responseError", (event) => {
    const card = event.detail.elt;
    if (!card.matches?.(".job-card[hx-trigger]") || event.detail.xhr.status !== 404) return;
    const still = card.cloneNode(true);
    for (const name of ["hx-get", "hx-trigger", "hx-swap"]) still.removeAttribute(name);
    still.dataset.waiting = "false";
    still.querySelector("job-clock")?.remove();
    const note = document.createElement("p");
    note.className = "hint";
    note.textContent = gettext("This job is no longer here (it may have been moved to the trash).");
    still.querySelector("header").after(note);
    waiting.delete(still.dataset.job);
    card.replaceWith(still);
  });

  scan(document);
  document.addEventListener("htmx:load", (event) => scan(event.detail.elt));
})();
