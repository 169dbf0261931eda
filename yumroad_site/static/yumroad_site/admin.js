// Django's autocomplete box (select2) is named by the value chosen only, so an empty one
// has no name for screen readers: name it, the text in it and its search field by the
// field's label; and, open, say which list it controls. Run when jQuery is ready, after
// the admin's own handler made the boxes. (A file, not inline script, so that the
// Content-Security-Policy allows it.)
window.django?.jQuery?.(($) => {
  document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
    const label = select.id && document.querySelector(`label[for="${select.id}"]`);
    const box = select.nextElementSibling?.querySelector(".select2-selection");
    if (!label || !box) return;
    label.id ||= `${select.id}-label`;
    const chosen = box.querySelector(".select2-selection__rendered");
    box.setAttribute("aria-labelledby", chosen ? `${label.id} ${chosen.id}` : label.id);
    chosen?.setAttribute("aria-labelledby", label.id);
    $(select).on("select2:open", () => {
      const list = box.getAttribute("aria-owns");
      if (list) box.setAttribute("aria-controls", list);
      document
        .querySelectorAll(".select2-container--open .select2-search__field")
        .forEach((field) => field.setAttribute("aria-labelledby", label.id));
    });
  });
});
