// Keeps a page that asks for it (main[data-refresh], in milliseconds) up to date: it fetches
// the page again and swaps in its main element. No reload, so scrolling stays where it is.
"use strict";
(function () {
  const main = document.getElementById("page");
  if (!main || !main.dataset.refresh) return;
  const every = Number(main.dataset.refresh);
  async function refresh() {
    try {
      const resp = await fetch(location.href, { headers: { "Accept": "text/html" }, cache: "no-store" });
      if (resp.ok) {
        const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
        const fresh = doc.getElementById("page");
        if (fresh) main.innerHTML = fresh.innerHTML;
        main.classList.remove("stale");
      } else {
        main.classList.add("stale");
      }
    } catch (e) {
      main.classList.add("stale"); // the bridge is stopping or unreachable: say so, keep trying
    }
    setTimeout(refresh, every);
  }
  setTimeout(refresh, every);
})();
