// A product picture linked from another site may be gone: show the placeholder instead.
// (A file, not an inline handler, so that the Content-Security-Policy allows it.)
document.querySelectorAll("img[data-fallback]").forEach((img) => {
  const useFallback = () => {
    img.removeEventListener("error", useFallback);
    img.src = img.dataset.fallback;
  };
  if (img.complete && img.naturalWidth === 0) useFallback();
  else img.addEventListener("error", useFallback);
});
