/*
 * The review queue from the keyboard.
 *
 * j/k move between items, a approves, r rejects, d dismisses, s opens the suspend
 * form, x selects for a bulk action, ? shows the shortcuts. Decisions go through
 * the same forms as the buttons, posted with fetch and answered in JSON; the
 * decided item leaves the page and the next one takes the focus. Without this
 * file every button is a plain form post.
 */
(function () {
  "use strict";

  var queue = document.querySelector("[data-review-queue]");
  var dialog = document.getElementById("shortcuts");
  var status = document.getElementById("review-status");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  if (!queue || !window.fetch || !window.FormData) {
    return;
  }

  var KEYS = { a: "approve", r: "reject", d: "dismiss" };
  var lastFocus = null;

  function items() {
    return Array.prototype.slice.call(queue.querySelectorAll(".review-item"));
  }

  function current() {
    var active = document.activeElement;
    return active && active.closest ? active.closest(".review-item") : null;
  }

  function announce(message) {
    if (status) {
      status.textContent = "";
      // A fresh text node makes screen readers announce a repeated message too.
      window.setTimeout(function () { status.textContent = message; }, 30);
    }
  }

  function focusItem(item) {
    if (!item) {
      return;
    }
    items().forEach(function (el) { el.classList.toggle("is-current", el === item); });
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function move(step) {
    var list = items();
    if (!list.length) {
      return;
    }
    var index = list.indexOf(current());
    var next = index === -1 ? 0 : Math.min(list.length - 1, Math.max(0, index + step));
    focusItem(list[next]);
  }

  function selectedCount() {
    var count = document.querySelectorAll('input[name="item"][form="bulk-form"]:checked').length;
    var label = document.querySelector("[data-selected-count]");
    if (label) {
      label.textContent = String(count);
    }
  }

  function removeItem(item) {
    var list = items();
    var index = list.indexOf(item);
    item.remove();
    var rest = items();
    if (rest.length) {
      focusItem(rest[Math.min(index, rest.length - 1)]);
    } else {
      var done = document.querySelector("[data-review-done]");
      if (done) {
        done.hidden = false;
      }
      var bar = document.getElementById("bulk-form");
      if (bar) {
        bar.hidden = true;
      }
    }
    selectedCount();
  }

  function send(form, submitter) {
    var item = form.closest(".review-item");
    if (!item || item.getAttribute("aria-busy") === "true") {
      return;
    }
    var data = new FormData(form);
    if (submitter && submitter.name) {
      data.set(submitter.name, submitter.value);
    }
    item.setAttribute("aria-busy", "true");
    // getAttribute: the form has an input named "action", which shadows form.action.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfMeta ? csrfMeta.content : "" }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (body) {
        return { ok: resp.ok, status: resp.status, body: body };
      });
    }).then(function (result) {
      item.removeAttribute("aria-busy");
      if (form.getAttribute("data-action") === "claim" && result.ok) {
        var claim = item.querySelector(".review-claim");
        claim.textContent = "Claimed by you";
        claim.classList.add("claimed", "claimed-mine");
        announce("Claimed.");
        return;
      }
      if (result.ok || result.status === 409) {
        // 409: someone else decided it first; either way it has left the queue.
        announce(result.ok ? result.body.message || "Done." : result.body.error || "Already decided.");
        removeItem(item);
        return;
      }
      announce(result.body.error || "That did not work (" + result.status + "). Try again.");
      item.classList.add("has-error");
    }, function () {
      item.removeAttribute("aria-busy");
      announce("Could not reach the server. Check your connection and try again.");
    });
  }

  function decide(item, name) {
    var form = item && item.querySelector('form[data-action="' + name + '"]');
    if (form) {
      send(form, null);
    }
  }

  function openSuspend(item) {
    var details = item && item.querySelector(".review-suspend");
    if (details) {
      details.open = true;
      var select = details.querySelector("select");
      if (select) {
        select.focus();
      }
    }
  }

  function toggleSelect(item) {
    var box = item && item.querySelector('input[name="item"]');
    if (box) {
      box.checked = !box.checked;
      selectedCount();
      announce(box.checked ? "Selected." : "Not selected.");
    }
  }

  function showHelp() {
    if (!dialog) {
      return;
    }
    lastFocus = document.activeElement;
    dialog.hidden = false;
    dialog.focus();
  }

  function hideHelp() {
    if (!dialog || dialog.hidden) {
      return;
    }
    dialog.hidden = true;
    if (lastFocus && lastFocus.focus) {
      lastFocus.focus();
    }
  }

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      hideHelp();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) {
      return;
    }
    if (dialog && !dialog.hidden) {
      return;
    }
    var item = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "?": showHelp(); break;
      case "a": case "r": case "d":
        if (!item) { return; }
        decide(item, KEYS[event.key]);
        break;
      case "s": if (!item) { return; } openSuspend(item); break;
      case "x": if (!item) { return; } toggleSelect(item); break;
      default: return;
    }
    event.preventDefault();
  });

  queue.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.closest(".review-item")) {
      event.preventDefault();
      send(form, event.submitter);
    }
  });

  queue.addEventListener("change", function (event) {
    if (event.target.name === "item") {
      selectedCount();
    }
  });

  // Clicking into an item makes it the current one, so the keys act on it.
  queue.addEventListener("focusin", function (event) {
    var item = event.target.closest(".review-item");
    if (item) {
      items().forEach(function (el) { el.classList.toggle("is-current", el === item); });
    }
  });

  document.querySelectorAll("[data-shortcuts-open]").forEach(function (b) { b.addEventListener("click", showHelp); });
  document.querySelectorAll("[data-shortcuts-close]").forEach(function (b) { b.addEventListener("click", hideHelp); });
  if (dialog) {
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) {
        hideHelp();
      }
    });
  }
}());
