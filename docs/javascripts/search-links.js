// Material's search links a page whose own text did not match the query (only its sections
// did) with an empty "?h=": that page's link drops it, so every result link reads clean.
(() => {
  const clean = () => {
    for (const link of document.querySelectorAll('.md-search-result a[href*="?h="]')) {
      const url = new URL(link.href);
      if (url.searchParams.get("h") === "") {
        url.searchParams.delete("h");
        link.href = url.href;
      }
    }
  };
  // Results are rendered as the reader types: clean each batch as it is added.
  new MutationObserver(clean).observe(document.body, { childList: true, subtree: true });
})();
