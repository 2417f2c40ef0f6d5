/*
 * Notifications' enhancements; every page works without them.
 *
 * - "@" plus letters in a Markdown editor opens a list of people to mention
 *   (people in the thread first), from /users/suggest. Arrows move, Enter or Tab
 *   picks, Escape closes; the mouse works too. The textarea follows the ARIA
 *   combobox pattern: aria-controls, aria-expanded, aria-activedescendant.
 * - Watch buttons (thread, category, tag) and "Mark read" / "Mark all read" send
 *   their forms asking for JSON and update the page and the bell in place.
 * - "n" outside a form field opens the notifications page.
 *
 * Loaded with `defer` from the bell, so only for people who are logged in. No inline
 * scripts (the CSP forbids them); text from the server is only set with textContent.
 */
(function () {
  "use strict";

  if (!window.fetch || !window.FormData) {
    return;
  }

  var script = document.currentScript;
  var suggestUrl = script ? script.getAttribute("data-suggest-url") : null;
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  /* POST a form asking for JSON; resolve with the data or reject with a sentence. */
  function postForm(form, extra) {
    var body = new FormData(form);
    if (extra) {
      body.set(extra.name, extra.value);
    }
    return fetch(form.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfMeta ? csrfMeta.getAttribute("content") : "" }
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          throw new Error(data.error || (resp.status === 400
            ? "This page is out of date. Reload it and try again."
            : "Something went wrong (" + resp.status + "). Try again in a moment."));
        }
        return data;
      });
    }, function () {
      throw new Error("Could not reach the server. Check your connection and try again.");
    });
  }

  /* ---- the bell ---------------------------------------------------------- */

  function setBell(count) {
    if (typeof count !== "number") {
      return;
    }
    Array.prototype.forEach.call(document.querySelectorAll(".nav-bell"), function (bell) {
      bell.setAttribute("data-unread", String(count));
      var label = bell.querySelector(".nav-bell-label");
      if (label) {
        label.textContent = "Notifications" + (count ? ", " + count + " unread" : "");
      }
      var badge = bell.querySelector(".count-badge");
      if (!count) {
        if (badge) {
          badge.remove();
        }
        return;
      }
      if (!badge) {
        badge = document.createElement("span");
        badge.className = "count-badge";
        badge.setAttribute("aria-hidden", "true");
        bell.append(badge);
      }
      badge.textContent = count < 100 ? String(count) : "99+";
    });
    var lead = document.querySelector("[data-unread-summary]");
    if (lead) {
      lead.textContent = count ? count + " unread" : "You're all caught up.";
    }
    var all = document.querySelector(".notifications-mark-all");
    if (all && !count) {
      all.remove();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "n" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented ||
        typing(event.target)) {
      return;
    }
    var bell = document.querySelector(".nav-bell");
    if (bell) {
      event.preventDefault();
      bell.click();
    }
  });

  /* ---- watch buttons ------------------------------------------------------ */

  function submitWatch(event, form) {
    var button = event.submitter;
    if (!button || button.name !== "level") {
      return;
    }
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") {
      return;
    }
    var box = form.closest(".watch-box");
    var state = box && box.querySelector(".watch-state");
    form.setAttribute("aria-busy", "true");
    postForm(form, button).then(function (data) {
      Array.prototype.forEach.call(form.querySelectorAll("button[name=level]"), function (b) {
        var on = b.value === data.level;
        b.classList.toggle("is-active", on);
        b.setAttribute("aria-pressed", on ? "true" : "false");
        if (on && state) {
          state.classList.remove("error");
          state.textContent = b.getAttribute("data-help") || b.textContent;
        }
      });
    }).catch(function (error) {
      if (state) {
        state.classList.add("error");
        state.textContent = error.message;
      }
    }).then(function () {
      form.removeAttribute("aria-busy");
    });
  }

  /* ---- mark read ---------------------------------------------------------- */

  function markedRead(row) {
    row.classList.remove("is-unread");
    var unread = row.querySelector(".notification-unread");
    if (unread) {
      unread.remove();
    }
    var form = row.querySelector(".notification-read");
    if (form) {
      form.remove();
    }
  }

  function submitRead(event, form) {
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") {
      return;
    }
    var everything = form.classList.contains("notifications-mark-all");
    var row = form.closest(".notification");
    var status = document.getElementById("notifications-status");
    var next = row && (row.nextElementSibling || row.previousElementSibling);
    var hadFocus = form.contains(document.activeElement);
    form.setAttribute("aria-busy", "true");
    postForm(form).then(function (data) {
      if (everything) {
        Array.prototype.forEach.call(document.querySelectorAll(".notification.is-unread"), markedRead);
      } else if (row) {
        markedRead(row);
      }
      setBell(data.unread);
      if (status) {
        status.textContent = everything ? "All notifications marked read." : "Marked read.";
      }
      if (hadFocus) {
        // The button is gone: keep the keyboard nearby rather than at the top of the page.
        var target = next && (next.querySelector(".notification-read button") || next.querySelector("a"));
        (target || document.getElementById("notifications-title") || document.body).focus();
      }
    }).catch(function (error) {
      if (status) {
        status.textContent = error.message;
      }
      form.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    if (form.classList.contains("watch-form")) {
      submitWatch(event, form);
    } else if (form.classList.contains("notification-read") || form.classList.contains("notifications-mark-all")) {
      submitRead(event, form);
    }
  });

  /* ---- @mention autocompletion ---------------------------------------------- */

  var DELAY_MS = 150;
  var SHOWN = 8;
  // The "@" must not follow a letter, digit or one of these (an e-mail address, a
  // path, a link): the same rule as the server's mention pattern.
  var TRIGGER = /(^|[^\w@\/.`[])@([A-Za-z0-9][A-Za-z0-9_.-]{0,29})$/;
  var counter = 0;

  function threadParams(textarea) {
    var form = textarea.form;
    var action = form ? form.getAttribute("action") || "" : "";
    var m = action.match(/\/t\/(\d+)\//) || window.location.pathname.match(/^\/t\/(\d+)/);
    if (m) {
      return "&thread=" + m[1];
    }
    m = action.match(/\/posts\/(\d+)\/edit/);
    return m ? "&post=" + m[1] : "";
  }

  /* Where the caret is, in pixels from the textarea's top-left: a hidden copy of the
     text up to the caret, with the same box and font, measured with a marker. */
  var MIRRORED = ["boxSizing", "width", "borderTopWidth", "borderRightWidth", "borderBottomWidth",
    "borderLeftWidth", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "fontStyle",
    "fontVariant", "fontWeight", "fontStretch", "fontSize", "lineHeight", "fontFamily", "textAlign",
    "textTransform", "textIndent", "letterSpacing", "wordSpacing", "tabSize"];

  function caretPoint(textarea, position) {
    var style = window.getComputedStyle(textarea);
    var mirror = document.createElement("div");
    MIRRORED.forEach(function (name) { mirror.style[name] = style[name]; });
    mirror.style.position = "absolute";
    mirror.style.visibility = "hidden";
    mirror.style.top = "0";
    mirror.style.left = "-9999px";
    mirror.style.whiteSpace = "pre-wrap";
    mirror.style.overflowWrap = "break-word";
    mirror.textContent = textarea.value.slice(0, position);
    var marker = document.createElement("span");
    marker.textContent = "\u200b";
    mirror.append(marker);
    document.body.append(mirror);
    var point = {
      top: marker.offsetTop - textarea.scrollTop,
      left: marker.offsetLeft - textarea.scrollLeft,
      height: parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5
    };
    mirror.remove();
    return point;
  }

  function setUpMentions(textarea) {
    var n = ++counter;
    var listId = "mention-list-" + n;
    var host = textarea.parentNode;
    host.classList.add("mention-host");

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "People to mention");
    list.hidden = true;
    host.append(list);

    var live = document.createElement("p");
    live.className = "sr-only";
    live.setAttribute("aria-live", "polite");
    host.append(live);

    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", listId);
    textarea.setAttribute("aria-expanded", "false");
    textarea.setAttribute("aria-haspopup", "listbox");

    var people = [];
    var active = -1;
    var match = null;   // {start, end, query}: the "@name" being typed
    var timer = null;
    var controller = null;
    var cache = {};
    var extra = threadParams(textarea);

    function close() {
      list.hidden = true;
      list.replaceChildren();
      people = [];
      active = -1;
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
        if (i === index) {
          textarea.setAttribute("aria-activedescendant", li.id);
          if (li.scrollIntoView) {
            li.scrollIntoView({ block: "nearest" });
          }
        }
      });
    }

    function place() {
      var point = caretPoint(textarea, match.start);
      var top = textarea.offsetTop + point.top + point.height + 4;
      var width = list.offsetWidth || 288;
      var room = textarea.offsetLeft + textarea.offsetWidth - width;
      var left = Math.max(textarea.offsetLeft, Math.min(textarea.offsetLeft + point.left, room));
      // Below the line while the caret is on screen; at the bottom edge if scrolled past.
      top = Math.min(top, textarea.offsetTop + textarea.offsetHeight);
      list.style.top = top + "px";
      list.style.left = left + "px";
    }

    function option(person, i) {
      var li = document.createElement("li");
      li.id = listId + "-" + i;
      li.className = "mention-option";
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      var avatar = document.createElement("span");
      avatar.className = "avatar avatar-sm";
      avatar.setAttribute("aria-hidden", "true");
      avatar.textContent = (person.display_name || person.username).slice(0, 1).toUpperCase();
      var name = document.createElement("span");
      name.className = "mention-username";
      name.textContent = "@" + person.username;
      li.append(avatar, name);
      if (person.display_name && person.display_name !== person.username) {
        var full = document.createElement("span");
        full.className = "mention-name";
        full.textContent = person.display_name;
        li.append(full);
      }
      if (person.in_thread) {
        var here = document.createElement("span");
        here.className = "mention-here";
        here.textContent = "in this thread";
        li.append(here);
      }
      li.addEventListener("mousedown", function (event) {
        // Keep the focus (and the caret) in the textarea.
        event.preventDefault();
      });
      li.addEventListener("click", function () {
        pick(i);
      });
      li.addEventListener("mousemove", function () {
        if (active !== i) {
          highlight(i);
        }
      });
      return li;
    }

    function show(found) {
      people = found.slice(0, SHOWN);
      if (!people.length || !match) {
        close();
        live.textContent = match ? "Nobody found for @" + match.query + "." : "";
        return;
      }
      list.replaceChildren.apply(list, people.map(option));
      list.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      place();
      highlight(0);
      live.textContent = people.length + (people.length === 1 ? " person" : " people") +
        " to mention. Up and down arrows to choose, Enter to insert, Escape to close.";
    }

    function pick(index) {
      var person = people[index];
      if (!person || !match) {
        return;
      }
      var before = textarea.value.slice(0, match.start);
      var after = textarea.value.slice(match.end);
      var insert = "@" + person.username + (/^\s/.test(after) ? "" : " ");
      textarea.value = before + insert + after;
      var caret = before.length + insert.length;
      textarea.setSelectionRange(caret, caret);
      close();
      match = null;
      live.textContent = "@" + person.username + " inserted.";
      // Let the live preview (and anything else listening) see the new text.
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.focus();
    }

    function fetchPeople(query) {
      if (cache[query]) {
        show(cache[query]);
        return;
      }
      if (controller) {
        controller.abort();
      }
      controller = window.AbortController ? new AbortController() : null;
      var mine = controller;
      fetch(suggestUrl + "?q=" + encodeURIComponent(query) + extra, {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        signal: mine ? mine.signal : undefined
      }).then(function (resp) {
        if (!resp.ok) {
          throw new Error("suggest " + resp.status);
        }
        return resp.json();
      }).then(function (found) {
        if (!Array.isArray(found)) {
          return;
        }
        cache[query] = found;
        if (match && match.query === query) {
          show(found);
        }
      }).catch(function () {
        // Suggestions are a nicety; typing the name in full works as well.
      });
    }

    function update() {
      var caret = textarea.selectionStart;
      if (caret !== textarea.selectionEnd) {
        match = null;
        close();
        return;
      }
      var found = TRIGGER.exec(textarea.value.slice(Math.max(0, caret - 40), caret));
      if (!found) {
        match = null;
        close();
        return;
      }
      var query = found[2];
      var end = caret;
      // Typing inside an existing "@name": replace it whole when a person is picked.
      var rest = /^[A-Za-z0-9_.-]*/.exec(textarea.value.slice(caret))[0];
      end += rest.length;
      match = { start: caret - query.length - 1, end: end, query: query };
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { fetchPeople(query); }, cache[query] ? 0 : DELAY_MS);
    }

    textarea.addEventListener("input", update);
    textarea.addEventListener("click", update);
    textarea.addEventListener("blur", function () {
      // A click on an option keeps the focus (mousedown is cancelled), so this is
      // leaving the editor.
      window.clearTimeout(timer);
      close();
    });
    textarea.addEventListener("keydown", function (event) {
      if (list.hidden || event.isComposing) {
        if ((event.key === "ArrowLeft" || event.key === "ArrowRight" || event.key === "Home" ||
             event.key === "End") && match) {
          window.setTimeout(update, 0);
        }
        return;
      }
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          highlight((active + 1) % people.length);
          break;
        case "ArrowUp":
          event.preventDefault();
          highlight((active - 1 + people.length) % people.length);
          break;
        case "Enter":
        case "Tab":
          if (event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) {
            return;
          }
          event.preventDefault();
          pick(active < 0 ? 0 : active);
          break;
        case "Escape":
          event.preventDefault();
          // Escape belongs to this list now, not to a dialog around the editor.
          event.stopPropagation();
          match = null;
          close();
          break;
        case "ArrowLeft":
        case "ArrowRight":
        case "Home":
        case "End":
          window.setTimeout(update, 0);
          break;
      }
    });
    window.addEventListener("resize", function () {
      if (!list.hidden && match) {
        place();
      }
    });
  }

  if (suggestUrl) {
    Array.prototype.forEach.call(document.querySelectorAll(".editor textarea, textarea[data-mentions]"),
      setUpMentions);
  }
})();
