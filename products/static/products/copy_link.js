// "Copy link" beside an address: shown where the browser lets a page copy, else the
// address stays a read-only field to select. (A file, not inline script, so that the
// Content-Security-Policy allows it.)
document.querySelectorAll("[data-copy-link]").forEach((button) => {
  const field = document.getElementById(button.dataset.copyLink);
  const status = document.querySelector("[data-copy-status]");
  field.addEventListener("focus", () => field.select());
  if (!(navigator.clipboard && window.isSecureContext)) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
      if (status) status.textContent = "Link copied.";
    } catch {
      field.focus();
      button.textContent = "Select and copy";
    }
    setTimeout(() => { button.textContent = "Copy link"; }, 2000);
  });
});
