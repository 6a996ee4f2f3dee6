// Tells the editor form when to save the draft. htmx trigger filters (change[...]) are evaluated
// as strings, which the Content-Security-Policy forbids (no 'unsafe-eval'), so the choice of
// which changes save is made here and announced as two plain events the form's hx-trigger
// listens for: "editor-change" (any field but file inputs and the palette toggle, which post
// themselves) and "editor-prompt" (typing in the prompt).
(() => {
  const form = document.getElementById("editor");
  if (!form) return;
  form.addEventListener("change", (event) => {
    const field = event.target;
    if (field.type === "file" || field.name === "palette_enabled") return;
    form.dispatchEvent(new CustomEvent("editor-change"));
  });
  form.addEventListener("input", (event) => {
    if (event.target.name === "prompt") form.dispatchEvent(new CustomEvent("editor-prompt"));
  });
})();
