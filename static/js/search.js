/*
 * Search's enhancements; every page works without them.
 *
 * - "/" outside a form field jumps to the search box (the search page's own box
 *   when there is one, else the header's; on phones, where the header shows only
 *   an icon, it opens the search page).
 * - The search page's filters apply as soon as one is picked.
 * - The ask page suggests similar questions while the title is typed, through
 *   /api/v1/suggest, and hides the "Check for similar questions" button that does
 *   the same with a round trip.
 *
 * Loaded with `defer` from the header's search box. No inline scripts (the CSP
 * forbids them), and text from the server is only ever set with textContent.
 */
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function visible(el) {
    return !!(el && el.getClientRects().length);
  }

  /* ---- "/" to search ---------------------------------------------------- */

  var headerForm = document.querySelector("[data-header-search]");
  var headerInput = document.getElementById("header-q");
  var pageInput = document.getElementById("f-q");

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
      return;
    }
    if (typing(event.target)) {
      return;
    }
    var target = visible(pageInput) ? pageInput : headerInput;
    if (!visible(target)) {
      var link = headerForm && headerForm.querySelector(".header-search-link");
      if (link && visible(link)) {
        event.preventDefault();
        link.click();
      }
      return;
    }
    event.preventDefault();
    target.focus();
    target.select();
  });

  if (headerInput) {
    headerInput.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !headerInput.value) {
        headerInput.blur();
      }
    });
  }

  /* ---- the search page's filters ----------------------------------------- */

  var searchForm = document.getElementById("search-form");
  if (searchForm) {
    var apply = searchForm.querySelector("[data-search-apply]");
    if (apply) {
      apply.hidden = true;
    }
    // Phones: the filters fold away behind a button unless one of them is in use.
    var toggle = searchForm.querySelector(".search-filters-toggle");
    if (toggle) {
      var setOpen = function (open) {
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
        searchForm.classList.toggle("filters-folded", !open);
      };
      toggle.hidden = false;
      setOpen(toggle.getAttribute("data-active") !== "0");
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        setOpen(open);
        if (open) {
          var first = searchForm.querySelector(".search-filters select, .search-filters input");
          if (first) {
            first.focus();
          }
        }
      });
    }
    searchForm.addEventListener("change", function (event) {
      if (event.target.hasAttribute("data-autosubmit")) {
        if (searchForm.requestSubmit) {
          searchForm.requestSubmit();
        } else {
          searchForm.submit();
        }
      }
    });
    // Page numbers belong to one query and one set of filters: a new search starts at 1.
    searchForm.addEventListener("submit", function () {
      searchForm.setAttribute("aria-busy", "true");
      Array.prototype.forEach.call(searchForm.querySelectorAll("input, select"), function (field) {
        // Empty filters would only lengthen the address.
        if (field.name && field.name !== "q" && !field.value) {
          field.disabled = true;
        }
      });
    });
    window.addEventListener("pageshow", function () {
      // Coming back with the Back button: the fields are usable again.
      searchForm.removeAttribute("aria-busy");
      Array.prototype.forEach.call(searchForm.querySelectorAll("[disabled]"), function (field) {
        field.disabled = false;
      });
    });
  }

  /* ---- similar questions while asking ------------------------------------ */

  var similar = document.getElementById("similar");
  var title = document.getElementById("f-title");
  var body = document.getElementById("f-body");
  if (!similar || !title || !window.fetch) {
    return;
  }

  var DELAY_MS = 400;
  var BODY_CHARS = 200;
  var SHOWN = 5;
  var suggestUrl = similar.getAttribute("data-suggest-url");
  var openUrl = similar.getAttribute("data-open-url");
  var minChars = parseInt(similar.getAttribute("data-min-chars"), 10) || 10;
  var heading = similar.querySelector(".similar-title");
  var list = similar.querySelector(".similar-list");
  var none = similar.querySelector(".similar-none");
  var check = similar.querySelector(".similar-check");
  var dismiss = similar.querySelector(".similar-dismiss");
  var timer = null;
  var controller = null;
  var lastText = null;
  var shownKeys = "";
  var dismissedKeys = null;

  similar.classList.add("is-live");
  if (check) {
    check.hidden = true;
  }
  if (none) {
    none.remove();
  }

  function setShown(hasResults) {
    similar.classList.toggle("has-results", hasResults);
    heading.hidden = !hasResults;
    list.hidden = !hasResults;
    if (dismiss) {
      dismiss.hidden = !hasResults;
    }
  }
  // What the server found ("Check for similar questions" before scripts ran) stays.
  setShown(list.children.length > 0);
  if (list.children.length && dismiss) {
    dismiss.hidden = false;
  }

  function currentText() {
    var t = title.value.trim();
    var b = body ? body.value.trim().slice(0, BODY_CHARS) : "";
    return b ? t + " " + b : t;
  }

  function openHref(logId, result) {
    if (logId === null || logId === undefined) {
      return result.url;
    }
    var key = encodeURIComponent(result.kind || "thread") + ":" + encodeURIComponent(result.id);
    return openUrl + "?log=" + encodeURIComponent(logId) + "&key=" + key;
  }

  function item(result, logId) {
    var li = document.createElement("li");
    li.className = "similar-item";
    var a = document.createElement("a");
    a.className = "similar-link";
    a.href = openHref(logId, result);
    a.target = "_blank";
    a.rel = "noopener";
    var name = document.createElement("span");
    name.className = "similar-item-title";
    name.textContent = result.title;
    var hint = document.createElement("span");
    hint.className = "sr-only";
    hint.textContent = " (opens in a new tab)";
    a.append(name, hint);
    var meta = document.createElement("span");
    meta.className = "similar-meta";
    if (result.kind === "article") {
      var article = document.createElement("span");
      article.className = "pill similar-article";
      article.textContent = "Article";
      meta.append(article);
    }
    if (result.kind === "thread" && result.solved) {
      var pill = document.createElement("span");
      pill.className = "pill pill-solved";
      pill.textContent = "✓ Solved";
      meta.append(pill);
    }
    if (typeof result.answer_count === "number") {
      var answers = document.createElement("span");
      answers.className = "similar-answers";
      answers.textContent = result.answer_count + (result.answer_count === 1 ? " answer" : " answers");
      meta.append(answers);
    }
    li.append(a, meta);
    if (result.summary) {
      var summary = document.createElement("p");
      summary.className = "similar-summary";
      summary.textContent = result.summary;
      li.append(summary);
    }
    return li;
  }

  function render(data) {
    var results = (data.results || []).slice(0, SHOWN);
    var keys = results.map(function (r) { return r.kind + ":" + r.id; }).join(",");
    if (keys === shownKeys) {
      // Same questions: keep the links (and the focus, if someone is on one).
      return;
    }
    shownKeys = keys;
    if (!results.length || keys === dismissedKeys) {
      list.replaceChildren();
      setShown(false);
      return;
    }
    dismissedKeys = null;
    list.replaceChildren.apply(list, results.map(function (r) { return item(r, data.search_log_id); }));
    setShown(true);
  }

  function suggest() {
    var text = currentText();
    if (text === lastText) {
      return;
    }
    lastText = text;
    if (controller) {
      controller.abort();
      controller = null;
    }
    if (title.value.trim().length < minChars) {
      render({ results: [] });
      return;
    }
    controller = window.AbortController ? new AbortController() : null;
    var mine = controller;
    similar.setAttribute("aria-busy", "true");
    fetch(suggestUrl + "?q=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      signal: mine ? mine.signal : undefined
    }).then(function (resp) {
      if (!resp.ok) {
        throw new Error("suggest " + resp.status);
      }
      return resp.json();
    }).then(function (data) {
      if (mine === controller) {
        if (typeof data.min_chars === "number") {
          minChars = data.min_chars;
        }
        render(data);
      }
    }).catch(function () {
      // Suggestions are a nicety: on failure (or when aborted) keep what is shown,
      // and let the next keystroke try again.
      if (mine === controller) {
        lastText = null;
      }
    }).then(function () {
      if (mine === controller) {
        similar.removeAttribute("aria-busy");
        controller = null;
      }
    });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(suggest, DELAY_MS);
  }

  title.addEventListener("input", later);
  if (body) {
    body.addEventListener("input", later);
  }

  if (dismiss) {
    dismiss.addEventListener("click", function () {
      // These are not it: hide them until the title brings up different ones.
      dismissedKeys = shownKeys;
      list.replaceChildren();
      setShown(false);
      (body || title).focus();
    });
  }

  // A title carried over from a search (/ask?title=...) gets its suggestions at once.
  if (title.value.trim().length >= minChars && !list.children.length) {
    suggest();
  }
})();
