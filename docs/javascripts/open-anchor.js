// A link to a field nested in a closed <details> (the reference's child parameters) opens
// the details around it, then scrolls to it: on load, on a hash change, and after material's
// instant navigation.
function openAnchor() {
  const id = decodeURIComponent(window.location.hash.slice(1));
  const target = id && document.getElementById(id);
  if (!target) return;
  let closed = false;
  for (let node = target.parentElement; node; node = node.parentElement) {
    if (node.tagName === "DETAILS" && !node.open) {
      node.open = true;
      closed = true;
    }
  }
  if (closed) target.scrollIntoView();
}
window.addEventListener("hashchange", openAnchor);
if (typeof document$ !== "undefined") {
  document$.subscribe(openAnchor);
} else {
  window.addEventListener("DOMContentLoaded", openAnchor);
}
