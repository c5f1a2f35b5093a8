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

  // The contracts page's client-name box: picking a suggestion sets the client
  // id filter and refreshes the table (without JS the suggestion is a plain link).
  function pickClient(link) {
    const form = link.closest("form");
    form.elements.client.value = link.dataset.clientId;
    form.elements.client_name.value = link.dataset.clientName;
    closeChoices(link.closest(".choices"));
    form.requestSubmit();
    form.elements.client_name.focus();
  }
  function closeChoices(list) {
    list.replaceChildren();
    const box = document.querySelector('[aria-controls="' + list.id + '"]');
    if (box) box.setAttribute("aria-expanded", "false");
  }
  document.addEventListener("click", function (event) {
    const link = event.target.closest(".choices a[data-client-id]");
    if (!link) return;
    event.preventDefault();
    pickClient(link);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    const list = event.detail.target;
    if (!list.classList || !list.classList.contains("choices")) return;
    const box = document.querySelector('[aria-controls="' + list.id + '"]');
    if (box) box.setAttribute("aria-expanded", list.children.length ? "true" : "false");
  });
  // Inline edit: the swapped-in form (or row) takes the focus: the first invalid
  // field, else the first field, else the element marked data-focus (Edit).
  document.addEventListener("htmx:afterSettle", function () {
    const marked = document.querySelector("[data-focus]");
    if (!marked) return;
    marked.removeAttribute("data-focus");
    const field = marked.matches("form")
      ? marked.querySelector("[aria-invalid=true]") || marked.querySelector("input, select")
      : marked;
    if (field) field.focus();
  });
  // The header checkbox ticks every row of the page for a bulk action.
  document.addEventListener("change", function (event) {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.classList.contains("js-select-page")) return;
    for (const row of document.querySelectorAll('input[name="ids"][form="bulk"]')) {
      row.checked = box.checked;
    }
  });
  // Escape cancels an inline edit (Enter submits it, as in any form).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const form = event.target.closest && event.target.closest(".inline-edit");
    if (!form) return;
    event.preventDefault();
    // Through htmx.ajax rather than a click, so it works while the form settles.
    const cancel = form.querySelector(".js-cancel");
    htmx.ajax("GET", cancel.getAttribute("hx-get"), { target: form.closest("tr"), swap: "outerHTML" });
  });

  // Keyboard: Down from the box enters the list, Up/Down move in it, Escape closes it.
  document.addEventListener("keydown", function (event) {
    const box = event.target.closest && event.target.closest("[role=combobox]");
    const inList = event.target.closest && event.target.closest(".choices");
    const list = box ? document.getElementById(box.getAttribute("aria-controls")) : inList;
    if (!list) return;
    const links = Array.from(list.querySelectorAll("a"));
    const index = links.indexOf(event.target);
    if (event.key === "ArrowDown" && links.length) {
      event.preventDefault();
      links[Math.min(index + 1, links.length - 1)].focus();
    } else if (event.key === "ArrowUp" && inList) {
      event.preventDefault();
      if (index > 0) links[index - 1].focus();
      else document.querySelector('[aria-controls="' + list.id + '"]').focus();
    } else if (event.key === "Escape") {
      closeChoices(list);
    }
  });
})();
