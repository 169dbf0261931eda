// A form sent back with errors: move the focus to its first field in error, so that
// keyboard and screen reader users land where the fix is. (A file, not inline script,
// so that the Content-Security-Policy allows it.)
const firstInvalid = document.querySelector("form .is-invalid, form [aria-invalid='true']");
if (firstInvalid) {
  firstInvalid.focus();
} else {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
}
