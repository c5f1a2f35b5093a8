"use strict";
// All of Contrata's JavaScript (CSP forbids inline scripts). The pages work without it.
(function () {
  document.documentElement.classList.add("js");

  // The language switcher submits itself; its button is for users without JS.
  document.addEventListener("change", function (event) {
    const select = event.target;
    if (select instanceof HTMLSelectElement && select.classList.contains("js-autosubmit-language")) {
      select.form.requestSubmit();
    }
  });

  // htmx restores history from a snapshot of the page's HTML, which keeps
  // the filter inputs' original attributes, not what was typed since: put the
  // values back from the restored URL so the form matches the table.
  function syncFiltersFromUrl() {
    const form = document.getElementById("filters");
    if (!form) return;
    const params = new URLSearchParams(window.location.search);
    for (const element of form.elements) {
      if (!element.name || element.type === "hidden" || element.type === "submit") continue;
      // data-default: what the server takes an absent parameter to mean (the page size).
      element.value = params.get(element.name) || element.dataset.default || "";
    }
  }
  document.addEventListener("htmx:historyRestore", syncFiltersFromUrl);

  // Assistive tech: mark the region being refreshed, then announce the result
  // ("Showing 1–25 of 417 clients", the empty state or an error).
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.target) event.detail.target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.target) event.detail.target.removeAttribute("aria-busy");
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    const region = event.detail.target;
    const live = document.getElementById("live-status");
    if (!live || !region || !region.matches("#clients-region, #contracts-region")) return;
    const summary = region.querySelector(".notice.error p, .summary, .empty p");
    live.textContent = summary ? summary.textContent.trim() : "";
  });
  window.addEventListener("pageshow", syncFiltersFromUrl);

  // A saved view keeps the filters and sort in the address bar, which htmx
  // updates without reloading the page (the form's own value is the first load's).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.classList.contains("js-save-view")) {
      form.elements.namedItem("query").value = window.location.search.replace(/^\?/, "");
    }
  });

  // "/" focuses the page's search box, unless the user is typing somewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement &&
        (target.isContentEditable || target.closest("input, textarea, select"))) return;
    const search = document.querySelector('input[aria-keyshortcuts="/"]');
    if (!search) return;
    event.preventDefault();
    search.focus();
    search.select();
  });

  // On phones the filters fold behind a button (the search stays in view).
  document.addEventListener("click", function (event) {
    const toggle = event.target instanceof Element && event.target.closest(".filters-toggle");
    if (!toggle) return;
    const form = document.getElementById(toggle.getAttribute("aria-controls"));
    const collapsed = form.classList.toggle("collapsed");
    toggle.setAttribute("aria-expanded", String(!collapsed));
  });
})();
