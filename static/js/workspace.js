// The Create workspace's keyboard: Ctrl+Enter (Cmd+Enter on a Mac) generates from anywhere in
// the editor form, or from the page itself when nothing is focused. It clicks the real Generate
// button, so htmx sends it exactly as a mouse click would, and a disabled button (a request
// already in flight) ignores it; a held key (repeat) is ignored too, so one press is one job.
(() => {
  const form = document.getElementById("editor");
  if (!form) return;
  const generate = form.querySelector("button.primary[type=submit]");
  if (!generate) return;

  // The visible hint names the key a Mac has (the title already names both).
  const modifier = document.querySelector("#generate-keys kbd");
  if (modifier && /Mac|iPhone|iPad/.test(navigator.platform)) modifier.textContent = "⌘";

  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    if (event.isComposing || event.defaultPrevented || event.repeat) return;
    const target = event.target;
    const inForm = target instanceof Node && form.contains(target);
    const onPage = target === document.body || target === document.documentElement;
    if (!inForm && !onPage) return;
    event.preventDefault();
    if (!generate.disabled) generate.click();
  });
})();
